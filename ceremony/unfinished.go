package ceremony

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// A ceremony killed outright (kill -9, a power cut) runs no abort: the key
// it made stays on the token and no transcript is written. So from the
// moment the key is about to be made, the ceremony keeps an unfinished
// marker in Config.StateDir — the ceremony machine's own disk, not the
// removable media — rewritten (atomically, fsync'd) with every entry and
// removed once the transcript is written. The next run finds it
// (FindUnfinished), destroys the leftover key with the operator's
// confirmation and writes the aborted transcript (Unfinished.Recover).

// UnfinishedFormat names the marker's format.
const UnfinishedFormat = "wallet-console/ceremony-unfinished/v1"

// UnfinishedSuffix ends a marker's file name: WKC-<id>.inprogress.json.
const UnfinishedSuffix = ".inprogress.json"

// unfinishedFile is the marker. Entries is the transcript so far, so that
// the aborted transcript written later continues the same hash chain.
type unfinishedFile struct {
	Format        string    `json:"format"`
	CeremonyID    string    `json:"ceremony_id"`
	RequestID     string    `json:"request_id"`
	ApprovalID    string    `json:"approval_id"`
	WalletVersion int       `json:"wallet_version"`
	KeyLabel      string    `json:"key_label"`
	TokenLabel    string    `json:"token_label"`
	TokenSerial   string    `json:"token_serial"`
	Module        string    `json:"module"`
	Operator      string    `json:"operator"`
	TranscriptDir string    `json:"transcript_dir"`
	Rehearsal     bool      `json:"rehearsal"`
	KeyStartedAt  time.Time `json:"key_started_at"` // when key generation began
	UpdatedAt     time.Time `json:"updated_at"`
	Step          string    `json:"step"` // where the ceremony stood at the last write
	Entries       []Entry   `json:"entries"`
}

// markUnfinished writes the marker before the key is made. The caller holds c.mu.
func (c *Ceremony) markUnfinished() error {
	if c.cfg.StateDir == "" {
		return nil
	}
	if err := os.MkdirAll(c.cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("record that the ceremony is under way: %w; check the console's data directory", err)
	}
	c.markerPath = filepath.Join(c.cfg.StateDir, c.id+UnfinishedSuffix)
	c.keyStartedAt = c.now()
	return c.saveUnfinished()
}

// saveUnfinished rewrites the marker with the entries so far; nothing once
// no marker is kept. The caller holds c.mu.
func (c *Ceremony) saveUnfinished() error {
	if c.markerPath == "" {
		return nil
	}
	u := unfinishedFile{Format: UnfinishedFormat, CeremonyID: c.id, KeyLabel: c.keyLabel, TokenLabel: c.cfg.TokenLabel,
		TokenSerial: c.tokenSerial, Module: c.moduleName(), Operator: c.cfg.Operator, TranscriptDir: c.cfg.TranscriptDir,
		Rehearsal: c.rehearsal, KeyStartedAt: c.keyStartedAt, UpdatedAt: c.now(), Step: c.step.String(), Entries: c.entries}
	if c.rf != nil {
		u.RequestID, u.ApprovalID, u.WalletVersion = c.rf.Request.ID, c.rf.Request.ApprovalID, c.rf.NextVersion
	}
	b, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		return fmt.Errorf("record that the ceremony is under way: %w", err)
	}
	if err := writeAtomic(c.markerPath, append(b, '\n')); err != nil {
		return fmt.Errorf("record that the ceremony is under way in %s: %w; check the console's data directory", c.markerPath, err)
	}
	return nil
}

// clearUnfinished removes the marker once the transcript is written. The
// caller holds c.mu.
func (c *Ceremony) clearUnfinished() error {
	if c.markerPath == "" {
		return nil
	}
	p := c.markerPath
	if err := removeSynced(p); err != nil {
		return fmt.Errorf("the transcript was written, but the ceremony's unfinished marker %s could not be removed (%w): remove it by hand, or the next ceremony run will ask about it", p, err)
	}
	c.markerPath = ""
	return nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory, fsync'd, renamed over path, the directory fsync'd: after a
// crash path holds the old or the new content, never a part.
func writeAtomic(path string, data []byte) error {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := path + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return werr
	}
	return syncDir(filepath.Dir(path))
}

