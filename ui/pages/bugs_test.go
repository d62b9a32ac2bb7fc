package pages

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// TestInventoryReverse: S reverses the rows, whatever the sort column (the
// name's order, the default, included), and the sort column's heading
// carries the arrow.
func TestInventoryReverse(t *testing.T) {
	inv, _ := sampleInventory(t, 200, 20, colorprofile.ANSI)
	up := []string{"v1", "v2", "v3", "v4", "v5"}
	if got := inv.names(); !slices.Equal(got, up) {
		t.Fatalf("sorted by name: %v", got)
	}
	if h := ansi.Strip(headerLine(inv.View(), "STATUS")); !strings.Contains(h, "NAME▲") {
		t.Errorf("no ascending arrow on NAME: %q", h)
	}
	press(t, inv, "S")
	down := slices.Clone(up)
	slices.Reverse(down)
	if got := inv.names(); !slices.Equal(got, down) {
		t.Errorf("S on the name: %v, want %v", got, down)
	}
	if h := ansi.Strip(headerLine(inv.View(), "STATUS")); !strings.Contains(h, "NAME▼") {
		t.Errorf("no descending arrow on NAME: %q", h)
	}
	if st := inv.Status(); !strings.Contains(st, "sort name ▼") {
		t.Errorf("status: %q", st)
	}
	// Every column the arrow moves to shows it, reversed or not.
	for range icCount {
		press(t, inv, "s")
		col := inv.sort
		title := inventoryColumns()[col].Title
		for _, arrow := range []string{"▼", "▲"} {
			marked := title + arrow
			if inventoryColumns()[col].Right { // a number's arrow goes before its title
				marked = arrow + title
			}
			if h := ansi.Strip(headerLine(inv.View(), "STATUS")); !strings.Contains(h, marked) {
				t.Errorf("sort %s: no %s in %q", title, arrow, h)
			}
			before := inv.names()
			press(t, inv, "S")
			after := inv.names()
			if slices.Equal(before, after) && !allTies(inv, col) {
				t.Errorf("sort %s: S left the rows as they were: %v", title, after)
			}
		}
	}
}

// allTies says whether every wallet has the same value in col (then S has
// nothing to reverse: ties stay in version order).
func allTies(p *Inventory, col int) bool {
	for _, r := range p.all {
		if compareWallets(col, &p.all[0].w, &r.w) != 0 {
			return false
		}
	}
	return true
}

// TestSortArrowASCII: the arrow keeps to ASCII where the styles do, and the
// fixed orders of the audit (newest first) and health (worst first) screens
// show theirs too.
func TestSortArrowASCII(t *testing.T) {
	inv, _ := sampleInventory(t, 200, 20, colorprofile.ASCII)
	if h := ansi.Strip(headerLine(inv.View(), "STATUS")); !strings.Contains(h, "NAME^") {
		t.Errorf("no ASCII ascending arrow: %q", h)
	}
	press(t, inv, "S")
	if h := ansi.Strip(headerLine(inv.View(), "STATUS")); !strings.Contains(h, "NAMEv") {
		t.Errorf("no ASCII descending arrow: %q", h)
	}
	if h := headerLine(sampleAudit(t, 120, 20).View(), "TIME"); !strings.Contains(h, "vSEQ") {
		t.Errorf("audit heading: %q", h)
	}
	hp, _ := sampleHealth(t, 120, 30)
	if h := headerLine(hp.View(), "WALLET"); !strings.Contains(h, "OVERALLv") {
		t.Errorf("health heading: %q", h)
	}
}

// TestInventoryFilterColumns: "/" matches every column as shown, in any
// case: the health word, the security level, the description.
func TestInventoryFilterColumns(t *testing.T) {
	inv, _ := sampleInventory(t, 200, 20)
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{"warn", []string{"v1", "v3"}},
		{"high", []string{"v1", "v2", "v5"}},
		{"HSM", []string{"v5"}},
		{"experimental", []string{"v4"}},
		{"deprecated", []string{"v1"}},
		{"1,204,332", []string{"v2"}},
		{"production key", []string{"v1", "v2", "v5"}},
		{"v2", []string{"v2"}},
	} {
		inv.SetFilter(c.filter)
		if got := inv.names(); !slices.Equal(got, c.want) {
			t.Errorf("/%s: %v, want %v", c.filter, got, c.want)
		}
	}
}

