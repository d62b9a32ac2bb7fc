package pages

import (
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// auditSeqs are the sequence numbers of the audit screen's rows, in order.
func auditSeqs(p *Audit) []int64 {
	var out []int64
	for _, r := range p.rows {
		out = append(out, r.op.Seq)
	}
	return out
}

// firstLine is a view's first line without styles.
func firstLine(view string) string {
	l, _, _ := strings.Cut(ansi.Strip(view), "\n")
	return l
}

// TestAuditQueryShownAndCleared: ":audit --wallet v2" says so in the
// heading and the status line, puts the cursor on the newest row that
// matches, and the zero filter (a plain ":audit", esc) clears it all.
func TestAuditQueryShownAndCleared(t *testing.T) {
	p := sampleAudit(t, 100, 20)
	press(t, p, "down", "down", "down") // on #3
	p.SetQuery(model.OpFilter{Wallet: uitest.Ptr(2)})
	if got := auditSeqs(p); len(got) != 2 || got[0] != 6 || got[1] != 2 {
		t.Fatalf("wallet v2: rows %v, want [6 2]", got)
	}
	if p.nav.Cursor != 0 {
		t.Errorf("cursor on row %d after the query, want 0 (#6, the newest)", p.nav.Cursor)
	}
	if st := p.Status(); !strings.Contains(st, "wallet v2") {
		t.Errorf("status does not say the narrowing: %q", st)
	}
	if h := firstLine(p.View()); !strings.Contains(h, "wallet v2") {
		t.Errorf("heading does not say the narrowing: %q", h)
	}

	// Nothing matches: the line says what was asked for.
	p.SetQuery(model.OpFilter{Wallet: uitest.Ptr(5)})
	if v := ansi.Strip(p.View()); !strings.Contains(v, "no operation matches (wallet v5)") {
		t.Errorf("empty narrowing:\n%s", v)
	}

	press(t, p, "down")
	p.SetQuery(model.OpFilter{})
	if got := auditSeqs(p); len(got) != 6 {
		t.Errorf("cleared: rows %v, want all six", got)
	}
	if p.nav.Cursor != 0 {
		t.Errorf("cleared: cursor on row %d, want 0", p.nav.Cursor)
	}
	if st := p.Status(); strings.Contains(st, "wallet") || strings.Contains(st, "shown") {
		t.Errorf("cleared: status still narrows: %q", st)
	}
	if h := firstLine(p.View()); strings.Contains(h, "only") {
		t.Errorf("cleared: heading still narrows: %q", h)
	}
}

// TestInventoryHas: the inventory says which wallets exist, and refuses
// none before it has loaded.
func TestInventoryHas(t *testing.T) {
	cold := NewInventory(testCommon(uitest.SampleSource()))
	if !cold.Has(9) {
		t.Error("a cold inventory refuses v9")
	}
	inv, _ := sampleInventory(t, 120, 20)
	for v, want := range map[int]bool{1: true, 5: true, 9: false, 99: false, 0: false} {
		if got := inv.Has(v); got != want {
			t.Errorf("Has(%d) = %v, want %v", v, got, want)
		}
	}
}

// helpHas says whether the page's footer keys and its full help list b.
func helpHas(short []key.Binding, full [][]key.Binding, b key.Binding) (inShort, inFull bool) {
	same := func(x key.Binding) bool { return slices.Equal(x.Keys(), b.Keys()) && x.Help() == b.Help() }
	inShort = slices.ContainsFunc(short, same)
	for _, g := range full {
		inFull = inFull || slices.ContainsFunc(g, same)
	}
	return inShort, inFull
}

// TestAuditReverse: S turns the audit screen from newest first to oldest
// first and back; the arrow on SEQ and the status line follow, and the
// footer and help list "S reverse".
func TestAuditReverse(t *testing.T) {
	p := sampleAudit(t, 100, 20)
	if got := auditSeqs(p); !slices.Equal(got, []int64{6, 5, 4, 3, 2, 1}) {
		t.Fatalf("newest first: %v", got)
	}
	press(t, p, "S")
	if got := auditSeqs(p); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("S: %v, want oldest first", got)
	}
	if h := headerLine(p.View(), "TIME"); !strings.Contains(h, "^SEQ") {
		t.Errorf("S: no ascending arrow: %q", h)
	}
	if st := p.Status(); !strings.Contains(st, "oldest first") {
		t.Errorf("S: status %q", st)
	}
	press(t, p, "S")
	if got := auditSeqs(p); !slices.Equal(got, []int64{6, 5, 4, 3, 2, 1}) {
		t.Errorf("S S: %v, want newest first", got)
	}
	if h := headerLine(p.View(), "TIME"); !strings.Contains(h, "vSEQ") {
		t.Errorf("S S: no descending arrow: %q", h)
	}
	if s, f := helpHas(p.ShortHelp(), p.FullHelp(), p.c.Keys.Reverse); !s || !f {
		t.Errorf("S reverse: in the footer %v, in the help %v", s, f)
	}
}