func removeSynced(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Unfinished is a ceremony a previous run left without a transcript.
type Unfinished struct {
	path string
	u    unfinishedFile
	st   *replayState
}

// FindUnfinished lists the unfinished ceremonies recorded in stateDir,
// oldest first. A marker that cannot be read is an error naming the file
// (it is never ignored: it may stand for a key left on a token).
func FindUnfinished(stateDir string) ([]*Unfinished, error) {
	if stateDir == "" {
		return nil, nil
	}
	paths, err := filepath.Glob(filepath.Join(stateDir, "WKC-*"+UnfinishedSuffix))
	if err != nil {
		return nil, fmt.Errorf("look for unfinished ceremonies in %s: %w", stateDir, err)
	}
	sort.Strings(paths) // ids start with the time
	var out []*Unfinished
	for _, p := range paths {
		u, err := readUnfinished(p)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func readUnfinished(p string) (*Unfinished, error) {
	bad := func(why string) error {
		return fmt.Errorf("the unfinished-ceremony marker %s %s; a key may be left on the ceremony token: check it with pkcs11-tool --list-objects, then move the file away", p, why)
	}
	b, err := model.ReadFileLimit(p, model.MaxTranscriptBytes)
	if err != nil {
		return nil, bad(fmt.Sprintf("cannot be read (%v)", err))
	}
	var u unfinishedFile
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, bad("is not valid JSON")
	}
	if u.Format != UnfinishedFormat || u.CeremonyID == "" || u.KeyLabel == "" || u.TokenLabel == "" ||
		filepath.Base(p) != u.CeremonyID+UnfinishedSuffix {
		return nil, bad("is not a marker this console wrote")
	}
	if err := checkSequence(u.Entries); err != nil {
		return nil, bad(fmt.Sprintf("holds a broken transcript (%v)", err))
	}
	if err := checkChain(u.Entries); err != nil {
		return nil, bad(fmt.Sprintf("holds a broken transcript (%v)", err))
	}
	st, err := replayEntries(u.Entries, true)
	if err != nil {
		return nil, bad(fmt.Sprintf("holds a transcript that does not replay (%v)", err))
	}
	if st.aborted != nil || st.closing != nil || st.started.CeremonyID != u.CeremonyID {
		return nil, bad("does not describe an unfinished ceremony")
	}
	return &Unfinished{path: p, u: u, st: st}, nil
}

// ID is the unfinished ceremony's id.
func (u *Unfinished) ID() string { return u.u.CeremonyID }

// KeyLabel is the label of the key it was making.
func (u *Unfinished) KeyLabel() string { return u.u.KeyLabel }

// TokenLabel is the ceremony token's label.
func (u *Unfinished) TokenLabel() string { return u.u.TokenLabel }

// Step is the step the previous run was killed at.
func (u *Unfinished) Step() string { return u.st.stage.String() }

// Path is the marker's path.
func (u *Unfinished) Path() string { return u.path }

// String says what was found, for the operator, before anything is done.
func (u *Unfinished) String() string {
	key := "before its key was made"
	if u.st.key != nil {
		key = fmt.Sprintf("after it made key %s (fingerprint %s)", u.u.KeyLabel, u.st.key.Fingerprint)
	}
	return fmt.Sprintf("an unfinished ceremony %s (request %s, wallet v%d, operator %s) began making key %s on token %q (serial %s) at %s and was killed at step %s, %s, without writing a transcript; the key may still be on the token",
		u.u.CeremonyID, u.u.RequestID, u.u.WalletVersion, u.u.Operator, u.u.KeyLabel, u.u.TokenLabel, u.u.TokenSerial,
		u.u.KeyStartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), u.Step(), key)
}

// RecoverConfig is what recovering an unfinished ceremony needs.
type RecoverConfig struct {
	Module        *hsm.Module // holds the ceremony token
	PIN           []byte      // the ceremony token's user PIN (not kept)
	Confirm       string      // the key label, typed by the operator
	Ledger        Ledger
	TranscriptDir string // where the aborted transcript goes
	Operator      string // who recovers (the aborted entry's actor)
	Now           func() time.Time
}

// RecoverResult is what recovering did.
type RecoverResult struct {
	TranscriptPath string
	Note           string // what was done with the key, in words
}

// Recover ends an unfinished ceremony as an abort: with the key label typed
// as confirmation, it destroys the leftover key on the ceremony token (only
// if it is the one the ceremony made, when that is known) and checks it
// gone, appends an aborted entry to the ceremony's transcript so far, writes
// that transcript (WKC-<id>.json, O_EXCL, checked with Verify), records the
// ceremony as aborted in the ledger and removes the marker. The marker
// stays if anything before the ledger fails, so the next run asks again.
func (u *Unfinished) Recover(ctx context.Context, cfg RecoverConfig) (RecoverResult, error) {
	var res RecoverResult
	op := "clean up the unfinished ceremony " + u.u.CeremonyID
	if strings.TrimSpace(cfg.Confirm) != u.u.KeyLabel {
		return res, fmt.Errorf("%s: type the key label %s to confirm that its leftover key is destroyed", op, u.u.KeyLabel)
	}
	switch {
	case cfg.Module == nil:
		return res, fmt.Errorf("%s: no PKCS#11 module was given; start the console with --pkcs11-module", op)
	case cfg.Ledger == nil:
		return res, fmt.Errorf("%s: no ledger: the ceremony machine's database records the abort", op)
	case cfg.TranscriptDir == "":
		return res, fmt.Errorf("%s: no transcript directory: give the removable media's directory", op)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if ctx == nil {
		ctx = context.Background()
	}
	// A run killed after its transcript was written but before the marker
	// went: the ceremony ended; only the marker is left.
	for _, dir := range []string{cfg.TranscriptDir, u.u.TranscriptDir} {
		p := filepath.Join(dir, u.u.CeremonyID+".json")
		if _, err := os.Stat(p); err == nil && dir != "" {
			if err := removeSynced(u.path); err != nil {
				return res, fmt.Errorf("%s: its transcript %s exists, but the marker %s could not be removed: %w", op, p, u.path, err)
			}
			return RecoverResult{TranscriptPath: p, Note: fmt.Sprintf("ceremony %s had written its transcript %s; only its marker was left, now removed", u.u.CeremonyID, p)}, nil
		}
	}
	if u.u.RequestID != "" && !u.u.Rehearsal {
		used, err := cfg.Ledger.CeremonyUsed(ctx, u.u.RequestID)
		if err != nil {
			return res, fmt.Errorf("%s: ask the local database whether request %s was used: %w", op, u.u.RequestID, err)
		}
		if used {
			return res, fmt.Errorf("%s: a completed ceremony already used request %s, so the key labelled %s on token %q may be that ceremony's: nothing was destroyed; check the token by hand (pkcs11-tool --list-objects), then remove %s",
				op, u.u.RequestID, u.u.KeyLabel, u.u.TokenLabel, u.path)
		}
	}

	tok, err := cfg.Module.Token(u.u.TokenLabel)
	if err != nil {
		return res, fmt.Errorf("%s: open token %q: %w", op, u.u.TokenLabel, err)
	}
	defer tok.Close()
	if !tok.LoggedIn() {
		if err := tok.Login(cfg.PIN); err != nil {
			return res, fmt.Errorf("%s: log in to token %q: %w", op, u.u.TokenLabel, err)
		}
	}
	ti, err := tok.Info()
	if err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	if u.u.TokenSerial != "" && ti.Serial != u.u.TokenSerial {
		return res, fmt.Errorf("%s: token %q has serial %s, but the ceremony ran on serial %s: this is not the ceremony's token, nothing was destroyed; attach the ceremony token",
			op, u.u.TokenLabel, ti.Serial, u.u.TokenSerial)
	}
	d := abortedData{Step: u.Step(), AtStep: u.Step(), Destroyed: []string{}}
	k, err := tok.FindKey(u.u.KeyLabel)
	switch {
	case errors.Is(err, hsm.ErrKeyNotFound):
		d.Note = fmt.Sprintf("no key labelled %s was on token %q (checked on the next run)", u.u.KeyLabel, u.u.TokenLabel)
		d.Reason = fmt.Sprintf("interrupted: the previous run was killed at step %s; no leftover key was on the token on the next run", u.Step())
	case err != nil:
		return res, fmt.Errorf("%s: look for key %s on token %q: %w", op, u.u.KeyLabel, u.u.TokenLabel, err)
	default:
		// The ceremony's public key is known once key_generated was
		// recorded: a key under the label that is another is not ours.
		if u.st.pub != nil && !bytes.Equal(k.Public(), u.st.pub) {
			return res, fmt.Errorf("%s: the key labelled %s on token %q is not the one the ceremony made (fingerprint %s, the ceremony's %s): nothing was destroyed; check the token by hand",
				op, u.u.KeyLabel, u.u.TokenLabel, k.Fingerprint(), u.st.key.Fingerprint)
		}
		if _, err := destroyChecked(tok, u.u.KeyLabel); err != nil {
			return res, fmt.Errorf("%s: destroy the leftover key %s on token %q: %w; destroy it by hand: %s", op, u.u.KeyLabel, u.u.TokenLabel, err,
				manualDelete(cfg.Module.Name(), u.u.TokenLabel, u.u.KeyLabel))
		}
		d.Destroyed = append(d.Destroyed, fmt.Sprintf("%s on token %q (checked gone, on the next run)", u.u.KeyLabel, u.u.TokenLabel))
		d.Reason = fmt.Sprintf("interrupted: the previous run was killed at step %s; leftover key destroyed on the next run", u.Step())
	}
	if u.st.backup != nil && u.st.backup.Method == BackupOutOfBand {
		d.Note = strings.TrimPrefix(d.Note+"; ", "; ") + "an out-of-band backup was recorded: destroy that copy with the vendor's tools"
	} else if u.st.backup != nil && u.st.backup.BackupToken != "" {
		d.Note = strings.TrimPrefix(d.Note+"; ", "; ") + fmt.Sprintf("a copy may be on backup token %q: destroy it there", u.st.backup.BackupToken)
	}

	path, sum, err := u.writeAborted(cfg, d)
	if err != nil {
		return res, fmt.Errorf("%s: the leftover key is dealt with (%s), but %w; run ceremony run again to retry", op, d.note(), err)
	}
	res = RecoverResult{TranscriptPath: path, Note: d.note()}
	run := model.CeremonyRun{CeremonyID: u.u.CeremonyID, RequestID: u.u.RequestID, ApprovalID: u.u.ApprovalID, Version: u.u.WalletVersion,
		Outcome: OutcomeAborted, Step: d.Step, Reason: d.Reason, TranscriptPath: path, TranscriptSHA256: sum, At: cfg.Now().UTC()}
	if err := cfg.Ledger.RecordCeremony(context.WithoutCancel(ctx), run); err != nil {
		return res, fmt.Errorf("%s: the aborted transcript %s was written, but recording it in the local database failed: %w; record it by hand, then remove %s", op, path, err, u.path)
	}
	if err := removeSynced(u.path); err != nil {
		return res, fmt.Errorf("%s: the aborted transcript %s was written and recorded, but the marker %s could not be removed (%w): remove it by hand", op, path, u.path, err)
	}
	return res, nil
}

// writeAborted appends the aborted entry to the saved entries and writes
// the transcript as Abort does, returning its path and SHA-256.
func (u *Unfinished) writeAborted(cfg RecoverConfig, d abortedData) (string, string, error) {
	entries := append([]Entry(nil), u.u.Entries...)
	last := entries[len(entries)-1]
	raw, err := marshalData(d)
	if err != nil {
		return "", "", err
	}
	e := Entry{Seq: last.Seq + 1, Step: d.Step, Event: EventAborted, Actor: cfg.Operator,
		Time: cfg.Now().UTC().Format(time.RFC3339Nano), Data: raw, Prev: last.Hash}
	if e.Hash, err = EntryHash(e); err != nil {
		return "", "", err
	}
	entries = append(entries, e)
	st, err := replay(entries)
	if err != nil {
		return "", "", fmt.Errorf("the aborted transcript does not replay (%w); this is a fault of the console", err)
	}
	t := &Transcript{Format: TranscriptFormat, CeremonyID: u.u.CeremonyID, Outcome: OutcomeAborted, Rehearsal: st.overrideEntry != nil,
		Roster: []RosterEntry{}, Entries: entries, FinalHash: e.Hash}
	if r := st.request; r != nil {
		t.RequestID, t.ApprovalID, t.WalletVersion, t.KeyLabel, t.WitnessesRequired = r.RequestID, r.ApprovalID, r.WalletVersion, r.KeyLabel, r.WitnessesRequired
		for _, w := range r.Roster {
			t.Roster = append(t.Roster, RosterEntry{Name: w.Name, PublicKey: w.PublicKey})
		}
	}
	if st.key != nil {
		t.MasterPublicKey, t.PublicKeyFingerprint = st.key.PublicKeyPEM, st.key.Fingerprint
	}
	if st.backup != nil {
		t.Backup = &BackupHeader{Method: st.backup.Method, Proven: st.backup.Proven}
	}
	b, err := MarshalTranscript(t)
	if err != nil {
		return "", "", err
	}
	if _, err := Verify(b); err != nil {
		return "", "", fmt.Errorf("the aborted transcript does not verify (%w); this is a fault of the console", err)
	}
	c := &Ceremony{cfg: Config{TranscriptDir: cfg.TranscriptDir}, id: u.u.CeremonyID}
	return c.writeTranscript(b)
}
