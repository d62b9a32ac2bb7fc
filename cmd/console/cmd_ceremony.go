package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/ui"
)

// This file: ceremony run, verify, import and prove-backup.

func bindCeremonyRun(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	dir := fs.String("transcript-dir", ".", "where the challenge, final message and transcript go (the removable media)")
	netRoot := fs.String("net-root", "", "read /proc/net/route and /sys/class/net under this root (tests)")
	return func(ctx context.Context, c *call) error {
		if h.token == "" {
			return errors.New("ceremony run: give the ceremony token with --token LABEL (`console hsm info` lists them)")
		}
		if !isTerminal(os.Stdout) || !isTerminal(os.Stdin) {
			return errors.New("ceremony run needs a terminal: the ceremony is run by a person, step by step, in the console")
		}
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return fmt.Errorf("ceremony run: transcript directory: %w", err)
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return fmt.Errorf("ceremony run: the transcript directory %s is not a directory; mount the removable media or pass --transcript-dir", abs)
		}
		// The unfinished-ceremony markers live beside the ledger (the
		// embedded cluster's data directory), not on the removable media.
		stateDir, err := filepath.Abs(filepath.Join(c.g.dataDir, "ceremonies"))
		if err != nil {
			return fmt.Errorf("ceremony run: data directory: %w", err)
		}
		m, err := h.openModule(&c.g)
		if err != nil {
			return err
		}
		defer m.Close()
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()

		var drv *ops.CeremonyDriver
		start := func(context.Context) (ui.Ceremony, error) {
			d, err := s.StartCeremony(ctx, ops.CeremonyConfig{Module: m, TokenLabel: h.token, TranscriptDir: abs, NetRoot: *netRoot,
				StateDir: stateDir})
			if err != nil {
				return nil, err
			}
			drv = d
			return d, nil
		}
		prof := ui.DefaultProfile()
		app := ui.NewApp(ui.Options{Source: s, Refresh: -1, Profile: prof, Context: ctx,
			Flow: "ceremony", StartCeremony: start})
		p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithColorProfile(prof))
		_, runErr := p.Run()
		// A signal or a lost terminal ends the program without a key: abort a
		// ceremony still under way all the same.
		app.Shutdown()
		if drv != nil {
			drv.CloseBackup()
		}
		if f := app.Farewell(); f != "" {
			fmt.Fprintln(c.out, f)
		}
		if runErr != nil && ctx.Err() == nil {
			return fmt.Errorf("ceremony: %w", runErr)
		}
		if drv != nil && drv.Outcome() == ceremony.OutcomeAborted {
			return &exitError{code: exitAborted, err: errors.New("ceremony run: the ceremony was ABORTED and made no wallet (the transcript says where and why)")}
		}
		return nil
	}
}

// Exit codes of `ceremony verify` (and `ceremony run`: exitAborted). Any
// other failure, a transcript that does not verify among them, exits 1.
const (
	exitInvalid   = 1 // the transcript does not verify (tampered, malformed, untrusted witnesses)
	exitAborted   = 2 // intact, but the ceremony was aborted
	exitRehearsal = 3 // intact and completed, but a rehearsal
)

func bindCeremonyVerify(fs *flag.FlagSet) handler {
	allowed := fs.String("allowed-signers", "", "an OpenSSH allowed_signers file you trust: check every witness signature against it, not only against the roster inside the transcript")
	return func(ctx context.Context, c *call) error {
		path := c.args[0]
		sum, err := ops.VerifyTranscript(path, *allowed)
		var refused *ops.Refused
		if errors.As(err, &refused) {
			if sum != nil {
				printLines(c.out, sum.String())
			}
			return &exitError{code: exitInvalid, err: err}
		}
		if err != nil {
			return fmt.Errorf("ceremony verify: %w", err)
		}
		printLines(c.out, sum.String())
		against := "the roster in the file, which is unsigned"
		if *allowed != "" {
			against = *allowed
		}
		switch sum.Verdict() {
		case ceremony.VerdictAborted:
			return &exitError{code: exitAborted, err: fmt.Errorf("ceremony verify %s: the transcript is intact, but the ceremony was %s", path, sum.VerdictText())}
		case ceremony.VerdictRehearsal:
			return &exitError{code: exitRehearsal, err: fmt.Errorf("ceremony verify %s: the transcript is intact, but it is a %s", path, sum.VerdictText())}
		}
		fmt.Fprintf(c.out, "verified: %s, a completed real ceremony (hash chain, master-key signature, witness signatures against %s)\n", path, against)
		return nil
	}
}

func bindCeremonyImport(fs *flag.FlagSet) handler {
	return func(ctx context.Context, c *call) error {
		in, err := ops.ReadTranscript(c.args[0])
		if err != nil {
			return err
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		res, err := s.ImportCeremony(ctx, in)
		if err != nil {
			return err
		}
		if !res.Created {
			fmt.Fprintf(c.out, "already imported: ceremony %s (%s, transcript %s…) — nothing changed\n",
				ui.Inert(in.CeremonyID), model.VersionName(in.Version), in.TranscriptSHA256[:16])
			return nil
		}
		proof := "backup proven"
		if !in.BackupProven {
			proof = "backup proof PENDING: the wallet cannot be activated until the backup token proves the key"
		}
		fmt.Fprintf(c.out, "imported ceremony %s: created %s (status created), master key %s, fingerprint %s, %d witnesses, %s\n",
			ui.Inert(in.CeremonyID), model.VersionName(in.Version), ui.Inert(in.KeyLabel), in.Fingerprint, in.WitnessCount, proof)
		return nil
	}
}

func bindProveBackup(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	backupToken := fs.String("backup-token", "", "the backup token's label")
	return func(ctx context.Context, c *call) error {
		version, err := model.ParseVersion(c.args[0])
		if err != nil {
			return fmt.Errorf("ceremony prove-backup: %w", err)
		}
		vn := model.VersionName(version)
		if *backupToken == "" {
			return fmt.Errorf("ceremony prove-backup %s: give the backup token with --backup-token LABEL (`console hsm info` lists them)", vn)
		}
		if h.token != "" && h.token != *backupToken {
			return fmt.Errorf("ceremony prove-backup %s: --token %s and --backup-token %s disagree: the proof is made on the backup token; give only --backup-token",
				vn, h.token, *backupToken)
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		bh := h
		bh.token = *backupToken
		open := func() (*hsm.Token, func(), error) {
			_, t, closeT, err := bh.openToken(&c.g, true)
			return t, closeT, err
		}
		res, err := s.ProveBackup(ctx, version, *backupToken, open)
		if err != nil {
			return err
		}
		switch {
		case res.Note != "":
			printLines(c.out, res.Note)
		case res.AlreadyProven:
			fmt.Fprintf(c.out, "the backup of %s's master key %s (fingerprint %s) is already proven; nothing changed\n", vn, ui.Inert(res.KeyLabel), res.Fingerprint)
		default:
			p := res.Proof
			sum := sha256.Sum256(p.Challenge)
			fmt.Fprintf(c.out, "backup proven: token %s (serial %s, model %s) signed a fresh challenge (sha256 %s…) with key %s, and the signature verifies under %s's master public key (fingerprint %s)\n",
				ui.Inert(p.Token), ui.Inert(res.TokenSerial), ui.Inert(res.TokenModel), hex.EncodeToString(sum[:8]), ui.Inert(p.Label), vn, p.Fingerprint)
			fmt.Fprintf(c.out, "recorded with its audit row (%s); %s may now be activated\n", model.OpBackupProof, vn)
		}
		return nil
	}
}
