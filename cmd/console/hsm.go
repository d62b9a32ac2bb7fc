package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/ui"
)

// hsmFlags say which module and token to use.
type hsmFlags struct {
	module  string
	token   string
	pinFile string
}

func (h *hsmFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.module, "pkcs11-module", hsm.SoftHSMModule, "PKCS#11 module (the HSM vendor's library)")
	fs.StringVar(&h.token, "token", "", "token label (never a slot number: SoftHSM moves slots)")
	fs.StringVar(&h.pinFile, "pin-file", "", "read the user PIN from this file (automation); default: ask without echo")
}

// softHSMConf points SoftHSM at a token directory under the console's data
// directory when the operator has not chosen one (DESIGN.md, real components).
func softHSMConf(module, dataDir string) error {
	if module != hsm.SoftHSMModule || os.Getenv("SOFTHSM2_CONF") != "" {
		return nil
	}
	dir := filepath.Join(dataDir, "softhsm")
	conf := filepath.Join(dir, hsm.SoftHSMConfName)
	if _, err := os.Stat(conf); err != nil {
		if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
			return fmt.Errorf("SoftHSM token directory: %w", err)
		}
		body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", filepath.Join(dir, "tokens"))
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			return fmt.Errorf("SoftHSM configuration: %w", err)
		}
	}
	return os.Setenv("SOFTHSM2_CONF", conf)
}

// openToken opens the module and the token, and logs in when login is set.
// The returned close logs out and finalises on every path.
func (h *hsmFlags) openToken(g *globals, login bool) (*hsm.Module, *hsm.Token, func(), error) {
	if err := softHSMConf(h.module, g.dataDir); err != nil {
		return nil, nil, nil, err
	}
	m, err := hsm.Open(h.module)
	if err != nil {
		return nil, nil, nil, err
	}
	if h.token == "" {
		m.Close()
		return nil, nil, nil, errors.New("give the token with --token LABEL (`console hsm info` lists them)")
	}
	t, err := m.Token(h.token)
	if err != nil {
		m.Close()
		return nil, nil, nil, err
	}
	closeAll := func() { t.Close(); m.Close() }
	if login {
		pin, err := readPIN(h.pinFile, "token "+ui.Inert(h.token))
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		err = t.Login(pin)
		clear(pin)
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
	}
	return m, t, closeAll, nil
}

func cmdHSM(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("hsm")
	var h hsmFlags
	h.register(fs)
	signs := fs.Int("signatures", 1000, "signatures to make in selftest")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("hsm takes one of: info, keys, selftest (e.g. `console hsm info`)")
	}
	closeLog := g.setupLog()
	defer closeLog()
	switch fs.Arg(0) {
	case "info":
		return hsmInfo(g, &h, out)
	case "keys":
		return hsmKeys(g, &h, out)
	case "selftest":
		return hsmSelftest(ctx, g, &h, *signs, out)
	}
	return fmt.Errorf("unknown hsm command %q: use info, keys or selftest", fs.Arg(0))
}

func hsmInfo(g *globals, h *hsmFlags, out io.Writer) error {
	if err := softHSMConf(h.module, g.dataDir); err != nil {
		return err
	}
	m, err := hsm.Open(h.module)
	if err != nil {
		return err
	}
	defer m.Close()
	mi, err := m.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "module   %s\n         %s %s (library %s, PKCS#11 %s)\n\n", ui.Inert(mi.Path), ui.Inert(mi.Manufacturer),
		ui.Inert(mi.Description), mi.LibraryVersion, mi.CryptokiVersion)
	tokens, err := m.Tokens()
	if err != nil {
		return err
	}
	if len(tokens) == 0 {
		fmt.Fprintln(out, "no initialised token (for SoftHSM: softhsm2-util --init-token --free --label LABEL)")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LABEL\tSERIAL\tMODEL\tMANUFACTURER\tFREE\tPIN\tLOGGED IN")
	for _, t := range tokens {
		if !t.Initialized {
			continue // a free slot, not a token
		}
		pin := "ok"
		switch {
		case t.UserPINLocked:
			pin = "LOCKED"
		case t.UserPINFinalTry:
			pin = "final try"
		case t.UserPINCountLow:
			pin = "count low"
		case !t.UserPINSet:
			pin = "not set"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", ui.Inert(t.Label), ui.Inert(t.Serial), ui.Inert(t.Model),
			ui.Inert(t.Manufacturer), t.FreeSpace(), pin, t.LoggedIn)
	}
	return tw.Flush()
}

func hsmKeys(g *globals, h *hsmFlags, out io.Writer) error {
	_, t, closeAll, err := h.openToken(g, true)
	if err != nil {
		return err
	}
	defer closeAll()
	keys, err := t.Keys()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintf(out, "token %s holds no keys\n", ui.Inert(h.token))
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LABEL\tID\tCLASS\tTYPE\tSTORED\tSENSITIVE\tEXTRACTABLE")
	for _, k := range keys {
		stored := "token"
		if !k.OnToken {
			stored = "session"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%v\n", ui.Inert(k.Label), k.IDHex, k.Class, k.KeyType, stored, k.Sensitive, k.Extractable)
	}
	return tw.Flush()
}

// hsmSelftest logs in, makes a session key, signs n times verifying each
// signature outside the HSM, reports the timing, and destroys the key: the
// token is left as it was found, also when interrupted.
func hsmSelftest(ctx context.Context, g *globals, h *hsmFlags, n int, out io.Writer) error {
	if n < 1 {
		return fmt.Errorf("--signatures must be at least 1, not %d", n)
	}
	_, t, closeAll, err := h.openToken(g, true)
	if err != nil {
		return err
	}
	defer closeAll()
	ping, err := t.Ping()
	if err != nil {
		return err
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	label := "console-selftest-" + hex.EncodeToString(suffix)
	start := time.Now()
	key, err := t.GenerateKey(label, hsm.KeyOptions{Session: true})
	if err != nil {
		return fmt.Errorf("selftest: generate: %w", err)
	}
	genTime := time.Since(start)
	defer func() { _ = t.DestroyKey(label) }()
	msg := make([]byte, 64)
	var total time.Duration
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("selftest interrupted after %d signatures; the session key is destroyed", i)
		}
		_, _ = rand.Read(msg)
		s := time.Now()
		sig, err := key.Sign(msg)
		total += time.Since(s)
		if err != nil {
			return fmt.Errorf("selftest: signature %d: %w", i+1, err)
		}
		if err := hsm.Verify(key.Public(), msg, sig); err != nil {
			return fmt.Errorf("selftest: signature %d does not verify outside the HSM: %w", i+1, err)
		}
	}
	if err := t.DestroyKey(label); err != nil {
		return fmt.Errorf("selftest: destroy the session key: %w", err)
	}
	avg := total / time.Duration(n)
	fmt.Fprintf(out, "token %s: ping %s, key generated in %s\n", ui.Inert(h.token), ping.Latency.Round(time.Microsecond), genTime.Round(time.Microsecond))
	fmt.Fprintf(out, "%d signatures verified outside the HSM: average %s, %.0f signatures/s on one session\n",
		n, avg.Round(time.Microsecond), float64(n)/total.Seconds())
	verdict := "PASS"
	if avg > 10*time.Millisecond {
		verdict = "WARNING: average signature above 10 ms"
	}
	fmt.Fprintf(out, "selftest %s; the session key is destroyed, nothing left on the token\n", verdict)
	return nil
}
