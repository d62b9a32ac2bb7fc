package ops

// This file: the validation suite (`console validate vN`, issue 11): seven
// tests against the wallet's key on the HSM and the database; all seven
// passed → the run, its results and baseline are recorded and the wallet
// becomes validated, in one transaction. A failed run changes nothing.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// The seven tests, by the names they are stored under (the database
// function knows the same list).
const (
	TestHSMConnectivity     = "hsm_connectivity"
	TestCryptoOperations    = "crypto_operations"
	TestPathDerivation      = "path_derivation"
	TestDatabaseIntegration = "database_integration"
	TestPerformance         = "performance"
	TestSecurityControls    = "security_controls"
	TestBackupRecovery      = "backup_recovery"
)

// ValidationTests are the suite's tests in the order they run, with their
// titles and severities.
var ValidationTests = []struct{ Name, Title, Severity string }{
	{TestHSMConnectivity, "HSM connectivity", "critical"},
	{TestCryptoOperations, "Cryptographic operations", "critical"},
	{TestPathDerivation, "Path derivation", "critical"},
	{TestDatabaseIntegration, "Database integration", "critical"},
	{TestPerformance, "Performance baseline", "high"},
	{TestSecurityControls, "Security controls", "critical"},
	{TestBackupRecovery, "Backup and recovery", "critical"},
}

// ValidationTest is one test's outcome: its evidence (Details, snake_case
// keys, stored as they are) and, when it failed, why and what to do.
type ValidationTest struct {
	Name     string         `json:"name"`
	Title    string         `json:"title"`
	Severity string         `json:"severity"`
	Passed   bool           `json:"passed"`
	Details  map[string]any `json:"details"`
	Problems []string       `json:"problems"`
	Fix      string         `json:"fix"`
	Took     string         `json:"took"`
}

// ValidationBaseline is the performance the run measured, stored as the
// wallet's baseline.
type ValidationBaseline struct {
	SignaturesPerSecond float64 `json:"signatures_per_second"`
	SigningSessions     int     `json:"signing_sessions"`
	SigningWindow       string  `json:"signing_window"`
	SignatureP50Ms      float64 `json:"signature_p50_ms"`
	SignatureP95Ms      float64 `json:"signature_p95_ms"`
	SignatureAvgMs      float64 `json:"signature_avg_ms"`
	AllocationWallet    string  `json:"allocation_wallet"` // where allocations were timed ("" none)
	AllocationSamples   int     `json:"allocation_samples"`
	AllocationP50Ms     float64 `json:"allocation_p50_ms"`
	AllocationP95Ms     float64 `json:"allocation_p95_ms"`
	InventoryMs         float64 `json:"inventory_ms"`
}

// ValidationReport is a run of the suite.
type ValidationReport struct {
	Version    int                `json:"version"`
	Wallet     string             `json:"wallet"`
	RunID      string             `json:"run_id"`
	Token      string             `json:"token"`
	StartedAt  time.Time          `json:"started_at"`
	FinishedAt time.Time          `json:"finished_at"`
	Took       string             `json:"took"`
	Passed     bool               `json:"passed"`
	Failed     []string           `json:"failed"`
	Validated  bool               `json:"validated"`
	AuditSeq   int64              `json:"audit_seq"`
	Baseline   ValidationBaseline `json:"baseline"`
	Tests      []ValidationTest   `json:"tests"`
}

// KnownAnswerSigner signs msg inside the HSM with the Ed25519 key whose
// seed is given (imported for the purpose and removed after), returning
// the signature and the public key the HSM holds. Tests inject a fake.
type KnownAnswerSigner interface {
	SignKnownAnswer(seed, msg []byte) (sig, pub []byte, err error)
}

// ValidateOptions adjust a run; the zero value is the default.
type ValidateOptions struct {
	// Duration is the most the run may take (default 30 s); the signing
	// throughput is measured over a tenth of it (1–5 s).
	Duration time.Duration
	// Signatures with the wallet's key, each verified outside (default 1,000).
	Signatures int
	// AllocationSamples timed in a rolled-back transaction (default 50).
	AllocationSamples int
	// KAT signs the RFC 8032 vectors; nil: the token, with session keys.
	KAT KnownAnswerSigner
	// SLIP10Vectors replace the published vectors (tests alter one).
	SLIP10Vectors []model.SLIP10Vector
	// Progress hears about each test as it starts (done false) and ends.
	Progress func(i int, t ValidationTest, done bool)
}

