package pages

import (
	"charm.land/lipgloss/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

func (p *Health) View() string {
	s := p.c.Styles
	w := p.w
	out := make([]string, 0, p.h)
	add := func(line string) { out = append(out, common.Truncate(line, w)) }

	add(p.liveLine())
	out = append(out, p.staleLines()...)
	out = append(out, p.tbl.Header(s, nil))
	switch {
	case !p.loaded:
		add(p.notLoaded("health checks"))
	case len(p.all) == 0:
		add(s.R(s.Muted, "  no wallet to check (every wallet is retired, or none exists)"))
	case len(p.rows) == 0:
		add(s.R(s.Muted, "  no wallet matches"))
	}
	start, end := p.nav.Visible()
	for i := start; i < end; i++ {
		out = append(out, p.walletRow(p.rows[i], i == p.nav.Cursor))
	}
	if len(out) < p.h {
		out = append(out, "")
		out = append(out, p.checkLines()...)
	}
	return p.clip(out)
}

// liveLine is what the console measured itself, shared by every wallet.
func (p *Health) liveLine() string {
	s := p.c.Styles
	// The shared checks as graded for any wallet (they do not depend on
	// its inputs), now and at the previous measurement.
	cur, was := p.grade(common.HealthInput{}, p.liveNow()), p.grade(common.HealthInput{}, p.liveBefore())
	part := func(label string, i int, none string) string {
		l := p.live(i)
		if l.cur == nil || p.noHSM && i != ckDB {
			return label + " " + s.R(s.Unknown, none)
		}
		r := cur.Checks[i]
		text := label + " " + s.R(s.Health(r.State), string(r.State)) + " " + r.Value
		if l.prev != nil && differs(&was.Checks[i], r, true) {
			return s.R(s.Changed, components.ChangeMark+label) + text[len(label):]
		}
		return text
	}
	hsmNone, sigNone := "not measured yet", "not measured yet"
	if p.noHSM {
		hsmNone, sigNone = "none (stored averages used)", "—"
	}
	at := p.db.at
	for _, t := range []*liveCheck{&p.hsm, &p.sig} {
		if t.at.After(at) {
			at = t.at
		}
	}
	line := s.R(s.Section, "Live") + " " + part("DB", ckDB, "not measured yet") + " · " +
		part("HSM", ckHSM, hsmNone) + " · " + part("signing", ckSign, sigNone)
	if !at.IsZero() {
		line += s.R(s.Muted, " · measured "+common.Stamp(at, p.c.Loc))
	}
	return line + s.R(s.Muted, " · "+components.ChangeMark+" changed since the last refresh")
}

func (p *Health) walletRow(v *walletView, sel bool) string {
	s := p.c.Styles
	return p.tbl.MarkedRow(s, v.cells, sel, v.changed, func(col int) *lipgloss.Style {
		var st lipgloss.Style
		switch {
		case col == hcName && v.isNew,
			col == hcChange,
			col == hcOverall && v.prevOverall != v.overall,
			col == hcStatus && v.statusChanged:
			return &s.Changed
		case col == hcOverall:
			st = s.Health(v.overall)
		case col == hcStatus:
			st = s.Status(v.in.Status)
		case col >= hcChecks && col < hcChecks+ckCount:
			c := v.checks[col-hcChecks]
			if c.changed {
				return &s.Changed
			}
			st = s.Health(c.res.State)
		default:
			return nil
		}
		return &st
	})
}

// checkLines are the selected wallet's six checks in full.
func (p *Health) checkLines() []string {
	s := p.c.Styles
	w := p.w
	v := p.selected()
	if v == nil {
		return []string{common.Truncate(s.R(s.Muted, "the checks of the wallet under the cursor show here"), w)}
	}
	title := s.R(s.Title, v.cells[hcName]) + " · " + s.R(s.Status(v.in.Status), string(v.in.Status)) +
		" · " + string(v.in.Environment) + " · overall " + s.R(s.Health(v.overall), healthText(v.overall))
	if v.prevOverall != v.overall {
		title += s.R(s.Changed, " "+components.ChangeMark+" was "+healthText(v.prevOverall))
	}
	title += s.R(s.Muted, " · trend: stored runs, oldest left, full height = the limit")
	out := []string{common.Truncate(title, w), p.checks.Header(s, nil)}
	hist := p.hist[v.in.Version]
	tw := p.checks.Widths[ccTrend]
	var notes []string
	for c := range ckCount {
		cv := v.checks[c]
		cells := p.checkCells(v, c)
		if tw > 0 {
			var pts []common.HealthPoint
			if hist != nil {
				pts = hist[c]
			}
			if len(pts) == 0 {
				cells[ccTrend] = s.R(s.Muted, "no history")
			} else {
				cells[ccTrend] = components.TrendLine(s, pts, components.TrendScale(p.c.Thresholds, model.AllChecks[c]), tw)
			}
		}
		out = append(out, p.checks.MarkedRow(s, cells, false, cv.changed, func(col int) *lipgloss.Style {
			switch {
			case cv.changed && (col == ccState || col == ccValue):
				return &s.Changed
			case col == ccState:
				st := s.Health(cv.res.State)
				return &st
			case col == ccLimit || col == ccSource:
				return &s.Muted
			}
			return nil
		}))
		if n := v.noteOf(c); n != "" {
			notes = append(notes, common.Truncate("   "+s.R(s.Health(cv.res.State), string(cv.res.Name))+": "+n, w))
		}
	}
	return append(out, notes...)
}
