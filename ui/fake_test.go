package ui

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// t0 is the fixed clock of the deterministic tests.
var t0 = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

var errGone = errors.New("dial unix /run/postgresql/.s.PGSQL.5432: connect: connection refused")

// fakeSource serves fixed data; with fail set, every call fails like a
// database that went away.
type fakeSource struct {
	mu      sync.Mutex
	wallets []model.WalletSummary
	details map[int]model.WalletDetail
	ops     []model.Operation
	audit   AuditStatus
	health  []HealthInput
	history []HealthPoint
	latency time.Duration
	where   string

	fail  atomic.Bool
	calls atomic.Int64 // every call
	oks   atomic.Int64 // calls that succeeded
}

func (f *fakeSource) gate() error {
	f.calls.Add(1)
	if f.fail.Load() {
		return errGone
	}
	f.oks.Add(1)
	return nil
}

func (f *fakeSource) Inventory(ctx context.Context) ([]model.WalletSummary, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.WalletSummary(nil), f.wallets...), nil
}

func (f *fakeSource) WalletDetail(ctx context.Context, v, recent int) (model.WalletDetail, error) {
	if err := f.gate(); err != nil {
		return model.WalletDetail{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.details[v]
	if !ok {
		for _, w := range f.wallets {
			if w.Version == v {
				return model.WalletDetail{Wallet: w}, nil
			}
		}
		return d, errors.New("wallet " + model.VersionName(v) + ": not found")
	}
	if len(d.Recent) > recent {
		d.Recent = d.Recent[:recent]
	}
	return d, nil
}

func (f *fakeSource) Operations(ctx context.Context, of OpFilter) ([]model.Operation, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ops := f.ops
	if of.Limit > 0 && len(ops) > of.Limit {
		ops = ops[:of.Limit]
	}
	return append([]model.Operation(nil), ops...), nil
}

func (f *fakeSource) VerifyAudit(ctx context.Context) (AuditStatus, error) {
	if err := f.gate(); err != nil {
		return AuditStatus{}, err
	}
	return f.audit, nil
}

func (f *fakeSource) Ping(ctx context.Context) (time.Duration, error) {
	if err := f.gate(); err != nil {
		return 0, err
	}
	return f.latency, nil
}

func (f *fakeSource) HealthInputs(ctx context.Context) ([]HealthInput, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]HealthInput(nil), f.health...), nil
}

