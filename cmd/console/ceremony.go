package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui"
)

// ceremonyFlags are the flags of `console ceremony …` (one set for all three
// actions, so that flags and the action may come in any order).
type ceremonyFlags struct {
	g       *globals
	h       hsmFlags
	dir     string
	netRoot string
}

// cmdCeremony is `console ceremony run|verify|import`.
func cmdCeremony(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("ceremony")
	f := ceremonyFlags{g: g}
	f.h.register(fs)
	fs.StringVar(&f.dir, "transcript-dir", ".", "run: where the challenge, final message and transcript go (the removable media)")
	fs.StringVar(&f.netRoot, "net-root", "", "run: read /proc/net/route and /sys/class/net under this root (tests)")
	backupToken := fs.String("backup-token", "", "prove-backup: the backup token's label")
	if err := fs.Parse(args); err != nil {
		return err
	}
	verb, rest := fs.Arg(0), fs.Args()
	if len(rest) > 0 {
		rest = rest[1:]
	}
	switch verb {
	case "prove-backup":
		return ceremonyProveBackup(ctx, f, *backupToken, rest, out)
	case "run":
		if len(rest) > 0 {
			return fmt.Errorf("ceremony run takes no arguments (got %q); the request file is asked for in the first step", rest[0])
		}
		return ceremonyRun(ctx, f, out)
	case "verify", "import":
		if len(rest) != 1 {
			return fmt.Errorf("ceremony %s: give one transcript file: console ceremony %s FILE", verb, verb)
		}
		if verb == "verify" {
			return ceremonyVerify(rest[0], out)
		}
		return ceremonyImport(ctx, g, rest[0], out)
	case "":
		return errors.New("ceremony: say what to do: run, verify FILE, import FILE or prove-backup VERSION")
	}
	return fmt.Errorf("ceremony: unknown action %q: use run, verify FILE, import FILE or prove-backup VERSION", verb)
}

// ceremonyRun opens the console on the ceremony flow (the air-gapped machine,
// its embedded database and its HSM).
func ceremonyRun(ctx context.Context, f ceremonyFlags, out io.Writer) error {
	g, h := f.g, f.h
	if h.token == "" {
		return errors.New("ceremony run: give the ceremony token with --token LABEL (`console hsm info` lists them)")
	}
	if !isTerminal(os.Stdout) || !isTerminal(os.Stdin) {
		return errors.New("ceremony run needs a terminal: the ceremony is run by a person, step by step, in the console")
	}
	abs, err := filepath.Abs(f.dir)
	if err != nil {
		return fmt.Errorf("ceremony run: transcript directory: %w", err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return fmt.Errorf("ceremony run: the transcript directory %s is not a directory; mount the removable media or pass --transcript-dir", abs)
	}
	if err := softHSMConf(h.module, g.dataDir); err != nil {
		return err
	}
	m, err := hsm.Open(h.module)
	if err != nil {
		return err
	}
	defer m.Close()
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()

	var drv *ceremonyDriver
	start := func(context.Context) (ui.Ceremony, error) {
		c, err := ceremony.New(ctx, ceremony.Config{Module: m, TokenLabel: h.token, Operator: g.operator,
			TranscriptDir: abs, NetRoot: f.netRoot, Ledger: db})
		if err != nil {
			return nil, err
		}
		drv = &ceremonyDriver{c: c, m: m, dir: abs}
		return drv, nil
	}
	prof := ui.DefaultProfile()
	app := ui.NewApp(ui.Options{Source: dbSource{db}, Refresh: -1, Profile: prof, Context: ctx,
		Flow: "ceremony", StartCeremony: start})
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithColorProfile(prof))
	_, runErr := p.Run()
	// A signal or a lost terminal ends the program without a key: abort a
	// ceremony still under way all the same.
	app.Shutdown()
	if drv != nil {
		drv.closeBackup()
	}
	if f := app.Farewell(); f != "" {
		fmt.Fprintln(out, f)
	}
	if runErr != nil && ctx.Err() == nil {
		return fmt.Errorf("ceremony: %w", runErr)
	}
	return nil
}

// ceremonyVerify checks a transcript anywhere, offline.
func ceremonyVerify(path string, out io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("ceremony verify: %w", err)
	}
	sum, err := ceremony.Verify(data)
	if err != nil {
		return &exitError{code: 1, err: inert(fmt.Errorf("ceremony verify %s: REFUSED: %w", path, err))}
	}
	for _, l := range strings.Split(strings.TrimRight(sum.String(), "\n"), "\n") {
		fmt.Fprintln(out, ui.Inert(l)) // line by line: Inert shows a newline as \x0a
	}
	fmt.Fprintf(out, "verified: %s (hash chain, master-key signature, witness signatures against the roster in the file)\n", path)
	return nil
}

// ceremonyImport creates the wallet version a verified transcript made, on
// the connected side: once, and only for the request and approval the
// database knows.
func ceremonyImport(ctx context.Context, g *globals, path string, out io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("ceremony import: %w", err)
	}
	sum, err := ceremony.Verify(data)
	if err != nil {
		return inert(fmt.Errorf("ceremony import %s: REFUSED, the transcript does not verify: %w", path, err))
	}
	in, err := sum.Import(data)
	if err != nil {
		return inert(fmt.Errorf("ceremony import %s: REFUSED: %w", path, err))
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	created, err := db.ImportCeremony(ctx, in, g.operator)
	if err != nil {
		return inert(fmt.Errorf("ceremony import %s: %w", path, err))
	}
	if !created {
		fmt.Fprintf(out, "already imported: ceremony %s (%s, transcript %s…) — nothing changed\n",
			ui.Inert(in.CeremonyID), model.VersionName(in.Version), in.TranscriptSHA256[:16])
		return nil
	}
	proof := "backup proven"
	if !in.BackupProven {
		proof = "backup proof PENDING: the wallet cannot be activated until the backup token proves the key"
	}
	fmt.Fprintf(out, "imported ceremony %s: created %s (status created), master key %s, fingerprint %s, %d witnesses, %s\n",
		ui.Inert(in.CeremonyID), model.VersionName(in.Version), ui.Inert(in.KeyLabel), in.Fingerprint, in.WitnessCount, proof)
	return nil
}
