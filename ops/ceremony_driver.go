package ops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// CeremonyDriver adapts package ceremony to the console's ceremony flow
// (it is a ui.Ceremony: the interface is in model's types): it words each step's
// result for the operator, reads witness signatures from files on the
// removable media (or pasted text), writes the challenge and the final
// message there for witnesses to sign, and opens the backup token.
type CeremonyDriver struct {
	c      *ceremony.Ceremony
	m      *hsm.Module
	dir    string
	backup *hsm.Token
}

// CeremonyConfig is what a ceremony run needs besides the Service's database.
type CeremonyConfig struct {
	Module        *hsm.Module
	TokenLabel    string
	TranscriptDir string // absolute; the removable media
	NetRoot       string // tests: read /proc and /sys under this root
	// StateDir is the ceremony machine's own directory (in the data
	// directory) for the unfinished-ceremony markers a run killed outright
	// leaves behind.
	StateDir string
}

// StartCeremony begins a ceremony on this (air-gapped) machine, its own
// database recording it. If a previous run was killed before it could end
// (its marker is in StateDir), no ceremony starts: the error is an
// *UnfinishedCeremony, to be cleaned up first.
func (s *Service) StartCeremony(ctx context.Context, cfg CeremonyConfig) (*CeremonyDriver, error) {
	us, err := ceremony.FindUnfinished(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("ceremony run: %w", err)
	}
	if len(us) > 0 {
		return nil, &UnfinishedCeremony{u: us[0], s: s, cfg: cfg, ctx: ctx}
	}
	c, err := ceremony.New(ctx, ceremony.Config{Module: cfg.Module, TokenLabel: cfg.TokenLabel, Operator: s.Actor,
		TranscriptDir: cfg.TranscriptDir, NetRoot: cfg.NetRoot, Ledger: s.DB, StateDir: cfg.StateDir})
	if err != nil {
		return nil, err
	}
	return &CeremonyDriver{c: c, m: cfg.Module, dir: cfg.TranscriptDir}, nil
}

// ID is the ceremony's id.
func (d *CeremonyDriver) ID() string { return d.c.ID() }

// Steps lists the steps in order as package ceremony declares them: what
// each will do, its inputs, the text it has signed and its action.
func (d *CeremonyDriver) Steps() []model.CeremonyStep {
	var out []model.CeremonyStep
	for _, s := range ceremony.Steps() {
		out = append(out, s.Model())
	}
	return out
}

