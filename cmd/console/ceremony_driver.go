package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/ui"
)

// ceremonyDriver adapts package ceremony to the console's ceremony flow: it
// words each step's result for the operator, reads witness signatures from
// files on the removable media (or pasted text), writes the challenge and
// the final message there for witnesses to sign, and opens the backup token.
type ceremonyDriver struct {
	c      *ceremony.Ceremony
	m      *hsm.Module
	dir    string
	backup *hsm.Token
}

func (d *ceremonyDriver) ID() string { return d.c.ID() }

func (d *ceremonyDriver) Steps() []ui.CeremonyStep {
	var out []ui.CeremonyStep
	for _, s := range ceremony.Steps() {
		out = append(out, ui.CeremonyStep{Name: s.String(), Title: s.Title(), Describe: s.Describe()})
	}
	return out
}

func (d *ceremonyDriver) LoadRequest(path string) (string, error) {
	info, err := d.c.LoadRequest(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("request %s approved as %s, valid until %s; the key will be %s (wallet v%d); %d witnesses needed of %d on the roster",
		info.RequestID, info.ApprovalID, info.ValidUntil.UTC().Format("2006-01-02 15:04 UTC"), info.KeyLabel, info.Version,
		info.Need, len(info.Roster)), nil
}

func (d *ceremonyDriver) CheckOffline(override string) (string, error) {
	rep, err := d.c.CheckOffline(override)
	if err != nil {
		return "", err
	}
	if override != "" {
		return "REHEARSAL: " + rep.Summary + " — override recorded: " + override, nil
	}
	return rep.Summary, nil
}

func (d *ceremonyDriver) OpenHSM(pin []byte) (string, error) {
	info, err := d.c.OpenHSM(pin)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("logged in to token %s (%s %s, serial %s)", info.TokenLabel, info.Manufacturer, info.Model, info.Serial), nil
}

// Challenge also writes the challenge to <dir>/<id>.challenge.txt for the
// witnesses to sign on their own machines.
func (d *ceremonyDriver) Challenge() (string, string, error) {
	text := d.c.Challenge()
	if text == nil {
		return "", "", errors.New("no challenge yet: the HSM step comes first")
	}
	path, err := d.writeOnce(d.c.ID()+".challenge.txt", text)
	return string(text), path, err
}

func (d *ceremonyDriver) FinalMessage() (string, string, error) {
	text, err := d.c.FinalMessage()
	if err != nil {
		return "", "", err
	}
	path, err := d.writeOnce(d.c.ID()+".final.txt", text)
	return string(text), path, err
}

// writeOnce writes name in the transcript directory unless it is already
// there with the same content (a second call of the same step).
func (d *ceremonyDriver) writeOnce(name string, text []byte) (string, error) {
	path := filepath.Join(d.dir, name)
	if old, err := os.ReadFile(path); err == nil {
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

func (d *ceremonyDriver) AddWitness(sig string) (ui.Progress, error) {
	b, err := signatureInput(sig)
	if err != nil {
		return ui.Progress{}, err
	}
	p, err := d.c.AddWitness(b)
	return ui.Progress{Name: p.Name, Done: p.Done, Need: p.Need}, err
}

func (d *ceremonyDriver) AddClosingSignature(sig string) (ui.Progress, error) {
	b, err := signatureInput(sig)
	if err != nil {
		return ui.Progress{}, err
	}
	p, err := d.c.AddClosingSignature(b)
	return ui.Progress{Name: p.Name, Done: p.Done, Need: p.Need}, err
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
	f, err := os.Open(s)
	if err != nil {
		return nil, fmt.Errorf("read the signature: %w; check the path on the removable media", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read the signature %s: %w", s, err)
	}
	return b, nil
}

func (d *ceremonyDriver) MixEntropy(e []byte) (string, error) {
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

func (d *ceremonyDriver) GenerateKey() (string, error) {
	k, err := d.c.GenerateKey()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("made %s in the HSM, CKA_ID %s; public key read back, test signature verified outside the HSM; fingerprint %s",
		k.Label, k.IDHex, k.Fingerprint), nil
}

func (d *ceremonyDriver) Backup(token string, pin []byte) (string, error) {
	if token == "" {
		info, err := d.c.Backup(nil)
		if err != nil {
			return "", err
		}
		return info.Note, nil
	}
	if d.backup == nil || d.backup.Label() != token {
		d.closeBackup()
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

func (d *ceremonyDriver) Close() (string, error) { return d.c.Close() }

func (d *ceremonyDriver) Abort(step, reason string) (string, error) {
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

func (d *ceremonyDriver) Finished() bool { return d.c.Outcome() != "" }

// closeBackup logs out of the backup token (after the ceremony ends: an
// abort may still destroy a copy on it).
func (d *ceremonyDriver) closeBackup() {
	if d.backup != nil {
		d.backup.Close()
		d.backup = nil
	}
}
