package ops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/plings/walletconsole/hsm"
)

// This file: the PKCS#11 module and its tokens (`console hsm info|keys|selftest`).

// HSMInfo is the module and its initialised tokens.
type HSMInfo struct {
	Module hsm.ModuleInfo
	Tokens []hsm.TokenInfo // initialised tokens only (a free slot is no token)
}

// ModuleInfo describes the module and its tokens; a non-empty label must be
// one of them (else the error names the labels there are), and then only
// that token is listed.
func ModuleInfo(m *hsm.Module, label string) (HSMInfo, error) {
	var out HSMInfo
	mi, err := m.Info()
	if err != nil {
		return out, err
	}
	out.Module = mi
	all, err := m.Tokens()
	if err != nil {
		return out, err
	}
	var labels []string
	for _, t := range all {
		if !t.Initialized {
			continue
		}
		labels = append(labels, fmt.Sprintf("%q", t.Label))
		if label == "" || t.Label == label {
			out.Tokens = append(out.Tokens, t)
		}
	}
	if label != "" && len(out.Tokens) == 0 {
		there := "no initialised token is present"
		if len(labels) > 0 {
			there = "the tokens are " + strings.Join(labels, ", ")
		}
		return out, fmt.Errorf("no token labelled %q in %s: %s", label, m.Name(), there)
	}
	return out, nil
}

// PINState says in a word whether the token's user PIN is usable.
func PINState(t hsm.TokenInfo) string {
	switch {
	case t.UserPINLocked:
		return "LOCKED"
	case t.UserPINFinalTry:
		return "final try"
	case t.UserPINCountLow:
		return "count low"
	case !t.UserPINSet:
		return "not set"
	}
	return "ok"
}

// SelftestResult is what a selftest measured.
type SelftestResult struct {
	Ping       time.Duration
	Generate   time.Duration
	Signatures int
	Total      time.Duration // of the signatures alone
	Average    time.Duration
	// Slow: the average is above the signature threshold.
	Slow bool
}

// Selftest makes a session key on the logged-in token t, signs n random
// messages verifying each signature outside the HSM, times it, and destroys
// the key: the token is left as it was found, also when ctx ends early. It
// needs no database; slow is the signature threshold (Thresholds.Signature).
func Selftest(ctx context.Context, t *hsm.Token, n int, slow time.Duration) (SelftestResult, error) {
	var res SelftestResult
	if n < 1 {
		return res, fmt.Errorf("--signatures must be at least 1, not %d", n)
	}
	ping, err := t.Ping()
	if err != nil {
		return res, err
	}
	res.Ping = ping.Latency
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	label := "console-selftest-" + hex.EncodeToString(suffix)
	start := time.Now()
	key, err := t.GenerateKey(label, hsm.KeyOptions{Session: true})
	if err != nil {
		return res, fmt.Errorf("selftest: generate: %w", err)
	}
	res.Generate = time.Since(start)
	defer func() { _ = t.DestroyKey(label) }()
	msg := make([]byte, 64)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("selftest interrupted after %d signatures; the session key is destroyed", i)
		}
		_, _ = rand.Read(msg)
		st := time.Now()
		sig, err := key.Sign(msg)
		res.Total += time.Since(st)
		if err != nil {
			return res, fmt.Errorf("selftest: signature %d: %w", i+1, err)
		}
		if err := hsm.Verify(key.Public(), msg, sig); err != nil {
			return res, fmt.Errorf("selftest: signature %d does not verify outside the HSM: %w", i+1, err)
		}
	}
	if err := t.DestroyKey(label); err != nil {
		return res, fmt.Errorf("selftest: destroy the session key: %w", err)
	}
	res.Signatures = n
	res.Average = res.Total / time.Duration(n)
	res.Slow = res.Average > slow
	return res, nil
}