func (f *fakeSource) HealthHistory(ctx context.Context, n int) ([]HealthPoint, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []HealthPoint
	for i, p := range f.history {
		// The latest n of each wallet and check: count the later ones.
		later := 0
		for _, q := range f.history[i+1:] {
			if q.Wallet == p.Wallet && q.Check == p.Check {
				later++
			}
		}
		if later < n {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeSource) Where() string { return f.where }

type fakeHSM struct {
	module, token string
	loggedIn      bool
	latency       time.Duration
	err           error
	sign          time.Duration
	signErr       error
}

func (h *fakeHSM) Describe() (string, string, bool) { return h.module, h.token, h.loggedIn }
func (h *fakeHSM) Ping(ctx context.Context) (time.Duration, error) {
	return h.latency, h.err
}
func (h *fakeHSM) SignTiming(ctx context.Context) (time.Duration, error) {
	return h.sign, h.signErr
}

func ptr[T any](v T) *T { return &v }

// sampleSource is five wallets in every state that matters, with detail for
// v2 and a short operations log.
func sampleSource() *fakeSource {
	ws := []model.WalletSummary{
		{Version: 1, Name: "v1", Status: model.StatusDeprecated, Environment: model.EnvironmentProduction,
			SecurityLevel: model.SecurityLevelHigh, Description: "first production key", MasterKeyID: "plings_master_key_v1",
			CreatedAt: t0.AddDate(-2, 0, 0), Manufacturers: 3, Paths: 120_431, Identifiers: 98_112_004,
			LastAllocation: t0.Add(-26 * time.Hour), MigrationCompletion: ptr(62.5), Health: model.HealthWarning},
		{Version: 2, Name: "v2", Status: model.StatusActive, Environment: model.EnvironmentProduction,
			SecurityLevel: model.SecurityLevelHigh, IsDefault: true, Description: "current production key",
			MasterKeyID: "plings_master_key_v2", CreatedAt: t0.AddDate(-1, 0, 0), Manufacturers: 12,
			Paths: 1_204_332, Identifiers: 1_002_443_100, LastAllocation: t0.Add(-42 * time.Second), Health: model.HealthHealthy},
		{Version: 3, Name: "v3", Status: model.StatusValidated, Environment: model.EnvironmentTesting,
			SecurityLevel: model.SecurityLevelStandard, Description: "rehearsal of the next rotation",
			MasterKeyID: "plings_master_key_v3", CreatedAt: t0.AddDate(0, -1, 0), Health: model.HealthUnknown},
		{Version: 4, Name: "v4", Status: model.StatusCompromised, Environment: model.EnvironmentDevelopment,
			SecurityLevel: model.SecurityLevelExperimental, Description: "lab key, exposed in a test",
			MasterKeyID: "plings_master_key_v4", CreatedAt: t0.AddDate(0, -3, 0), Manufacturers: 1, Paths: 17,
			Identifiers: 170, LastAllocation: t0.AddDate(0, 0, -40), Health: model.HealthUnhealthy},
		{Version: 5, Name: "v5", Status: model.StatusCreated, Environment: model.EnvironmentProduction,
			SecurityLevel: model.SecurityLevelHigh, Description: "next production key, from the March ceremony",
			MasterKeyID: "plings_master_key_v5", CreatedAt: t0.Add(-3 * time.Hour), Health: model.HealthUnknown},
	}
	ops := []model.Operation{
		{Seq: 6, Type: "allocate_path", Wallet: ptr(2), Status: "completed", InitiatedBy: "ikea-service", DBUser: "console_operator",
			Details: json.RawMessage(`{"path":"2.3.4.5.10","quantity":1000,"type":"production"}`), Time: t0.Add(-42 * time.Second),
			PrevHash: []byte{0xab, 0xcd}, RowHash: []byte{0x12, 0x34}},
		{Seq: 5, Type: "status_change", Wallet: ptr(4), Status: "completed", InitiatedBy: "alice", ApprovalID: "WAP-20260312101500",
			DBUser: "console_operator", Details: json.RawMessage(`{"from":"active","to":"compromised","reason":"key exposed in test logs"}`),
			Time: t0.Add(-48 * time.Hour)},
		{Seq: 4, Type: "status_change", Wallet: ptr(1), Status: "completed", InitiatedBy: "bob", ApprovalID: "WAP-20260301090000",
			DBUser: "console_operator", Details: json.RawMessage(`{"from":"active","to":"deprecated"}`), Time: t0.AddDate(0, 0, -13)},
		{Seq: 3, Type: "wallet_imported", Wallet: ptr(3), Status: "completed", InitiatedBy: "carol", DBUser: "console_ceremony",
			Details: json.RawMessage(`{"transcript":"ceremony-2026-02-14.json"}`), Time: t0.AddDate(0, -1, 0)},
		{Seq: 2, Type: "set_default", Wallet: ptr(2), Status: "completed", InitiatedBy: "alice", DBUser: "console_operator",
			Details: json.RawMessage(`{}`), Time: t0.AddDate(-1, 0, 0)},
		{Seq: 1, Type: "schema_migrated", Status: "completed", InitiatedBy: "console", DBUser: "console_owner",
			Details: json.RawMessage(`{"version":7}`), Time: t0.AddDate(-2, 0, 0)},
	}
	det := model.WalletDetail{
		Wallet: ws[1],
		Manufacturers: []model.Manufacturer{
			{Index: 1, Name: "Plings", Status: "active", DelegationLevel: "full", Organization: "Plings AS", RegisteredAt: t0.AddDate(-1, 0, 0), Paths: 4_012, Identifiers: 4_012_000},
			{Index: 2, Name: "IKEA", Status: "active", DelegationLevel: "partial", Organization: "IKEA of Sweden", RegisteredAt: t0.AddDate(-1, 0, 2), MigratedFrom: ptr(1), Paths: 1_200_000, Identifiers: 998_000_000},
			{Index: 3, Name: "Nestlé", Status: "migrating", DelegationLevel: "none", RegisteredAt: t0.AddDate(0, -2, 0), MigratedFrom: ptr(1), Paths: 320, Identifiers: 431_100},
		},
		Allocations: []model.AllocationStats{
			{Type: "production", Status: "active", Paths: 1_204_000, Identifiers: 1_002_400_000, LastAllocatedAt: t0.Add(-42 * time.Second)},
			{Type: "test", Status: "active", Paths: 332, Identifiers: 43_100, LastAllocatedAt: t0.AddDate(0, 0, -3)},
		},
		Lineage: []model.Lineage{
			{CanonicalName: "ikea", CurrentWallet: 2, CurrentIndex: 2, PredecessorWallet: ptr(1), PredecessorIndex: ptr(2), Reason: "rotation", Status: "completed", Completion: 100, Date: t0.AddDate(0, -6, 0)},
			{CanonicalName: "nestle", CurrentWallet: 2, CurrentIndex: 3, PredecessorWallet: ptr(1), PredecessorIndex: ptr(3), Reason: "rotation", Status: "in_progress", Completion: 25, Date: t0.AddDate(0, -2, 0)},
		},
		Recent: []model.Operation{ops[0], ops[4]},
	}
	return &fakeSource{
		wallets: ws,
		details: map[int]model.WalletDetail{2: det},
		ops:     ops,
		health:  sampleHealth(),
		history: sampleHistory(),
		audit:   AuditStatus{OK: true, Rows: 6},
		latency: 1200 * time.Microsecond,
		where:   "console@/run/postgresql:5432/wallets (embedded)",
	}
}

func sampleHSM() *fakeHSM {
	return &fakeHSM{module: "/usr/lib/softhsm/libsofthsm2.so", token: "plings-ceremony", loggedIn: true,
		latency: 300 * time.Microsecond, sign: 412 * time.Microsecond}
}

// sampleHealth is the stored inputs of the sample wallets: v1 has too many
// errors (warning), v3 an open warning alert, v4 a critical one and slow
// allocation; v3 and v5 have no daily metrics yet.
func sampleHealth() []HealthInput {
	day := t0.AddDate(0, 0, -1).Truncate(24 * time.Hour)
	ms := func(x float64) *time.Duration { d := time.Duration(x * float64(time.Millisecond)); return &d }
	return []HealthInput{
		{Version: 1, Name: "v1", Status: model.StatusDeprecated, Environment: model.EnvironmentProduction, MetricDate: &day,
			AllocationAvg: ms(245.2), SignatureAvg: ms(8.2), HSMResponseAvg: ms(12.1), Errors: 120, Requests: 80_000},
		{Version: 2, Name: "v2", Status: model.StatusActive, Environment: model.EnvironmentProduction, MetricDate: &day,
			AllocationAvg: ms(231.5), SignatureAvg: ms(9.1), HSMResponseAvg: ms(21.3), Errors: 3, Requests: 10_000},
		{Version: 3, Name: "v3", Status: model.StatusValidated, Environment: model.EnvironmentTesting, OpenWarnings: 1},
		{Version: 4, Name: "v4", Status: model.StatusCompromised, Environment: model.EnvironmentDevelopment, MetricDate: &day,
			AllocationAvg: ms(612), SignatureAvg: ms(8.4), HSMResponseAvg: ms(11.9), Errors: 0, Requests: 40, OpenCritical: 1},
		{Version: 5, Name: "v5", Status: model.StatusCreated, Environment: model.EnvironmentProduction},
	}
}

// sampleHistory is 48 runs of each check, every 6 hours, for v1 and v2 (v1
// with a slow allocation and an error-rate warning along the way), the last
// 12 for v4 (allocation slower and slower, a critical alert at the end) and
// the last 5 for v3; v5 has none.
func sampleHistory() []HealthPoint {
	var out []HealthPoint
	add := func(w, n int) {
		for c, name := range model.AllChecks {
			for i := range n {
				at := t0.Add(-time.Duration(n-1-i) * 6 * time.Hour)
				wave := float64((i*7+c*3)%11) / 10 // 0 … 1, a fixed ragged pattern
				var v float64
				state := model.HealthHealthy
				switch name {
				case model.CheckHSMConnectivity:
					v = 12 + 9*wave
				case model.CheckSignaturePerformance:
					v = 8 + 1.5*wave
				case model.CheckPathAllocationRate:
					v = 220 + 60*wave
					if w == 1 && i == n-9 {
						v, state = 540, model.HealthWarning
					}
					if w == 4 { // slower and slower
						v = 380 + float64(i)*20
						if v > 500 {
							state = model.HealthWarning
						}
					}
				case model.CheckDatabaseResponse:
					v = 3 + 15*wave
				case model.CheckErrorRate:
					v = 0.01 + 0.04*wave
					if w == 1 && i >= n-3 {
						v, state = 0.15, model.HealthWarning
					}
				case model.CheckSecurityAlerts:
					if w == 3 {
						v, state = 1, model.HealthWarning
					}
					if w == 4 && i >= n-2 {
						v, state = 1, model.HealthFailed
					}
				}
				out = append(out, HealthPoint{Wallet: w, Check: name, At: at, State: state, Value: ptr(v)})
			}
		}
	}
	add(1, 48)
	add(2, 48)
	add(3, 5)
	add(4, 12)
	return out
}

// testApp is an App on fake sources with a fixed clock, no timers and no
// terminal styles; clock advances it.
type testApp struct {
	*App
	src *fakeSource
	now time.Time
}

func newTestApp(tb testing.TB, src *fakeSource, hsm HSMStatus, mutate ...func(*Options)) *testApp {
	tb.Helper()
	ta := &testApp{src: src, now: t0}
	o := Options{
		Source:   src,
		Refresh:  -1,
		Profile:  colorprofile.NoTTY,
		Now:      func() time.Time { return ta.now },
		Location: time.UTC,
	}
	if hsm != nil {
		o.HSM = hsm
	}
	for _, m := range mutate {
		m(&o)
	}
	ta.App = NewApp(o)
	ta.after = func(time.Duration, tea.Msg) tea.Cmd { return nil }
	return ta
}

// start sizes the app and runs Init's loads to the end.
func (ta *testApp) start(tb testing.TB, w, h int) *testApp {
	tb.Helper()
	ta.size(w, h)
	ta.run(tb, ta.Init())
	return ta
}

func (ta *testApp) size(w, h int) {
	ta.Update(tea.WindowSizeMsg{Width: w, Height: h})
}

// run executes commands synchronously and feeds their messages back until
// none is left. Timers are off (after returns nil), so nothing sleeps.
func (ta *testApp) run(tb testing.TB, cmd tea.Cmd) {
	tb.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 100_000 {
			tb.Fatal("commands do not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch m := c().(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, m...)
		default:
			_, next := ta.Update(m)
			queue = append(queue, next)
		}
	}
}

// keyMsg makes the key press that msg.String() reports as k.
func keyMsg(k string) tea.KeyPressMsg { return uitest.KeyMsg(k) }

// press sends keys ("enter", "q", …) and runs what they start.
func (ta *testApp) press(tb testing.TB, keys ...string) {
	tb.Helper()
	for _, k := range keys {
		_, cmd := ta.Update(keyMsg(k))
		ta.run(tb, cmd)
	}
}

// typeText types every rune of s.
func (ta *testApp) typeText(tb testing.TB, s string) {
	tb.Helper()
	for _, r := range s {
		_, cmd := ta.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
		ta.run(tb, cmd)
	}
}

// refresh is the r key: every load again.
func (ta *testApp) refresh(tb testing.TB) { ta.press(tb, "r") }

func (ta *testApp) screen() string { return ta.View().Content }
