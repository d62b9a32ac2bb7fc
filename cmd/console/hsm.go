package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
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

// openModule loads the module the flags name.
func (h *hsmFlags) openModule(g *globals) (*hsm.Module, error) {
	if err := softHSMConf(h.module, g.dataDir); err != nil {
		return nil, err
	}
	return hsm.Open(h.module)
}

// openToken opens the module and the token, and logs in (one PIN) when
// login is set. The returned close logs out and finalises on every path.
func (h *hsmFlags) openToken(g *globals, login bool) (*hsm.Module, *hsm.Token, func(), error) {
	tries := 0
	if login {
		tries = 1
	}
	return h.openTokenTries(g, tries, nil)
}

// openTokenTries is openToken with up to tries PINs (0: no login); warn
// hears about each refused one (the terminal the PIN is asked on).
func (h *hsmFlags) openTokenTries(g *globals, tries int, warn io.Writer) (*hsm.Module, *hsm.Token, func(), error) {
	if h.token == "" {
		return nil, nil, nil, errors.New("give the token with --token LABEL (`console hsm info` lists them)")
	}
	m, err := h.openModule(g)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := m.Token(h.token)
	if err != nil {
		m.Close()
		return nil, nil, nil, err
	}
	closeAll := func() { t.Close(); m.Close() }
	if tries > 0 {
		if h.pinFile != "" {
			tries = 1 // the same file would give the same PIN again
		}
		read := func() ([]byte, error) { return readPIN(h.pinFile, "token "+ui.Inert(h.token)) }
		if err := loginTries(t.Login, read, tries, warn); err != nil {
			closeAll()
			return nil, nil, nil, err
		}
	}
	return m, t, closeAll, nil
}

func bindHSMInfo(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	return func(ctx context.Context, c *call) error {
		defer c.g.setupLog()()
		m, err := h.openModule(&c.g)
		if err != nil {
			return err
		}
		defer m.Close()
		info, err := ops.ModuleInfo(m, h.token)
		if err != nil {
			return err
		}
		mi := info.Module
		fmt.Fprintf(c.out, "module   %s\n         %s %s (library %s, PKCS#11 %s)\n\n", ui.Inert(mi.Path), ui.Inert(mi.Manufacturer),
			ui.Inert(mi.Description), mi.LibraryVersion, mi.CryptokiVersion)
		if len(info.Tokens) == 0 {
			fmt.Fprintln(c.out, "no initialised token (for SoftHSM: softhsm2-util --init-token --free --label LABEL)")
			return nil
		}
		tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LABEL\tSERIAL\tMODEL\tMANUFACTURER\tFREE\tPIN\tLOGGED IN")
		for _, t := range info.Tokens {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", ui.Inert(t.Label), ui.Inert(t.Serial), ui.Inert(t.Model),
				ui.Inert(t.Manufacturer), t.FreeSpace(), ops.PINState(t), t.LoggedIn)
		}
		return tw.Flush()
	}
}

func bindHSMKeys(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	return func(ctx context.Context, c *call) error {
		defer c.g.setupLog()()
		_, t, closeAll, err := h.openToken(&c.g, true)
		if err != nil {
			return err
		}
		defer closeAll()
		keys, err := t.Keys()
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			fmt.Fprintf(c.out, "token %s holds no keys\n", ui.Inert(h.token))
			return nil
		}
		tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
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
}

func bindHSMSelftest(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	signs := intFlag(fs, "signatures", 1000, 1, 10_000_000, "signatures to make")
	return func(ctx context.Context, c *call) error {
		defer c.g.setupLog()()
		_, t, closeAll, err := h.openToken(&c.g, true)
		if err != nil {
			return err
		}
		defer closeAll()
		res, err := ops.Selftest(ctx, t, *signs, model.DefaultThresholds().Signature)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "token %s: ping %s, key generated in %s\n", ui.Inert(h.token), res.Ping.Round(time.Microsecond), res.Generate.Round(time.Microsecond))
		fmt.Fprintf(c.out, "%d signatures verified outside the HSM: average %s, %.0f signatures/s on one session\n",
			res.Signatures, res.Average.Round(time.Microsecond), float64(res.Signatures)/res.Total.Seconds())
		verdict := "PASS"
		if res.Slow {
			verdict = "WARNING: average signature above 10 ms"
		}
		fmt.Fprintf(c.out, "selftest %s; the session key is destroyed, nothing left on the token\n", verdict)
		return nil
	}
}
