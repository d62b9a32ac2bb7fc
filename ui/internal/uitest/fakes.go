package uitest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// T0 is the fixed clock of the deterministic tests.
var T0 = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// ErrGone is the error of a database that went away.
var ErrGone = errors.New("dial unix /run/postgresql/.s.PGSQL.5432: connect: connection refused")

// Source serves fixed data; with Fail set, every call fails like a
// database that went away.
type Source struct {
	Mu        sync.Mutex
	Wallets   []model.WalletSummary
	Details   map[int]model.WalletDetail
	Ops       []model.Operation
	Audit     common.AuditStatus
	Health    []common.HealthInput
	History   []common.HealthPoint
	Latency   time.Duration
	WhereText string
	// Migs, when set, replace the sample migrations of NewMigrations.
	Migs []common.Migration

	Fail  atomic.Bool
	Calls atomic.Int64 // every call
	OKs   atomic.Int64 // calls that succeeded
}

func (f *Source) gate() error {
	f.Calls.Add(1)
	if f.Fail.Load() {
		return ErrGone
	}
	f.OKs.Add(1)
	return nil
}

func (f *Source) Inventory(ctx context.Context) ([]model.WalletSummary, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return append([]model.WalletSummary(nil), f.Wallets...), nil
}

func (f *Source) WalletDetail(ctx context.Context, v, recent int) (model.WalletDetail, error) {
	if err := f.gate(); err != nil {
		return model.WalletDetail{}, err
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	d, ok := f.Details[v]
	if !ok {
		for _, w := range f.Wallets {
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

func (f *Source) Operations(ctx context.Context, of common.OpFilter) ([]model.Operation, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	ops := f.Ops
	if of.Limit > 0 && len(ops) > of.Limit {
		ops = ops[:of.Limit]
	}
	return append([]model.Operation(nil), ops...), nil
}

func (f *Source) VerifyAudit(ctx context.Context) (common.AuditStatus, error) {
	if err := f.gate(); err != nil {
		return common.AuditStatus{}, err
	}
	return f.Audit, nil
}

func (f *Source) Ping(ctx context.Context) (time.Duration, error) {
	if err := f.gate(); err != nil {
		return 0, err
	}
	return f.Latency, nil
}

func (f *Source) HealthInputs(ctx context.Context) ([]common.HealthInput, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return append([]common.HealthInput(nil), f.Health...), nil
}

func (f *Source) HealthHistory(ctx context.Context, n int) ([]common.HealthPoint, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []common.HealthPoint
	for i, p := range f.History {
		// The latest n of each wallet and check: count the later ones.
		later := 0
		for _, q := range f.History[i+1:] {
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

func (f *Source) Where() string { return f.WhereText }

// HSM is a token that answers with fixed timings (and errors, when set).
type HSM struct {
	Module, Token string
	LoggedIn      bool
	Latency       time.Duration
	Err           error
	Sign          time.Duration
	SignErr       error
}

func (h *HSM) Describe() (string, string, bool) { return h.Module, h.Token, h.LoggedIn }
func (h *HSM) Ping(ctx context.Context) (time.Duration, error) {
	return h.Latency, h.Err
}
func (h *HSM) SignTiming(ctx context.Context) (time.Duration, error) {
	return h.Sign, h.SignErr
}

// Ptr is a pointer to a copy of v.
func Ptr[T any](v T) *T { return &v }

// SampleSource is five wallets in every state that matters, with detail for
// v2 and a short operations log.
func SampleSource() *Source {
	ws := []model.WalletSummary{
		{Version: 1, Name: "v1", Status: model.StatusDeprecated, Environment: model.EnvironmentProduction,
			SecurityLevel: model.SecurityLevelHigh, Description: "first production key", MasterKeyID: "plings_master_key_v1",
			CreatedAt: T0.AddDate(-2, 0, 0), Manufacturers: 3, Paths: 120_431, Identifiers: 98_112_004,
			LastAllocation: T0.Add(-26 * time.Hour), MigrationCompletion: Ptr(62.5), Health: model.HealthWarning},
		{Version: 2, Name: "v2", Status: model.StatusActive, Environment: model.EnvironmentProduction,
			SecurityLevel: model.SecurityLevelHigh, IsDefault: true, Description: "current production key",
			MasterKeyID: "plings_master_key_v2", CreatedAt: T0.AddDate(-1, 0, 0), Manufacturers: 12,
			Paths: 1_204_332, Identifiers: 1_002_443_100, LastAllocation: T0.Add(-42 * time.Second), Health: model.HealthHealthy},
		{Version: 3, Name: "v3", Status: model.StatusValidated, Environment: model.EnvironmentTesting,
			SecurityLevel: model.SecurityLevelStandard, Description: "rehearsal of the next rotation",
			MasterKeyID: "plings_master_key_v3", CreatedAt: T0.AddDate(0, -1, 0), Health: model.HealthWarning},
		{Version: 4, Name: "v4", Status: model.StatusCompromised, Environment: model.EnvironmentDevelopment,
			SecurityLevel: model.SecurityLevelExperimental, Description: "lab key, exposed in a test",
			MasterKeyID: "plings_master_key_v4", CreatedAt: T0.AddDate(0, -3, 0), Manufacturers: 1, Paths: 17,
			Identifiers: 170, LastAllocation: T0.AddDate(0, 0, -40), Health: model.HealthUnhealthy},
		{Version: 5, Name: "v5", Status: model.StatusCreated, Environment: model.EnvironmentProduction,
			SecurityLevel: model.SecurityLevelHigh, Description: "next production key, from the March HSM ceremony",
			MasterKeyID: "plings_master_key_v5", CreatedAt: T0.Add(-3 * time.Hour), Health: model.HealthUnknown},
	}
	ops := []model.Operation{
		{Seq: 6, Type: "allocate_path", Wallet: Ptr(2), Status: "completed", InitiatedBy: "ikea-service", DBUser: "console_operator",
			Details: json.RawMessage(`{"path":"2.3.4.5.10","quantity":1000,"type":"production"}`), Time: T0.Add(-42 * time.Second),
			PrevHash: []byte{0xab, 0xcd}, RowHash: []byte{0x12, 0x34}},
		{Seq: 5, Type: "status_change", Wallet: Ptr(4), Status: "completed", InitiatedBy: "alice", ApprovalID: "WAP-20260312101500",
			DBUser: "console_operator", Details: json.RawMessage(`{"from":"active","to":"compromised","reason":"key exposed in test logs"}`),
			Time: T0.Add(-48 * time.Hour)},
		{Seq: 4, Type: "status_change", Wallet: Ptr(1), Status: "completed", InitiatedBy: "bob", ApprovalID: "WAP-20260301090000",
			DBUser: "console_operator", Details: json.RawMessage(`{"from":"active","to":"deprecated"}`), Time: T0.AddDate(0, 0, -13)},
		{Seq: 3, Type: "wallet_imported", Wallet: Ptr(3), Status: "completed", InitiatedBy: "carol", DBUser: "console_ceremony",
			Details: json.RawMessage(`{"transcript":"ceremony-2026-02-14.json"}`), Time: T0.AddDate(0, -1, 0)},
		{Seq: 2, Type: "set_default", Wallet: Ptr(2), Status: "completed", InitiatedBy: "alice", DBUser: "console_operator",
			Details: json.RawMessage(`{}`), Time: T0.AddDate(-1, 0, 0)},
		{Seq: 1, Type: "schema_migrated", Status: "completed", InitiatedBy: "console", DBUser: "console_owner",
			Details: json.RawMessage(`{"version":7}`), Time: T0.AddDate(-2, 0, 0)},
	}
	det := model.WalletDetail{
		Wallet: ws[1],
		Manufacturers: []model.Manufacturer{
			{Index: 1, Name: "Plings", Status: "active", DelegationLevel: "full", Organization: "Plings AS", RegisteredAt: T0.AddDate(-1, 0, 0), Paths: 4_012, Identifiers: 4_012_000},
			{Index: 2, Name: "IKEA", Status: "active", DelegationLevel: "partial", Organization: "IKEA of Sweden", RegisteredAt: T0.AddDate(-1, 0, 2), MigratedFrom: Ptr(1), Paths: 1_200_000, Identifiers: 998_000_000},
			{Index: 3, Name: "Nestlé", Status: "migrating", DelegationLevel: "none", RegisteredAt: T0.AddDate(0, -2, 0), MigratedFrom: Ptr(1), Paths: 320, Identifiers: 431_100},
		},
		Allocations: []model.AllocationStats{
			{Type: "production", Status: "active", Paths: 1_204_000, Identifiers: 1_002_400_000, LastAllocatedAt: T0.Add(-42 * time.Second)},
			{Type: "test", Status: "active", Paths: 332, Identifiers: 43_100, LastAllocatedAt: T0.AddDate(0, 0, -3)},
		},
		Lineage: []model.Lineage{
			{CanonicalName: "ikea", CurrentWallet: 2, CurrentIndex: 2, PredecessorWallet: Ptr(1), PredecessorIndex: Ptr(2), Reason: "rotation", Status: "completed", Completion: 100, Date: T0.AddDate(0, -6, 0)},
			{CanonicalName: "nestle", CurrentWallet: 2, CurrentIndex: 3, PredecessorWallet: Ptr(1), PredecessorIndex: Ptr(3), Reason: "rotation", Status: "in_progress", Completion: 25, Date: T0.AddDate(0, -2, 0)},
		},
		Recent: []model.Operation{ops[0], ops[4]},
	}
	return &Source{
		Wallets:   ws,
		Details:   map[int]model.WalletDetail{2: det},
		Ops:       ops,
		Health:    SampleHealth(),
		History:   SampleHistory(),
		Audit:     common.AuditStatus{OK: true, Rows: 6},
		Latency:   1200 * time.Microsecond,
		WhereText: "console@/run/postgresql:5432/wallets (embedded)",
	}
}

// SampleHSM is a logged-in SoftHSM token, fast.
func SampleHSM() *HSM {
	return &HSM{Module: "/usr/lib/softhsm/libsofthsm2.so", Token: "plings-ceremony", LoggedIn: true,
		Latency: 300 * time.Microsecond, Sign: 412 * time.Microsecond}
}

// SampleHealth is the stored inputs of the sample wallets: v1 has too many
// errors (warning), v3 an open warning alert, v4 a critical one and slow
// allocation; v3 and v5 have no daily metrics yet.
func SampleHealth() []common.HealthInput {
	day := T0.AddDate(0, 0, -1).Truncate(24 * time.Hour)
	ms := func(x float64) *time.Duration { d := time.Duration(x * float64(time.Millisecond)); return &d }
	return []common.HealthInput{
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

// SampleHistory is 48 runs of each check, every 6 hours, for v1 and v2 (v1
// with a slow allocation and an error-rate warning along the way), the last
// 12 for v4 (allocation slower and slower, a critical alert at the end) and
// the last 5 for v3; v5 has none.
func SampleHistory() []common.HealthPoint {
	var out []common.HealthPoint
	add := func(w, n int) {
		for c, name := range model.AllChecks {
			for i := range n {
				at := T0.Add(-time.Duration(n-1-i) * 6 * time.Hour)
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
				out = append(out, common.HealthPoint{Wallet: w, Check: name, At: at, State: state, Value: Ptr(v)})
			}
		}
	}
	add(1, 48)
	add(2, 48)
	add(3, 5)
	add(4, 12)
	return out
}

// Requests keeps creation requests in memory and applies the database's
// two-person rule to its login, so the flow shows the refusals a person meets.
type Requests struct {
	Mu        sync.Mutex
	LoginName string
	Reqs      []model.CreationRequest
	Exported  map[string]string // path → id
	n         int
	seq       int64 // the fake log's last row
}

// NewRequests is an empty request store that decides as login.
func NewRequests(login string) *Requests {
	return &Requests{LoginName: login, Exported: map[string]string{}}
}

func (f *Requests) Login() string { return f.LoginName }

func (f *Requests) Requests(ctx context.Context) ([]model.CreationRequest, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := slices.Clone(f.Reqs)
	slices.Reverse(out)
	return out, nil
}

func (f *Requests) FileRequest(ctx context.Context, r model.NewRequest) (string, []int64, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if r.Purpose == "" || r.Reason == "" {
		return "", nil, errors.New("purpose and reason are required")
	}
	f.n++
	id := "WCR-2026-03-14-00" + common.Itoa(f.n)
	f.Reqs = append(f.Reqs, model.CreationRequest{NewRequest: r, ID: id, RequestedBy: f.LoginName, RequestDate: T0,
		RequiredApprovals: model.RequiredApprovals(r.Environment, r.RiskLevel), Status: "pending"})
	return id, f.audit(), nil
}

// audit is the next audit row's number, as the database would give it.
func (f *Requests) audit() []int64 {
	f.seq++
	return []int64{100 + f.seq}
}

func (f *Requests) DecideRequest(ctx context.Context, id, role, decision, reason string) (model.CreationRequest, []int64, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for i := range f.Reqs {
		q := &f.Reqs[i]
		if q.ID != id {
			continue
		}
		if q.RequestedBy == f.LoginName {
			return *q, nil, errors.New("two-person rule: " + f.LoginName + " filed request " + id + " and cannot approve it")
		}
		q.Approvals = append(q.Approvals, model.Approval{Role: role, Approver: f.LoginName, Decision: model.Decision(decision), Reason: reason, DecidedAt: T0})
		if decision == "rejected" {
			q.Status = "rejected"
		} else if len(q.WaitingFor()) == 0 {
			q.Status, q.ApprovalID, q.ValidUntil = "approved", "WAP-20260314093000", T0.Add(7*24*time.Hour)
		}
		return *q, f.audit(), nil
	}
	return model.CreationRequest{}, nil, errors.New("there is no creation request " + id)
}

func (f *Requests) ExportRequest(ctx context.Context, id, path string) (string, []int64, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if _, ok := f.Exported[path]; ok {
		return "", nil, errors.New(path + " already exists and is never overwritten; choose another file name")
	}
	f.Exported[path] = id
	return "wrote " + path + ": request " + id + ", 3 witnesses, next version v6", f.audit(), nil
}

// Ceremony plays the ceremony's steps; a signature "bad" is refused, a
// request path "expired" is refused, and it remembers every secret it was
// given so tests can check none reaches the screen.
type Ceremony struct {
	Mu        sync.Mutex
	Calls     []string
	Secrets   []string
	Witnesses int
	Closings  int
	KeyMade   bool
	Ended     bool
	Aborted   string // step and reason
	// Rehearse makes the offline check a rehearsal (as --net-root does).
	Rehearse bool
}

func (f *Ceremony) log(s string) { f.Mu.Lock(); f.Calls = append(f.Calls, s); f.Mu.Unlock() }

func (f *Ceremony) ID() string { return "WKC-20260314-093000-abc123" }
func (f *Ceremony) Steps() []common.CeremonyStep {
	var out []common.CeremonyStep
	for _, st := range CeremonySteps {
		n := st.Name
		st.Title, st.Describe = strings.ToUpper(n[:1])+n[1:], "this step does "+n+"."
		out = append(out, st)
	}
	return out
}

// CeremonySteps are the steps as package ceremony declares them (which ui
// may not import), titles and descriptions left out: the fake gives its own.
var CeremonySteps = []common.CeremonyStep{
	{Name: "request", Action: model.ActLoadRequest, Inputs: []model.CeremonyInput{{Label: "request file", Kind: model.InputText, Required: true,
		Hint: "the file `console request export` wrote, on the removable media"}}},
	{Name: "offline", Action: model.ActCheckOffline, Override: &model.CeremonyInput{Label: "override", Kind: model.InputText, Required: true,
		Hint: "REHEARSAL ONLY: why this ceremony runs on a connected machine; it is recorded and the wallet cannot be imported"}},
	{Name: "hsm", Action: model.ActOpenHSM, Inputs: []model.CeremonyInput{{Label: "PIN", Kind: model.InputSecret, Required: true,
		Hint: "the token's user PIN; never shown, logged or recorded"}}},
	{Name: "witnesses", Action: model.ActAddWitness, Signs: model.SignChallenge, SignWith: "ssh-keygen -Y sign -f KEY -n wallet-ceremony@plings.io FILE",
		Inputs: []model.CeremonyInput{{Label: "signature", Kind: model.InputFileOrPaste, Required: true,
			Hint: "file with the witness's signature (e.g. /media/usb/alice.sig), or paste it"}}},
	{Name: "entropy", Action: model.ActMixEntropy, Inputs: []model.CeremonyInput{{Label: "entropy", Kind: model.InputSecret, Required: true,
		Hint: "type dice rolls or other entropy, at least 16 characters; only its digest is recorded"}}},
	{Name: "key", Action: model.ActGenerateKey},
	{Name: "backup", Action: model.ActBackup, Inputs: []model.CeremonyInput{
		{Label: "backup token", Kind: model.InputText, Hint: "label of the backup token; empty: backed up out of band, proof later"},
		{Label: "backup PIN", Kind: model.InputSecret, Hint: "the backup token's user PIN"}}},
	{Name: "close", Action: model.ActAddClosingSignature, Signs: model.SignFinal, SignWith: "ssh-keygen -Y sign -f KEY -n wallet-ceremony@plings.io FILE",
		Inputs: []model.CeremonyInput{{Label: "signature", Kind: model.InputFileOrPaste, Required: true,
			Hint: "file with the witness's signature (e.g. /media/usb/alice.sig), or paste it"}}},
}

func (f *Ceremony) LoadRequest(path string) (string, error) {
	f.log("request " + path)
	if strings.Contains(path, "expired") {
		return "", errors.New("approval WAP-20260301000000 expired at 2026-03-08 00:00; have the request approved again")
	}
	return "request WCR-2026-03-14-001 approved as WAP-20260314093000; wallet v6", nil
}
func (f *Ceremony) CheckOffline(override string) (string, error) {
	f.log("offline " + override)
	if f.Rehearse || override != "" {
		f.Mu.Lock()
		f.Rehearse = true
		f.Mu.Unlock()
		return "REHEARSAL: the check read testdata, not this machine", nil
	}
	return "offline: only lo is up, no default route", nil
}

// Rehearsal reports whether the offline check was a rehearsal.
func (f *Ceremony) Rehearsal() bool {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.Rehearse && f.hasCalled("offline")
}

func (f *Ceremony) hasCalled(prefix string) bool {
	for _, c := range f.Calls {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}
func (f *Ceremony) OpenHSM(pin []byte) (string, error) {
	f.Mu.Lock()
	f.Secrets = append(f.Secrets, string(pin))
	f.Mu.Unlock()
	f.log("hsm")
	return "logged in to token ceremony", nil
}
func (f *Ceremony) Challenge() (string, string, error) {
	return "wallet-ceremony challenge\nceremony: WKC-20260314-093000-abc123\n", "/media/usb/challenge.txt", nil
}
func (f *Ceremony) sig(s string, n *int) (common.Progress, error) {
	if strings.Contains(s, "bad") {
		return common.Progress{}, errors.New("signed with key SHA256:xyz which is not on the roster of request WCR-2026-03-14-001")
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	*n++
	return common.Progress{Name: "w" + common.Itoa(*n), Done: *n, Need: 3}, nil
}
func (f *Ceremony) AddWitness(s string) (common.Progress, error) {
	f.log("witness " + s)
	return f.sig(s, &f.Witnesses)
}
func (f *Ceremony) MixEntropy(e []byte) (string, error) {
	f.Mu.Lock()
	f.Secrets = append(f.Secrets, string(e))
	f.Mu.Unlock()
	f.log("entropy")
	return "mixed " + common.Itoa(len(e)) + " bytes", nil
}
func (f *Ceremony) GenerateKey() (string, error) {
	f.log("key")
	f.Mu.Lock()
	f.KeyMade = true
	f.Mu.Unlock()
	return "plings_master_key_v6 fingerprint ab12", nil
}
func (f *Ceremony) Backup(token string, pin []byte) (string, error) {
	f.log("backup " + token)
	return "out-of-band backup recorded; proof pending", nil
}
func (f *Ceremony) FinalMessage() (string, string, error) {
	return "wallet-ceremony final\nfinal: 00ff\n", "/media/usb/final.txt", nil
}
func (f *Ceremony) AddClosingSignature(s string) (common.Progress, error) {
	f.log("closing " + s)
	return f.sig(s, &f.Closings)
}
func (f *Ceremony) Close() (string, error) {
	f.log("close")
	f.Mu.Lock()
	f.Ended = true
	f.Mu.Unlock()
	return "/media/usb/WKC-20260314-093000-abc123.json", nil
}
func (f *Ceremony) Abort(step, reason string) (string, error) {
	f.log("abort " + step)
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Ended, f.Aborted = true, step+": "+reason
	what := "no key had been made"
	if f.KeyMade {
		what = "key plings_master_key_v6 destroyed"
		f.KeyMade = false
	}
	return "aborted at " + step + " (" + reason + "); " + what + "; transcript /media/usb/x.json", nil
}
func (f *Ceremony) Finished() bool { f.Mu.Lock(); defer f.Mu.Unlock(); return f.Ended }
