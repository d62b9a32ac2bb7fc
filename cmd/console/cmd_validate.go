package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/ui"
)

// Exit codes of `console validate`, for scripts.
const (
	exitValidated  = 0
	exitTestFailed = 1 // a test failed: the report says which, why and what to do; nothing changed
	exitValidation = 2 // usage, or the suite could not run or record (HSM, database, wallet not created)
)

// bindValidate is `console validate vN`: the validation suite (ops.Validate)
// against the wallet's key on the token.
func bindValidate(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	asJSON := fs.Bool("json", false, "print JSON (the report, at the end)")
	duration := durationFlag(fs, "duration", 30*time.Second, "the most the suite may take (the signing baseline runs for a tenth of it, 1–5 s)")
	return func(ctx context.Context, c *call) error {
		other := func(err error) error { return &exitError{code: exitValidation, err: err} }
		version, err := model.ParseVersion(c.args[0])
		if err != nil {
			return other(fmt.Errorf("validate: %w", err))
		}
		vn := model.VersionName(version)
		if h.token == "" {
			return other(fmt.Errorf("validate %s: give the token that holds %s's key with --token LABEL (`console hsm info` lists them)", vn, vn))
		}
		if *duration < 5*time.Second || *duration > time.Hour {
			return other(fmt.Errorf("validate %s: --duration %s: give 5s to 1h", vn, *duration))
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return other(err)
		}
		defer closeS()
		_, t, closeHSM, err := h.openToken(&c.g, true)
		if err != nil {
			return other(fmt.Errorf("validate %s: %w", vn, err))
		}
		defer closeHSM()
		s.Token, s.Module = t, h.module
		defer s.Close()

		opt := ops.ValidateOptions{Duration: *duration}
		if !*asJSON {
			fmt.Fprintf(c.out, "validating %s against its key on token %s (at most %s)\n", vn, ui.Inert(h.token), *duration)
			opt.Progress = func(i int, t ops.ValidationTest, done bool) {
				if done {
					verdict := "pass"
					if !t.Passed {
						verdict = "FAIL"
					}
					fmt.Fprintf(c.out, "  %d/7 %-26s %-4s  %-8s %7s  %s\n", i+1, t.Title, verdict, t.Severity, t.Took, ui.Inert(evidence(t)))
				}
			}
		}
		rep, err := s.Validate(ctx, version, opt)
		if *asJSON && len(rep.Tests) > 0 {
			if jerr := printJSON(c.out, rep); jerr != nil {
				return other(jerr)
			}
		}
		switch {
		case errors.Is(err, ops.ErrValidationFailed):
			if !*asJSON {
				printFailures(c.out, rep)
			}
			return &exitError{code: exitTestFailed, err: fmt.Errorf("%s NOT validated: %d of 7 tests failed (%s); nothing changed",
				vn, len(rep.Failed), strings.Join(rep.Failed, ", "))}
		case err != nil:
			return other(err)
		}
		if !*asJSON {
			b := rep.Baseline
			fmt.Fprintf(c.out, "baseline: %.0f signatures/s on %d sessions over %s (p50 %.3f ms, p95 %.3f ms)",
				b.SignaturesPerSecond, b.SigningSessions, b.SigningWindow, b.SignatureP50Ms, b.SignatureP95Ms)
			if b.AllocationSamples > 0 {
				fmt.Fprintf(c.out, "; allocation p50 %.2f ms, p95 %.2f ms (%d in %s, rolled back)", b.AllocationP50Ms, b.AllocationP95Ms, b.AllocationSamples, b.AllocationWallet)
			} else {
				fmt.Fprint(c.out, "; allocation not timed (no active wallet)")
			}
			fmt.Fprintf(c.out, "; inventory %.2f ms\n", b.InventoryMs)
			fmt.Fprintf(c.out, "%s validated: all 7 tests passed in %s (run %s); recorded with its results, baseline and audit row #%d (wallet_validation)\n",
				vn, rep.Took, rep.RunID, rep.AuditSeq)
		}
		return nil
	}
}

// printFailures says, for each failed test, why and what to do.
func printFailures(out io.Writer, rep ops.ValidationReport) {
	for _, t := range rep.Tests {
		if t.Passed {
			continue
		}
		fmt.Fprintf(out, "\n%s (%s) FAILED:\n", t.Title, t.Severity)
		for _, p := range t.Problems {
			fmt.Fprintf(out, "  - %s\n", ui.Inert(p))
		}
		fmt.Fprintf(out, "  what to do: %s\n", ui.Inert(t.Fix))
	}
	fmt.Fprintln(out)
}

// evidence is one line of a test's details; what a test could not
// measure is left out (its problems say why).
func evidence(t ops.ValidationTest) string {
	d := t.Details
	var parts []string
	add := func(format string, keys ...string) {
		args := make([]any, len(keys))
		for i, k := range keys {
			v, ok := d[k]
			if !ok {
				return
			}
			args[i] = v
		}
		parts = append(parts, fmt.Sprintf(format, args...))
	}
	switch t.Name {
	case ops.TestHSMConnectivity:
		add("token %v serial %v", "token", "token_serial")
		add("ping %v ms", "ping_ms")
		add("key fingerprint %.16v… as recorded", "key_fingerprint")
	case ops.TestCryptoOperations:
		if kats, ok := d["known_answer_tests"].([]map[string]any); ok {
			n := 0
			for _, k := range kats {
				if k["matches"] == true {
					n++
				}
			}
			parts = append(parts, fmt.Sprintf("RFC 8032 known answers %d/%d", n, len(kats)))
		}
		add("%v signatures verified outside the HSM, average %v ms", "signatures_verified", "signature_avg_ms")
	case ops.TestPathDerivation:
		add("%v SLIP-0010 vectors", "slip10_vectors")
		add("%v allocations sampled, %v prefix mismatches", "allocations_sampled", "prefix_mismatches")
	case ops.TestDatabaseIntegration:
		if d["status_rule"] != nil && d["status_rule"] != "" {
			parts = append(parts, "status rule refused")
		}
		if d["rehearsal_wallet"] != nil {
			add("overlap rule refused in %v", "rehearsal_wallet")
		}
		add("rolled back %v", "rolled_back")
		add("%v counter groups recounted", "counter_groups")
		add("schema %v of %v", "schema_version", "schema_latest")
	case ops.TestPerformance:
		if b, ok := d["baseline"].(ops.ValidationBaseline); ok {
			parts = append(parts, fmt.Sprintf("%.0f sig/s, allocation p95 %.2f ms, inventory %.2f ms", b.SignaturesPerSecond, b.AllocationP95Ms, b.InventoryMs))
		}
	case ops.TestSecurityControls:
		if a, ok := d["key_attributes"].(map[string]any); ok && a["sensitive"] == true && a["never_extractable"] == true && a["always_sensitive"] == true {
			parts = append(parts, "key sensitive, always sensitive, never extractable")
		}
		add("viewer: %v privileges checked", "viewer_privileges_checked")
		add("approvals %v", "approvals")
		add("audit %v", "audit_chain")
	case ops.TestBackupRecovery:
		if ps, ok := d["backup_proofs"].([]map[string]string); ok {
			for _, p := range ps {
				parts = append(parts, fmt.Sprintf("proof from %s (serial %s)", p["token"], p["serial"]))
			}
		}
		add("ceremony token serial %v", "ceremony_token_serial")
		add("verifies %v", "proof_verifies")
	}
	return strings.Join(parts, "; ")
}