// TestHealthReverse: S turns the health screen from worst first to best
// first and back (ties in version order either way), with the arrow on
// OVERALL following, and the footer and help list "S reverse".
func TestHealthReverse(t *testing.T) {
	p, _ := sampleHealth(t, 200, 40)
	names := func() []string {
		var out []string
		for _, r := range p.rows {
			out = append(out, r.cells[hcName])
		}
		return out
	}
	worst := []string{"v4", "v1", "v3", "v5", "v2"}
	if got := names(); !slices.Equal(got, worst) {
		t.Fatalf("worst first: %v", got)
	}
	press(t, p, "S")
	if got, want := names(), []string{"v2", "v5", "v1", "v3", "v4"}; !slices.Equal(got, want) {
		t.Errorf("S: %v, want %v", got, want)
	}
	if h := headerLine(p.View(), "WALLET"); !strings.Contains(h, "OVERALL^") {
		t.Errorf("S: no ascending arrow: %q", h)
	}
	press(t, p, "S")
	if got := names(); !slices.Equal(got, worst) {
		t.Errorf("S S: %v, want %v", got, worst)
	}
	if h := headerLine(p.View(), "WALLET"); !strings.Contains(h, "OVERALLv") {
		t.Errorf("S S: no descending arrow: %q", h)
	}
	if s, f := helpHas(p.ShortHelp(), p.FullHelp(), p.c.Keys.Reverse); !s || !f {
		t.Errorf("S reverse: in the footer %v, in the help %v", s, f)
	}
}

// titleEnd is where title ends (in cells) on the header line of view, -1
// when it is not there.
func titleEnd(view, title string) int {
	h := []rune(headerLine(view, title))
	t := []rune(title)
	for i := len(h) - len(t); i >= 0; i-- {
		if string(h[i:i+len(t)]) == title {
			return i + len(t)
		}
	}
	return -1
}

// cellEnd is where column col of a table ends on its lines (in cells).
func cellEnd(tbl *components.Table, lead, col int) int {
	end, shown := lead, 0
	for i, w := range tbl.Widths {
		if w == 0 {
			continue
		}
		if shown > 0 {
			end += 2
		}
		shown++
		end += w
		if i == col {
			return end
		}
	}
	return -1
}

// TestRightAlignedHeadingsStay: a number's heading ends where its digits
// end, whether or not it carries the sort arrow (MFRS sorted, or not; the
// audit's SEQ, which always carries it).
func TestRightAlignedHeadingsStay(t *testing.T) {
	for _, prof := range []colorprofile.Profile{colorprofile.ANSI, colorprofile.ASCII} {
		inv, _ := sampleInventory(t, 200, 20, prof)
		for _, col := range []int{icMfrs, icPaths, icIDs, icMigr} {
			title := inventoryColumns()[col].Title
			unsorted := titleEnd(inv.View(), title)
			for inv.sort != col {
				press(t, inv, "s")
			}
			for range 2 { // ascending, then descending
				sorted := titleEnd(inv.View(), title)
				if end := cellEnd(inv.tbl, 3, col); sorted != unsorted || sorted != end {
					t.Errorf("%v %s: the title ends at %d sorted, %d not; its digits at %d", prof, title, sorted, unsorted, end)
				}
				press(t, inv, "S")
			}
			for inv.sort != icName {
				press(t, inv, "s")
			}
		}
	}
	p := sampleAudit(t, 100, 20)
	if got, want := titleEnd(p.View(), "SEQ"), cellEnd(p.tbl, 3, acSeq); got != want {
		t.Errorf("audit: SEQ ends at %d, its digits at %d", got, want)
	}
}

// TestDetailManufacturersAt60: at 60 columns the manufacturers' table
// drops an empty FROM (no manufacturer migrated in) and the least useful
// columns before IDENTIFIERS; a FROM with values shows where it fits.
func TestDetailManufacturersAt60(t *testing.T) {
	mfrs := func(inv *Inventory) string { return headerLine(inv.View(), "IDX") }
	open := func(w int, migrated bool) *Inventory {
		inv, src := sampleInventory(t, w, 80)
		det := src.Details[2]
		det.Manufacturers = slices.Clone(det.Manufacturers)
		if !migrated {
			for i := range det.Manufacturers {
				det.Manufacturers[i].MigratedFrom = nil
			}
		}
		inv.Open(2)
		send(t, inv, common.DetailMsg{Version: 2, Detail: det})
		return inv
	}
	for _, migrated := range []bool{false, true} {
		h := mfrs(open(60, migrated))
		if !strings.Contains(h, "IDENTIFIERS") {
			t.Errorf("60 columns (migrated %v): no IDENTIFIERS in %q", migrated, h)
		}
		if !migrated && strings.Contains(h, "FROM") {
			t.Errorf("60 columns: an empty FROM in %q", h)
		}
	}
	if h := mfrs(open(120, false)); strings.Contains(h, "FROM") {
		t.Errorf("120 columns: an empty FROM in %q", h)
	}
	if h := mfrs(open(120, true)); !strings.Contains(h, "FROM") || !strings.Contains(h, "IDENTIFIERS") {
		t.Errorf("120 columns: FROM or IDENTIFIERS missing in %q", h)
	}
}