// LoadRequest reads and checks the request file.
func (d *CeremonyDriver) LoadRequest(path string) (string, error) {
	info, err := d.c.LoadRequest(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("request %s approved as %s, valid until %s; the key will be %s (wallet v%d); %d witnesses needed of %d on the roster",
		info.RequestID, info.ApprovalID, info.ValidUntil.UTC().Format("2006-01-02 15:04 UTC"), info.KeyLabel, info.Version,
		info.Need, len(info.Roster)), nil
}

// CheckOffline proves the machine is offline; an override records a rehearsal.
func (d *CeremonyDriver) CheckOffline(override string) (string, error) {
	rep, err := d.c.CheckOffline(override)
	if err != nil {
		return "", err
	}
	if d.c.Rehearsal() {
		// An override typed, or a check of another root (--net-root): the
		// ceremony is a rehearsal either way, and says so.
		why := override
		if why == "" {
			why = "the check did not read this machine"
		}
		return "REHEARSAL: " + rep.Summary + " — " + why, nil
	}
	return rep.Summary, nil
}

// Rehearsal reports whether the ceremony is a rehearsal.
func (d *CeremonyDriver) Rehearsal() bool { return d.c.Rehearsal() }

// OpenHSM logs in to the ceremony token.
func (d *CeremonyDriver) OpenHSM(pin []byte) (string, error) {
	info, err := d.c.OpenHSM(pin)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("logged in to token %s (%s %s, serial %s)", info.TokenLabel, info.Manufacturer, info.Model, info.Serial), nil
}

// Challenge also writes the challenge to <dir>/<id>.challenge.txt for the
// witnesses to sign on their own machines.
func (d *CeremonyDriver) Challenge() (string, string, error) {
	text := d.c.Challenge()
	if text == nil {
		return "", "", errors.New("no challenge yet: the HSM step comes first")
	}
	path, err := d.writeOnce(d.c.ID()+".challenge.txt", text)
	return string(text), path, err
}

// FinalMessage is what the master key and the witnesses sign at the end; it
// is written to <dir>/<id>.final.txt.
func (d *CeremonyDriver) FinalMessage() (string, string, error) {
	text, err := d.c.FinalMessage()
	if err != nil {
		return "", "", err
	}
	path, err := d.writeOnce(d.c.ID()+".final.txt", text)
	return string(text), path, err
}

// writeOnce writes name in the transcript directory unless it is already
// there with the same content (a second call of the same step).
func (d *CeremonyDriver) writeOnce(name string, text []byte) (string, error) {
	path := filepath.Join(d.dir, name)
	if old, err := model.ReadFileLimit(path, model.MaxTranscriptBytes); err == nil {
		if string(old) == string(text) {
			return path, nil
		}
		return "", fmt.Errorf("%s exists with other content and is never overwritten; move it away", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(text); err != nil {
		f.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, f.Close()
}

// AddWitness checks one witness attestation (armored text or a file path).
func (d *CeremonyDriver) AddWitness(sig string) (model.WitnessProgress, error) {
	return d.addSignature(sig, d.c.AddWitness)
}

// AddClosingSignature checks one witness's signature of the final message.
func (d *CeremonyDriver) AddClosingSignature(sig string) (model.WitnessProgress, error) {
	return d.addSignature(sig, d.c.AddClosingSignature)
}

func (d *CeremonyDriver) addSignature(sig string, add func([]byte) (ceremony.Progress, error)) (model.WitnessProgress, error) {
	b, err := signatureInput(sig)
	if err != nil {
		return model.WitnessProgress{}, err
	}
	p, err := add(b)
	return model.WitnessProgress{Name: p.Name, Done: p.Done, Need: p.Need}, err
}

// signatureInput is a pasted armored signature (package ceremony reads it
// even with its line breaks lost in a one-line field) or the path of a file.
func signatureInput(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.Contains(s, "-----BEGIN SSH SIGNATURE-----"):
		return []byte(s), nil
	case s == "":
		return nil, errors.New("give the witness's signature file (or paste the signature)")
	}
	b, err := model.ReadFileLimit(s, model.MaxKeyFileBytes)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("read the signature: %w; check the path on the removable media", err)
	}
	if err != nil {
		return nil, fmt.Errorf("read the signature %s: %w", s, err)
	}
	return b, nil
}

// MixEntropy mixes operator entropy into the HSM's generator; only its
// digest is recorded.
func (d *CeremonyDriver) MixEntropy(e []byte) (string, error) {
	info, err := d.c.MixEntropy(e)
	if err != nil {
		return "", err
	}
	if !info.Mixed {
		return fmt.Sprintf("%d bytes of operator entropy (SHA-256 %s…) NOT mixed: %s; the HSM generator alone is used",
			info.OperatorBytes, info.OperatorSHA256[:16], info.NotMixedReason), nil
	}
	return fmt.Sprintf("mixed %d bytes of operator entropy into the HSM generator (SHA-256 %s…); only the digest is recorded",
		info.OperatorBytes, info.OperatorSHA256[:16]), nil
}

// GenerateKey makes the master key in the HSM and checks it.
func (d *CeremonyDriver) GenerateKey() (string, error) {
	k, err := d.c.GenerateKey()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("made %s in the HSM, CKA_ID %s; public key read back, test signature verified outside the HSM; fingerprint %s",
		k.Label, k.IDHex, k.Fingerprint), nil
}

// Backup backs the key up to token (logging in with pin); token "" records
// an out-of-band backup whose proof comes later (ProveBackup).
func (d *CeremonyDriver) Backup(token string, pin []byte) (string, error) {
	if token == "" {
		info, err := d.c.Backup(nil)
		if err != nil {
			return "", err
		}
		return info.Note, nil
	}
	if d.backup == nil || d.backup.Label() != token {
		d.CloseBackup()
		t, err := d.m.Token(token)
		if err != nil {
			return "", err
		}
		if err := t.Login(pin); err != nil {
			t.Close()
			return "", err
		}
		d.backup = t
	}
	info, err := d.c.Backup(d.backup)
	if err != nil {
		return "", err
	}
	return info.Note, nil
}

// Close signs and writes the transcript; it returns the file's path.
func (d *CeremonyDriver) Close() (string, error) { return d.c.Close() }

// Abort destroys any key made, records why and writes the transcript.
func (d *CeremonyDriver) Abort(step, reason string) (string, error) {
	path, err := d.c.Abort(step, reason)
	var what string
	if path != "" {
		what = "transcript written to " + path
	}
	if note := d.c.AbortNote(); note != "" {
		what = strings.TrimSuffix(note+"; "+what, "; ")
	}
	return what, err
}

// Finished reports whether the ceremony was closed or aborted.
func (d *CeremonyDriver) Finished() bool { return d.c.Outcome() != "" }

// CloseBackup logs out of the backup token; call it after the ceremony
// ends (an abort may still destroy a copy on it).
func (d *CeremonyDriver) CloseBackup() {
	if d.backup != nil {
		d.backup.Close()
		d.backup = nil
	}
}

// UnfinishedCeremony is a ceremony a previous run left without a
// transcript (it was killed: kill -9, a power cut), found when the next
// run starts. Recover cleans it up; until then no new ceremony starts.
type UnfinishedCeremony struct {
	u   *ceremony.Unfinished
	s   *Service
	cfg CeremonyConfig
	ctx context.Context
}

func (e *UnfinishedCeremony) Error() string {
	return "ceremony run: " + e.u.String() + "; no new ceremony starts until it is cleaned up: run ceremony run again and confirm with the key label"
}

// Leftover says what was found.
func (e *UnfinishedCeremony) Leftover() string { return e.u.String() }

// KeyLabel is what the operator types to confirm.
func (e *UnfinishedCeremony) KeyLabel() string { return e.u.KeyLabel() }

// TokenLabel is the token the leftover key is on (its PIN is asked).
func (e *UnfinishedCeremony) TokenLabel() string { return e.u.TokenLabel() }

// Recover destroys the leftover key (confirm is the key label typed, pin
// the token's PIN), writes the aborted transcript to the transcript
// directory, records the abort in this machine's database and removes the
// marker; it says what it did.
func (e *UnfinishedCeremony) Recover(confirm string, pin []byte) (string, error) {
	res, err := e.u.Recover(e.ctx, ceremony.RecoverConfig{Module: e.cfg.Module, PIN: pin, Confirm: confirm, Ledger: e.s.DB,
		TranscriptDir: e.cfg.TranscriptDir, Operator: e.s.Actor})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("ceremony %s is recorded as ABORTED (interrupted at step %s): %s; transcript written to %s",
		e.u.ID(), e.u.Step(), res.Note, res.TranscriptPath), nil
}
