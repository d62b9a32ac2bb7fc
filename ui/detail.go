package ui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
)

// detailPage is one wallet: its facts, manufacturers, allocations by type,
// lineage and recent operations. The lines are drawn once per data or width
// change; View only slices the visible ones, so a wallet with thousands of
// manufacturers scrolls as cheaply as a small one.
type detailPage struct {
	c       *Common
	version int
	sum     *model.WalletSummary // from the inventory, until the detail arrives
	d       *model.WalletDetail

	loadedAt time.Time
	err      string
	errAt    time.Time

	lines []string
	sc    scroller
	w, h  int
}

func newDetailPage(c *Common, v int, sum *model.WalletSummary) *detailPage {
	d := &detailPage{c: c, version: v}
	if sum != nil {
		cp := *sum
		d.sum = &cp
	}
	return d
}

func (d *detailPage) SetSize(w, h int) {
	rebuild := w != d.w
	d.w, d.h = w, h
	d.sc.height = h
	if rebuild {
		d.build()
	}
	d.sc.clamp()
}

func (d *detailPage) setSummary(w model.WalletSummary) {
	d.sum = &w
	d.build()
}

func (d *detailPage) update(msg detailMsg) {
	if msg.version != d.version {
		return
	}
	now := d.c.clock()
	if msg.err != nil {
		d.err, d.errAt = errText(msg.err), now
	} else {
		d.err = ""
		det := msg.detail
		d.d, d.loadedAt = &det, now
		d.sum = &det.Wallet
	}
	d.build()
}

func (d *detailPage) key(msg tea.KeyPressMsg) {
	d.sc.key(d.c.Keys, msg)
}

func (d *detailPage) View() string {
	start, end := d.sc.visible()
	if start >= end {
		return ""
	}
	return strings.Join(d.lines[start:end], "\n")
}

func (d *detailPage) Status() string {
	st := model.VersionName(d.version)
	if pos := d.sc.position(); pos != "" {
		st += " · " + pos
	}
	if !d.loadedAt.IsZero() {
		st += " · detail from " + stamp(d.loadedAt, d.c.Loc)
	}
	return st + " · esc back"
}

