package ui

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

func manyWallets(n int) []model.WalletSummary {
	ws := make([]model.WalletSummary, n)
	for i := range ws {
		v := i + 1
		ws[i] = model.WalletSummary{
			Version: v, Name: model.VersionName(v),
			Status:        model.AllStatuses[i%len(model.AllStatuses)],
			Environment:   model.AllEnvironments[i%len(model.AllEnvironments)],
			SecurityLevel: model.AllSecurityLevels[i%len(model.AllSecurityLevels)],
			IsDefault:     v == 2, Description: fmt.Sprintf("wallet number %d of a long list", v),
			Manufacturers: i % 40, Paths: int64(i) * 1234, Identifiers: int64(i) * 987_654,
			LastAllocation: uitest.T0.Add(-time.Duration(i) * time.Minute), Health: []model.HealthState{model.HealthHealthy, model.HealthWarning, model.HealthUnhealthy, model.HealthUnknown}[i%4],
		}
	}
	return ws
}

// bigDetail is a wallet with 100,000 allocations spread over 2,000
// manufacturers, with lineage and a full page of operations.
func bigDetail() model.WalletDetail {
	d := model.WalletDetail{Wallet: manyWallets(2)[1]}
	d.Wallet.Paths, d.Wallet.Manufacturers = 100_000, 2_000
	for i := range 2_000 {
		d.Manufacturers = append(d.Manufacturers, model.Manufacturer{Index: i + 1, Name: fmt.Sprintf("Manufacturer %d", i+1),
			Status: "active", DelegationLevel: "partial", Organization: "Org", RegisteredAt: uitest.T0, Paths: 50, Identifiers: 50_000})
		if i%10 == 0 {
			d.Lineage = append(d.Lineage, model.Lineage{CanonicalName: fmt.Sprintf("m%d", i), CurrentWallet: 2, CurrentIndex: i + 1,
				PredecessorWallet: uitest.Ptr(1), PredecessorIndex: uitest.Ptr(i + 1), Reason: "rotation", Status: "in_progress", Completion: i % 100, Date: uitest.T0})
		}
	}
	for _, typ := range model.AllocationTypes {
		d.Allocations = append(d.Allocations, model.AllocationStats{Type: typ, Status: "active", Paths: 25_000, Identifiers: 25_000_000, LastAllocatedAt: uitest.T0})
	}
	for i := range 200 {
		d.Recent = append(d.Recent, model.Operation{Seq: int64(1000 - i), Type: "allocate_path", Wallet: uitest.Ptr(2), Status: "completed",
			InitiatedBy: "svc", Details: json.RawMessage(`{}`), Time: uitest.T0})
	}
	return d
}

// benchApp is a started app with real (TrueColor) styles, the costly case.
func benchApp(b *testing.B, src *uitest.Source) *testApp {
	ta := newTestApp(b, src, uitest.SampleHSM(), func(o *Options) { o.Profile = colorprofile.TrueColor; o.RecentOps = 200 })
	return ta.start(b, 120, 40)
}

func BenchmarkInventoryView(b *testing.B) {
	for _, n := range []int{5, 10_000} {
		b.Run(fmt.Sprintf("wallets=%d", n), func(b *testing.B) {
			src := uitest.SampleSource()
			src.Wallets = manyWallets(n)
			ta := benchApp(b, src)
			ta.press(b, "pgdown") // scrolled, cursor mid-list
			b.ResetTimer()
			for b.Loop() {
				_ = ta.View()
			}
		})
	}
}

func BenchmarkDetailView(b *testing.B) {
	src := uitest.SampleSource()
	src.Details[2] = bigDetail()
	ta := benchApp(b, src)
	ta.press(b, "down", "enter", "pgdown", "pgdown")
	if ta.inv.DetailLines() < 2_000 {
		b.Fatalf("detail has %d lines", ta.inv.DetailLines())
	}
	b.ResetTimer()
	for b.Loop() {
		_ = ta.View()
	}
}

// BenchmarkDetailLoad is the cost of taking a big detail in (Update), paid
// once per refresh, not per frame.
func BenchmarkDetailLoad(b *testing.B) {
	src := uitest.SampleSource()
	src.Details[2] = bigDetail()
	ta := benchApp(b, src)
	ta.press(b, "down", "enter")
	msg := common.DetailMsg{Result: common.Result{Key: "detail/v2"}, Version: 2, Detail: bigDetail()}
	b.ResetTimer()
	for b.Loop() {
		ta.Update(msg)
	}
}

// BenchmarkInventoryLoad is the cost of taking 10,000 wallets in.
func BenchmarkInventoryLoad(b *testing.B) {
	src := uitest.SampleSource()
	ta := benchApp(b, src)
	msg := common.InventoryMsg{Result: common.Result{Key: "inventory"}, Wallets: manyWallets(10_000)}
	b.ResetTimer()
	for b.Loop() {
		ta.Update(msg)
	}
}

// BenchmarkFilterKeystroke is one key typed into "/" over 10,000 wallets.
func BenchmarkFilterKeystroke(b *testing.B) {
	src := uitest.SampleSource()
	src.Wallets = manyWallets(10_000)
	ta := benchApp(b, src)
	ta.press(b, "/")
	k1, k2 := keyMsg("1"), keyMsg("backspace")
	b.ResetTimer()
	for b.Loop() {
		ta.Update(k1)
		ta.Update(k2)
	}
}

var _ tea.Model = (*App)(nil)