// TestAuditFilterDetails: "/" on the audit screen matches every column
// (the approval id included, shown or not) and the operation's details.
func TestAuditFilterDetails(t *testing.T) {
	p := sampleAudit(t, 80, 20)
	for _, c := range []struct {
		filter string
		want   []int64
	}{
		{"WAP-2026", []int64{5, 4}},
		{"wap-20260312", []int64{5}},
		{"2.3.4.5", []int64{6}},
		{"ceremony-2026", []int64{3}},
		{"key exposed", []int64{5}},
		{"2026-03-12", []int64{5}},
		{"alice", []int64{5, 2}},
		{"console_ceremony", []int64{3}},
	} {
		p.SetFilter(c.filter)
		var got []int64
		for _, r := range p.rows {
			got = append(got, r.op.Seq)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("/%s: %v, want %v", c.filter, got, c.want)
		}
	}
}

// TestHealthUnknown: a wallet with checks that are unknown (no stored
// metrics) and none that warns or fails is unknown, not healthy, on the
// health screen — in its OVERALL column — and the inventory and the detail
// say what the health screen says.
func TestHealthUnknown(t *testing.T) {
	hp, msgs := sampleHealth(t, 200, 40)
	overall := map[string]string{}
	for _, r := range hp.all {
		overall[r.cells[hcName]] = r.cells[hcOverall]
	}
	want := map[string]string{"v1": "warning", "v2": "healthy", "v3": "warning", "v4": "unhealthy", "v5": "unknown"}
	for n, w := range want {
		if overall[n] != w {
			t.Errorf("health screen: %s is %q, want %q", n, overall[n], w)
		}
	}
	if h := headerLine(hp.View(), "WALLET"); !strings.Contains(h, "OVERALL") {
		t.Errorf("no OVERALL column: %q", h)
	}

	// The inventory takes the health screen's verdict (the App hands every
	// page the messages of every other).
	inv, _ := sampleInventory(t, 200, 20)
	for _, m := range msgs {
		send(t, inv, m)
	}
	for _, r := range inv.all {
		if got, w := r.cells[icHealth], want[r.cells[icName]]; got != w {
			t.Errorf("inventory: %s is %q, want %q", r.cells[icName], got, w)
		}
	}
	for v, w := range map[int]string{2: "healthy", 5: "unknown", 3: "warning"} {
		inv.Open(v)
		send(t, inv, common.InventoryMsg{Wallets: inventoryOf(t)})
		for _, m := range msgs {
			send(t, inv, m)
		}
		if view := inv.View(); !strings.Contains(view, "health "+w) {
			t.Errorf("detail of v%d: no %q in\n%s", v, "health "+w, view)
		}
		inv.Back()
	}
}

func inventoryOf(t testing.TB) []model.WalletSummary {
	_, src := sampleInventory(t, 10, 10)
	return src.Wallets
}

// TestInventoryAllocate: a asks the App to open the allocation flow on the
// selected wallet, from the list and from the detail.
func TestInventoryAllocate(t *testing.T) {
	inv, _ := sampleInventory(t, 120, 20)
	press(t, inv, "down")
	msgs := press(t, inv, "a")
	want := common.OpenFlowMsg{Name: "allocate", Args: []string{"v2"}}
	if len(msgs) != 1 || !flowMsgEqual(msgs[0], want) {
		t.Fatalf("a on v2: %#v, want %#v", msgs, want)
	}
	inv.Open(4)
	msgs = press(t, inv, "a")
	want.Args = []string{"v4"}
	if len(msgs) != 1 || !flowMsgEqual(msgs[0], want) {
		t.Fatalf("a in the detail of v4: %#v, want %#v", msgs, want)
	}
}

func flowMsgEqual(m any, want common.OpenFlowMsg) bool {
	got, ok := m.(common.OpenFlowMsg)
	return ok && got.Name == want.Name && slices.Equal(got.Args, want.Args)
}