// build draws every line of the detail for the current width.
func (d *detailPage) build() {
	w := d.w
	if w <= 0 {
		d.lines = nil
		d.sc.n = 0
		return
	}
	s := d.c.Styles
	var out []string
	add := func(line string) { out = append(out, truncate(line, w)) }

	sum := d.sum
	title := model.VersionName(d.version)
	if sum != nil {
		if n := walletName(*sum); n != title {
			title = n + " (" + title + ")"
		}
		facts := []string{s.R(s.Status(sum.Status), inert(string(sum.Status))), inert(string(sum.Environment)),
			"security " + inert(string(sum.SecurityLevel))}
		if sum.IsDefault {
			facts = append(facts, s.R(s.Title, "DEFAULT"))
		}
		title = s.R(s.Title, title) + " · " + strings.Join(facts, " · ")
	} else {
		title = s.R(s.Title, title)
	}
	add(title)
	if d.err != "" {
		out = append(out, staleLine(d.c, d.err, d.errAt, d.loadedAt, w))
	}
	if sum == nil {
		if d.err == "" {
			add(s.R(s.Muted, "loading…"))
		}
		d.finish(out)
		return
	}
	if sum.Description != "" {
		for _, l := range wrap(inert(sum.Description), w) {
			add(l)
		}
	}
	now := d.c.clock()
	mig := "none"
	if sum.MigrationCompletion != nil {
		mig = itoa(int(*sum.MigrationCompletion+0.5)) + "%"
	}
	for _, l := range flow(w,
		"health "+s.R(s.Health(sum.Health), healthText(sum.Health)),
		"last allocation "+ago(now, sum.LastAllocation),
		"created "+dateTime(sum.CreatedAt, d.c.Loc)) {
		add(l)
	}
	for _, l := range flow(w,
		"manufacturers "+itoa(sum.Manufacturers), "paths "+group(sum.Paths),
		"identifiers "+group(sum.Identifiers), "migration out "+mig) {
		add(l)
	}
	add("master key " + inert(sum.MasterKeyID))

	if d.d == nil {
		if d.err == "" {
			add(s.R(s.Muted, "loading manufacturers, allocations, lineage and operations…"))
		}
		d.finish(out)
		return
	}
	det := d.d
	loc := d.c.Loc

	section := func(name string, n int) {
		out = append(out, "")
		add(s.R(s.Section, name+" ("+itoa(n)+")"))
		if n == 0 {
			add(s.R(s.Muted, "  none"))
		}
	}
	emit := func(t *table, rows [][]string) {
		if len(rows) == 0 {
			return
		}
		t.measure(rows)
		t.layout(w)
		out = append(out, t.header(s, nil))
		for _, r := range rows {
			out = append(out, t.row(s, r, false, nil))
		}
	}

	section("Manufacturers", len(det.Manufacturers))
	rows := make([][]string, len(det.Manufacturers))
	for i, m := range det.Manufacturers {
		from := ""
		if m.MigratedFrom != nil {
			from = model.VersionName(*m.MigratedFrom)
		}
		reg := ""
		if !m.RegisteredAt.IsZero() {
			reg = m.RegisteredAt.In(loc).Format(time.DateOnly)
		}
		rows[i] = []string{itoa(m.Index), inert(m.Name), inert(m.Status), inert(m.DelegationLevel),
			group(m.Paths), group(m.Identifiers), inert(m.Organization), reg, from}
	}
	emit(newTable(
		column{title: "IDX", max: 8, right: true},
		column{title: "NAME", max: 40, min: 12, flex: true},
		column{title: "STATUS", max: 12},
		column{title: "DELEGATION", max: 14, prio: 1},
		column{title: "PATHS", max: 14, right: true},
		column{title: "IDENTIFIERS", max: 16, right: true, prio: 2},
		column{title: "ORGANIZATION", max: 24, prio: 4},
		column{title: "REGISTERED", max: 10, prio: 3},
		column{title: "FROM", max: 6, prio: 5},
	), rows)

	section("Allocations by type", len(det.Allocations))
	rows = make([][]string, len(det.Allocations))
	for i, a := range det.Allocations {
		rows[i] = []string{inert(a.Type), inert(a.Status), group(a.Paths), group(a.Identifiers), dateTime(a.LastAllocatedAt, loc)}
	}
	emit(newTable(
		column{title: "TYPE", max: 14},
		column{title: "STATUS", max: 12},
		column{title: "PATHS", max: 14, right: true},
		column{title: "IDENTIFIERS", max: 18, right: true},
		column{title: "LAST ALLOCATED", max: 19, prio: 1},
	), rows)

	section("Lineage", len(det.Lineage))
	rows = make([][]string, len(det.Lineage))
	for i, l := range det.Lineage {
		from := "—"
		if l.PredecessorWallet != nil {
			from = model.VersionName(*l.PredecessorWallet)
			if l.PredecessorIndex != nil {
				from += " #" + itoa(*l.PredecessorIndex)
			}
		}
		to := model.VersionName(l.CurrentWallet) + " #" + itoa(l.CurrentIndex)
		date := ""
		if !l.Date.IsZero() {
			date = l.Date.In(loc).Format(time.DateOnly)
		}
		rows[i] = []string{inert(l.CanonicalName), from, to, inert(l.Reason), inert(l.Status), itoa(l.Completion) + "%", date}
	}
	emit(newTable(
		column{title: "MANUFACTURER", max: 30, min: 12, flex: true},
		column{title: "FROM", max: 12},
		column{title: "TO", max: 12},
		column{title: "REASON", max: 20, prio: 2},
		column{title: "STATUS", max: 12},
		column{title: "DONE", max: 5, right: true},
		column{title: "DATE", max: 10, prio: 1},
	), rows)

	section("Recent operations", len(det.Recent))
	rows = make([][]string, len(det.Recent))
	for i, o := range det.Recent {
		rows[i] = []string{itoa64(o.Seq), dateTime(o.Time, loc), inert(o.Type), inert(o.Status), inert(o.InitiatedBy)}
	}
	emit(newTable(
		column{title: "SEQ", max: 10, right: true},
		column{title: "TIME", max: 19},
		column{title: "OPERATION", max: 40, min: 12, flex: true},
		column{title: "STATUS", max: 12, prio: 1},
		column{title: "OPERATOR", max: 20, prio: 2},
	), rows)

	out = append(out, "")
	add(s.R(s.Section, "Health history") + s.R(s.Muted, " · not available from this source yet; the latest stored state is "+healthText(sum.Health)))
	d.finish(out)
}

func (d *detailPage) finish(lines []string) {
	d.lines = lines
	d.sc.n = len(lines)
	d.sc.clamp()
}