// ErrValidationFailed is wrapped by the error Validate returns when a test
// failed (the report says which and why); nothing was recorded.
var ErrValidationFailed = errors.New("validation failed")

// tokenKAT imports each vector's key as a session object (gone with the
// session even if the process dies), signs with it, and destroys it.
type tokenKAT struct{ t *hsm.Token }

func (k tokenKAT) SignKnownAnswer(seed, msg []byte) ([]byte, []byte, error) {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	label := "console-kat-" + hex.EncodeToString(suffix)
	key, err := k.t.ImportKey(label, seed, hsm.ImportOptions{Session: true})
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = k.t.DestroyKey(label) }()
	sig, err := key.Sign(msg)
	return sig, key.Public(), err
}

// validation is one run's state.
type validation struct {
	s     *Service
	opt   ValidateOptions
	facts store.ValidationFacts
	key   *hsm.Key // nil when test 1 did not find it
	rep   *ValidationReport
}

// Validate runs the seven tests on wallet version against s.Token (logged
// in) and, when all pass, records the run and makes the wallet validated.
// The report is complete in every case the tests could run; the error
// wraps ErrValidationFailed when one failed, and is anything else when the
// suite could not run or record (nothing changed either way).
func (s *Service) Validate(ctx context.Context, version int, opt ValidateOptions) (ValidationReport, error) {
	vn := model.VersionName(version)
	rep := ValidationReport{Version: version, Wallet: vn}
	if s.Token == nil {
		return rep, fmt.Errorf("validate %s: no HSM token: give it with --token LABEL (and --pkcs11-module for another HSM)", vn)
	}
	rep.Token = s.Token.Label()
	if opt.Duration <= 0 {
		opt.Duration = 30 * time.Second
	}
	if opt.Signatures <= 0 {
		opt.Signatures = 1000
	}
	if opt.AllocationSamples <= 0 {
		opt.AllocationSamples = 50
	}
	if opt.KAT == nil {
		opt.KAT = tokenKAT{s.Token}
	}
	if opt.SLIP10Vectors == nil {
		opt.SLIP10Vectors = model.SLIP10Vectors
	}
	if s.DB.ReadOnly() {
		return rep, fmt.Errorf("validate %s: %w; start it without --read-only", vn, store.ErrReadOnly)
	}
	facts, err := s.DB.ValidationFacts(ctx, version)
	if err != nil {
		return rep, fmt.Errorf("validate %s: %w", vn, err)
	}
	if facts.Status != model.StatusCreated {
		return rep, fmt.Errorf("validate %s: %s is %s; only a created wallet is validated (nothing was run, nothing changed)", vn, vn, facts.Status)
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Duration)
	defer cancel()
	rep.RunID = newUUID()
	rep.StartedAt = s.now().UTC()
	v := &validation{s: s, opt: opt, facts: facts, rep: &rep}
	steps := []func(context.Context, *ValidationTest){
		v.connectivity, v.crypto, v.derivation, v.database, v.performance, v.security, v.backup,
	}
	for i, def := range ValidationTests {
		t := ValidationTest{Name: def.Name, Title: def.Title, Severity: def.Severity, Details: map[string]any{}}
		if opt.Progress != nil {
			opt.Progress(i, t, false)
		}
		start := time.Now()
		steps[i](ctx, &t)
		t.Took = time.Since(start).Round(time.Millisecond).String()
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("validate %s: stopped during %q after %s (--duration %s): %w; nothing changed",
				vn, def.Title, time.Since(rep.StartedAt).Round(time.Millisecond), opt.Duration, err)
		}
		t.Passed = len(t.Problems) == 0
		if !t.Passed {
			rep.Failed = append(rep.Failed, t.Name)
		}
		rep.Tests = append(rep.Tests, t)
		if opt.Progress != nil {
			opt.Progress(i, t, true)
		}
	}
	rep.FinishedAt = s.now().UTC()
	rep.Took = rep.FinishedAt.Sub(rep.StartedAt).Round(time.Millisecond).String()
	rep.Passed = len(rep.Failed) == 0
	if !rep.Passed {
		return rep, fmt.Errorf("validate %s: %w: %s; nothing changed", vn, ErrValidationFailed, strings.Join(rep.Failed, ", "))
	}
	run := store.ValidationRun{RunID: rep.RunID, StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, Baseline: rep.Baseline}
	// The wallet's key signs the run: what the console later relies on is
	// a run made with the key on the HSM, not one recorded by hand.
	if v.key == nil {
		return rep, fmt.Errorf("validate %s: every test passed but the wallet's key is gone from the token; nothing changed: run it again", vn)
	}
	sig, err := v.key.Sign(model.ValidationMessage(rep.RunID, version, v.key.Fingerprint()))
	if err != nil {
		return rep, fmt.Errorf("validate %s: every test passed, but the key could not sign the run: %w; nothing changed: run it again", vn, err)
	}
	run.Signature = sig
	for _, t := range rep.Tests {
		run.Tests = append(run.Tests, store.ValidationTestRecord{Name: t.Name, Severity: t.Severity, Passed: t.Passed, Details: t.Details})
	}
	seq, err := s.DB.RecordValidation(ctx, version, run, s.Actor)
	if err != nil {
		return rep, fmt.Errorf("validate %s: every test passed, but %w; nothing changed: run it again", vn, err)
	}
	rep.Validated, rep.AuditSeq = true, seq
	return rep, nil
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fail records a problem; the fix is the first one given.
func fail(t *ValidationTest, fix, format string, args ...any) {
	t.Problems = append(t.Problems, fmt.Sprintf(format, args...))
	if t.Fix == "" {
		t.Fix = fix
	}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

// Test 1: the token answers, is logged in, quickly; the key is there and is
// the one the database records.
func (v *validation) connectivity(ctx context.Context, t *ValidationTest) {
	tok := v.s.Token
	label := fmt.Sprintf("plings_master_key_v%d", v.facts.Version)
	t.Details["token"] = tok.Label()
	t.Details["key_label"] = label
	info, err := tok.Info()
	if err != nil {
		fail(t, "check the HSM and its token; `console hsm info` lists the tokens", "token %s: %v", tok.Label(), err)
		return
	}
	t.Details["token_serial"], t.Details["token_model"] = info.Serial, info.Model
	if !info.LoggedIn {
		fail(t, "log in to the token (the PIN)", "not logged in to token %s", tok.Label())
	}
	ping, err := tok.Ping()
	t.Details["ping_ms"] = ms(ping.Latency)
	switch {
	case err != nil:
		fail(t, "check the HSM's connection", "token %s does not answer: %v", tok.Label(), err)
	case ping.Latency > v.s.Thresholds.HSMResponse:
		fail(t, "find out why the HSM is slow before the wallet serves", "the token answered in %s, above %s", ping.Latency.Round(time.Microsecond), v.s.Thresholds.HSMResponse)
	}
	if v.facts.KeyLabel != label {
		fail(t, "the wallet's key id must be its label", "%s's key id is %q, not %s", v.facts.Name, v.facts.KeyLabel, label)
	}
	key, err := tok.FindKey(label)
	if err != nil {
		fix := fmt.Sprintf("use the token that holds %s's key (--token), or put the key on it (its backup token)", v.facts.Name)
		if errors.Is(err, hsm.ErrKeyNotFound) {
			fail(t, fix, "%s is not on token %s (no private key carries that label)", label, tok.Label())
		} else {
			fail(t, fix, "%s cannot be used on token %s: %v", label, tok.Label(), err)
		}
		return
	}
	fp := key.Fingerprint()
	t.Details["key_fingerprint"] = fp
	t.Details["wallet_fingerprint"] = v.facts.Fingerprint
	t.Details["ceremony_fingerprint"] = v.facts.CeremonyFingerprint
	wrong := fmt.Sprintf("the key labelled %s on this token is not %s's key: use the token the ceremony made it on (or its backup); never validate another key", label, v.facts.Name)
	switch {
	case v.facts.Fingerprint == "":
		fail(t, "a wallet without a recorded fingerprint cannot be validated: import its ceremony", "the database records no fingerprint for %s", v.facts.Name)
	case fp != v.facts.Fingerprint:
		fail(t, wrong, "the token's key has fingerprint %s; the database records %s", fp, v.facts.Fingerprint)
	}
	if !v.facts.HasCeremony {
		fail(t, "import the wallet's key ceremony (console ceremony import)", "%s has no imported key ceremony, so nothing records how its key was made", v.facts.Name)
	} else if fp != v.facts.CeremonyFingerprint {
		fail(t, wrong, "the token's key has fingerprint %s; key ceremony %s records %s", fp, v.facts.CeremonyID, v.facts.CeremonyFingerprint)
	}
	v.key = key
}

// Test 2: the known answers through the HSM, then the wallet's key signs
// many messages, each verified outside the HSM.
func (v *validation) crypto(ctx context.Context, t *ValidationTest) {
	var kats []map[string]any
	for _, vec := range rfc8032Vectors {
		seed, _ := hex.DecodeString(vec.Secret)
		msg, _ := hex.DecodeString(vec.Message)
		want, _ := hex.DecodeString(vec.Signature)
		wantPub, _ := hex.DecodeString(vec.Public)
		sig, pub, err := v.opt.KAT.SignKnownAnswer(seed, msg)
		ok := err == nil && bytes.Equal(sig, want) && bytes.Equal(pub, wantPub)
		kats = append(kats, map[string]any{"vector": "RFC 8032 7.1 " + vec.Name, "matches": ok})
		switch {
		case err != nil:
			fail(t, "the HSM cannot run the known-answer test: check its Ed25519 support (`console hsm selftest`)", "RFC 8032 %s: %v", vec.Name, err)
		case !bytes.Equal(pub, wantPub):
			fail(t, "do not use this HSM for the wallet: its Ed25519 is not the standard's", "RFC 8032 %s: the HSM's public key %x is not the vector's %s", vec.Name, pub, vec.Public)
		case !bytes.Equal(sig, want):
			fail(t, "do not use this HSM for the wallet: its Ed25519 is not the standard's", "RFC 8032 %s: the HSM signed %x, the vector says %s", vec.Name, sig, vec.Signature)
		}
	}
	t.Details["known_answer_tests"] = kats
	if v.key == nil {
		fail(t, "put the wallet's key on the token (test 1)", "no signatures with %s's key: it is not on the token", v.facts.Name)
		return
	}
	msg := make([]byte, 64)
	var total time.Duration
	n := 0
	for ; n < v.opt.Signatures; n++ {
		if ctx.Err() != nil {
			return
		}
		_, _ = rand.Read(msg)
		start := time.Now()
		sig, err := v.key.Sign(msg)
		total += time.Since(start)
		if err != nil {
			fail(t, "check the token and the key (`console hsm keys`)", "signature %d with %s failed: %v", n+1, v.key.Label(), err)
			return
		}
		if !ed25519.Verify(v.key.Public(), msg, sig) {
			fail(t, "do not use this key or HSM: a signature it makes does not verify", "signature %d does not verify outside the HSM (crypto/ed25519)", n+1)
			return
		}
	}
	avg := total / time.Duration(max(n, 1))
	t.Details["signatures"] = n
	t.Details["signatures_verified"] = n
	t.Details["signature_avg_ms"] = ms(avg)
	if avg > v.s.Thresholds.Signature {
		fail(t, "find out why the HSM signs slowly before the wallet serves", "the average signature took %s, above %s", avg.Round(time.Microsecond), v.s.Thresholds.Signature)
	}
}

// Test 3: SLIP-0010 against the published vectors; the stored prefixes
// against the formula.
func (v *validation) derivation(ctx context.Context, t *ValidationTest) {
	for _, vec := range v.opt.SLIP10Vectors {
		if p := model.CheckSLIP10(vec); p != "" {
			fail(t, "the console's SLIP-0010 derivation is wrong: do not validate with this build; report it", "SLIP-0010 %s", p)
		}
	}
	t.Details["slip10_vectors"] = len(v.opt.SLIP10Vectors)
	samples, err := v.s.DB.SampleAllocations(ctx, v.facts.Version, 100)
	if err != nil {
		fail(t, "check the database", "%v", err)
		return
	}
	bad := 0
	for _, s := range samples {
		p, err := model.ParsePath(s.Path)
		want := ""
		if err == nil {
			want = model.HDPrefix(s.Wallet, p)
		}
		_, serr := model.ParseSLIP10Path(s.Prefix)
		if err != nil || s.Prefix != want || serr != nil {
			bad++
			if bad <= 3 {
				fail(t, "the stored HD prefixes disagree with the formula: the schema's generated column is wrong; do not deploy",
					"%s path %s has prefix %s; the formula gives %s", model.VersionName(s.Wallet), s.Path, s.Prefix, want)
			}
		}
	}
	t.Details["allocations_sampled"] = len(samples)
	t.Details["prefix_mismatches"] = bad
	t.Details["formula"] = "m/44'/501'/{wallet}'/{each component}'"
}

// Test 4: the rules fire in a rolled-back transaction, the counters equal
// a recount, the schema is current.
func (v *validation) database(ctx context.Context, t *ValidationTest) {
	r, err := v.s.DB.RehearseAllocation(ctx, v.facts.Version, "validation "+v.rep.RunID)
	if err != nil {
		fail(t, "check the database (`console health`)", "the allocation rehearsal failed: %v", err)
	} else {
		t.Details["status_rule"] = r.RuleRefusal
		switch {
		case r.RuleRefusal == "":
			fail(t, "the schema's allocation rule is missing: migrate (`console migrate`) and check the triggers", "an allocation in %s (created) was accepted", v.facts.Name)
		case r.RuleCode != store.CodeAllocationRule:
			fail(t, "check the schema (`console migrate`)", "an allocation in %s was refused, but not by the status rule: %s", v.facts.Name, r.RuleRefusal)
		}
		if r.OtherWallet != 0 {
			t.Details["rehearsal_wallet"] = model.VersionName(r.OtherWallet)
			t.Details["rehearsal_path"] = r.Path
			t.Details["rehearsal_audit_row"] = r.AuditFound
			t.Details["overlap_rule"] = r.OverlapRefusal
			if !r.AuditFound {
				fail(t, "check the schema (`console migrate`)", "the rehearsed allocation of %s wrote no audit row", r.Path)
			}
			if r.OverlapCode != store.CodeOverlap {
				fail(t, "the overlap rule is missing: check the schema (`console migrate`)", "allocating %s.1 under %s was not refused by the overlap rule (%q)", r.Path, r.Path, r.OverlapRefusal)
			}
		} else {
			t.Details["overlap_rule"] = "not exercised: no active wallet to rehearse in"
		}
		t.Details["rolled_back"] = r.Remaining == 0
		if r.Remaining != 0 {
			fail(t, "find and remove the rehearsal's rows as the owner", "%d rehearsal path(s) remain after the rollback", r.Remaining)
		}
	}
	groups, bad, err := v.s.DB.RecountPaths(ctx, v.facts.Version)
	if err != nil {
		fail(t, "check the database", "%v", err)
	} else {
		t.Details["counter_groups"] = groups
		for _, m := range bad {
			fail(t, "the counters (wallet_path_stats) drifted from the paths: rebuild them as the owner before the wallet serves",
				"manufacturer %d %s %s: counters say %d paths / %d identifiers, a recount %d / %d",
				m.Manufacturer, m.Type, m.Status, m.CounterPaths, m.CounterIDs, m.CountedPaths, m.CountedIDs)
		}
	}
	cur, latest, err := v.s.DB.SchemaVersion(ctx)
	if err != nil {
		fail(t, "run `console migrate` as the owner", "%v", err)
		return
	}
	t.Details["schema_version"], t.Details["schema_latest"] = cur, latest
	if cur != latest {
		fail(t, "run `console migrate` as the owner", "the schema is at version %d; this console's is %d", cur, latest)
	}
}

// Test 5: throughput with the token's session pool, allocation latency in
// a rolled-back transaction, the inventory query; the baseline.
func (v *validation) performance(ctx context.Context, t *ValidationTest) {
	b := &v.rep.Baseline
	if v.key == nil {
		fail(t, "put the wallet's key on the token (test 1)", "no signing throughput: %s's key is not on the token", v.facts.Name)
	} else {
		window := min(max(v.opt.Duration/10, time.Second), 5*time.Second)
		sessions := v.s.Token.PoolSize()
		lat, err := signFor(ctx, v.key, sessions, window)
		if err != nil {
			fail(t, "check the token and the key (`console hsm keys`)", "signing for the baseline failed: %v", err)
		} else {
			b.SigningSessions, b.SigningWindow = sessions, window.String()
			b.SignaturesPerSecond = math.Round(float64(len(lat))/window.Seconds()*10) / 10
			b.SignatureP50Ms, b.SignatureP95Ms = ms(percentile(lat, 50)), ms(percentile(lat, 95))
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			b.SignatureAvgMs = ms(sum / time.Duration(max(len(lat), 1)))
			if len(lat) == 0 || sum/time.Duration(max(len(lat), 1)) > v.s.Thresholds.Signature {
				fail(t, "find out why the HSM signs slowly before the wallet serves", "signatures averaged %.3f ms over %d sessions, above %s",
					b.SignatureAvgMs, sessions, v.s.Thresholds.Signature)
			}
		}
	}
	other, times, err := v.s.DB.TimeAllocations(ctx, v.facts.Version, v.opt.AllocationSamples, "validation "+v.rep.RunID)
	switch {
	case err != nil:
		fail(t, "check the database (`console health`)", "timing allocations failed: %v", err)
	case other == 0:
		t.Details["allocations"] = "not timed: no active wallet to time them in (a created wallet takes none)"
	default:
		b.AllocationWallet, b.AllocationSamples = model.VersionName(other), len(times)
		b.AllocationP50Ms, b.AllocationP95Ms = ms(percentile(times, 50)), ms(percentile(times, 95))
		if p95 := percentile(times, 95); p95 > v.s.Thresholds.PathAllocation {
			fail(t, "find out why allocation is slow (locks, load) before the wallet serves", "allocation p95 %s, above %s", p95.Round(time.Microsecond), v.s.Thresholds.PathAllocation)
		}
	}
	start := time.Now()
	if _, err := v.s.DB.Inventory(ctx); err != nil {
		fail(t, "check the database", "the inventory query failed: %v", err)
	}
	b.InventoryMs = ms(time.Since(start))
	t.Details["baseline"] = *b
}

// signFor signs from n goroutines (one per pooled session) for window and
// returns every signature's latency.
func signFor(ctx context.Context, k *hsm.Key, n int, window time.Duration) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := []byte("wallet console validation baseline")
			var lat []time.Duration
			for ctx.Err() == nil {
				start := time.Now()
				if _, err := k.Sign(msg); err != nil {
					firstErr.CompareAndSwap(nil, err)
					cancel()
					break
				}
				lat = append(lat, time.Since(start))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return nil, err
	}
	return all, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

// Test 6: the key's protection, the label unique, the viewer cannot
// write, the two-person rule behind the wallet, the audit chain.
func (v *validation) security(ctx context.Context, t *ValidationTest) {
	label := fmt.Sprintf("plings_master_key_v%d", v.facts.Version)
	p, err := v.s.Token.KeyProtection(label)
	if err != nil {
		fail(t, "check the token (`console hsm keys`)", "%v", err)
	} else {
		if p.PrivateObjects == 1 {
			t.Details["key_attributes"] = map[string]any{"sensitive": p.Sensitive, "extractable": p.Extractable,
				"always_sensitive": p.AlwaysSensitive, "never_extractable": p.NeverExtractable, "private": p.Private}
		}
		t.Details["label_objects"] = map[string]int{"private": p.PrivateObjects, "public": p.PublicObjects, "other": p.OtherObjects}
		if p.PrivateObjects != 1 || p.PublicObjects != 1 || p.OtherObjects != 0 {
			fail(t, "leave exactly the key pair under the label: remove the other objects with the token's tool (after checking which is the ceremony's)",
				"label %s is on %d private, %d public and %d other object(s) on token %s; it must name one key pair",
				label, p.PrivateObjects, p.PublicObjects, p.OtherObjects, v.s.Token.Label())
		}
		if p.PrivateObjects == 1 {
			var weak []string
			for _, a := range []struct {
				ok   bool
				name string
			}{{p.Sensitive, "sensitive"}, {!p.Extractable, "not extractable"}, {p.AlwaysSensitive, "always sensitive"},
				{p.NeverExtractable, "never extractable"}, {p.Private, "private"}} {
				if !a.ok {
					weak = append(weak, a.name)
				}
			}
			if len(weak) > 0 {
				fail(t, "this key was not made and kept inside an HSM as the ceremony makes it: it cannot serve; make a new wallet by a ceremony",
					"the private key is not %s", strings.Join(weak, ", not "))
			}
		}
	}
	checked, writes, err := v.s.DB.ViewerWrites(ctx)
	if err != nil {
		fail(t, "check the database", "%v", err)
	} else {
		t.Details["viewer_privileges_checked"] = checked
		t.Details["viewer_write_privileges"] = writes
		if len(writes) > 0 {
			fail(t, "revoke them as the owner (REVOKE … FROM wallet_viewer), then run the suite again",
				"the viewer role can write: %s", strings.Join(writes, "; "))
		}
	}
	f := v.facts
	if f.RequestID == "" {
		fail(t, "only a wallet made from an approved creation request can be validated", "%s has no creation request", f.Name)
	} else {
		t.Details["request_id"], t.Details["requested_by"] = f.RequestID, f.RequestedBy
		var approvers []string
		approved := map[string]bool{}
		for _, a := range f.Approvals {
			if a.Decision != "approved" {
				continue
			}
			approved[a.Role] = true
			approvers = append(approvers, a.Role+": "+a.Approver)
			if a.Approver == f.RequestedBy {
				fail(t, "the request was approved by its requester: file a new request and have others approve it", "login %s both requested %s and approved it as %s", a.Approver, f.RequestID, a.Role)
			}
		}
		sort.Strings(approvers)
		t.Details["approvals"] = approvers
		t.Details["required_roles"] = f.Required
		for _, role := range f.Required {
			if !approved[role] {
				fail(t, "the request lacks an approval it needs: this wallet should not exist; investigate", "request %s has no %s approval", f.RequestID, role)
			}
		}
		if len(f.Required) == 0 {
			fail(t, "investigate the request's record", "request %s names no required approvals", f.RequestID)
		}
	}
	rep, err := v.s.DB.VerifyAudit(ctx)
	switch {
	case err != nil:
		fail(t, "check the database", "%v", err)
	case !rep.ChainOK():
		t.Details["audit_chain"] = fmt.Sprintf("broken at row %d", rep.BrokenAt)
		fail(t, "investigate with `console audit verify`: the operations log was altered", "the audit chain is broken at row %d: %s", rep.BrokenAt, rep.Problem)
	default:
		t.Details["audit_chain"] = fmt.Sprintf("%d rows verify", rep.Rows)
		t.Details["ceremony_keys_checked"] = rep.Keys
		for _, kp := range rep.KeyProblems {
			fail(t, "investigate with `console audit verify`", "KEY PROBLEM: %s", kp.Problem)
		}
	}
}

// Test 7: a proof from a token other than the ceremony's, and it verifies.
func (v *validation) backup(ctx context.Context, t *ValidationTest) {
	f := v.facts
	prove := fmt.Sprintf("prove the backup from the backup token: console ceremony prove-backup %s --backup-token LABEL", f.Name)
	if !f.HasCeremony {
		fail(t, "import the wallet's key ceremony first", "%s has no imported key ceremony, so no backup can be proven", f.Name)
		return
	}
	t.Details["ceremony_token_serial"] = f.CeremonyTokenSerial
	var proofs []map[string]string
	other := false
	for _, p := range f.Proofs {
		proofs = append(proofs, map[string]string{"token": p.Token, "serial": p.Serial, "model": p.Model})
		if p.Serial != "" && f.CeremonyTokenSerial != "" && p.Serial != f.CeremonyTokenSerial {
			other = true
		}
	}
	t.Details["backup_proofs"] = proofs
	switch {
	case len(f.Proofs) == 0:
		fail(t, prove, "%s has no backup proof: nothing shows that a copy of its key exists", f.Name)
	case f.CeremonyTokenSerial == "":
		fail(t, "re-import is impossible; have the backup proven again on a token whose serial is recorded", "the ceremony token's serial is not recorded, so no proof can be shown to come from another token")
	case !other:
		fail(t, prove+" (a token other than the ceremony's)", "every backup proof comes from the ceremony token's serial %s", f.CeremonyTokenSerial)
	}
	problems, _, err := v.s.DB.CheckKeys(ctx, &f.Version)
	if err != nil {
		fail(t, "check the database", "%v", err)
		return
	}
	for _, p := range problems {
		fail(t, "investigate with `console audit verify`; "+prove, "%s", p.Problem)
	}
	t.Details["proof_verifies"] = len(problems) == 0 && len(f.Proofs) > 0
}
