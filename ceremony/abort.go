package ceremony

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/hsm"
)

// Abort stops the ceremony at any step — a refusal, a cancel, Ctrl-C, a lost
// HSM — and leaves no usable key behind: the master key (if one was made) is
// destroyed on the main token, and so is a copy on the backup token passed to
// Backup (one this ceremony wrapped there, or one that holds the same public
// key), each checked gone afterwards. It records an "aborted" entry with step
// ("" means the current step) and reason, and what was destroyed; if a key
// could not be destroyed (the token was lost) the entry says so with the
// manual pkcs11-tool command, and the error wraps ErrKeyNotDestroyed. The
// transcript (outcome aborted, no master signature) is written with O_EXCL
// and the Ledger told. It returns the transcript's path; the path is also
// returned with an error when the transcript was written but something else
// failed. If the write fails, call Abort again once that is fixed.
func (c *Ceremony) Abort(step, reason string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.outcome == OutcomeCompleted || c.written:
		return "", newProblem(fmt.Sprintf("abort: the ceremony %s is already %s; its transcript is %s", c.id, c.outcome, c.path), ErrFinished)
	case c.outcome == "":
		if step == "" {
			step = c.step.String()
		}
		if strings.TrimSpace(reason) == "" {
			reason = "aborted by the operator"
		}
		d := abortedData{Step: step, Reason: reason, AtStep: c.step.String(), Destroyed: []string{}}
		c.abortErr = c.destroyKeys(&d)
		if err := c.record(c.step, EventAborted, c.cfg.Operator, d); err != nil {
			return "", errors.Join(err, c.abortErr)
		}
		c.outcome = OutcomeAborted
	}
	d := c.lastAbort()
	b, err := MarshalTranscript(c.transcript(OutcomeAborted))
	if err != nil {
		return "", errors.Join(err, c.abortErr)
	}
	// Written even if it does not verify (a fault of the console): the record
	// of an abort matters more than its form; the error says so.
	var verr error
	if _, err := Verify(b); err != nil {
		verr = fmt.Errorf("abort: the transcript written does not verify (%w); this is a fault of the console", err)
	}
	path, sum, err := c.writeTranscript(b)
	if err != nil {
		return "", errors.Join(fmt.Errorf("abort: %w; the abort is kept in memory: fix that and call Abort again to write the transcript", err), c.abortErr)
	}
	c.path, c.written, c.step = path, true, StepDone
	c.closeTokens()
	lerr := c.recordRun(OutcomeAborted, d.Step, d.Reason, path, sum)
	// The marker goes even if the key could not be destroyed: the
	// transcript now says so, with the command to do it by hand.
	merr := c.clearUnfinished()
	return path, errors.Join(c.abortErr, verr, lerr, merr)
}

// AbortNote says what the abort did with the key (destroyed, not destroyed
// and how to do it by hand, or that none was made); "" unless aborted.
func (c *Ceremony) AbortNote() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastAbort().note()
}

// note words what an abort did with the keys.
func (a abortedData) note() string {
	var notes []string
	if len(a.Destroyed) > 0 {
		notes = append(notes, "destroyed "+strings.Join(a.Destroyed, ", "))
	}
	if a.DestructionFailed != "" {
		notes = append(notes, "NOT DESTROYED: "+a.DestructionFailed+"; by hand: "+a.ManualCommand)
	}
	if a.Note != "" {
		notes = append(notes, a.Note)
	}
	return strings.Join(notes, "; ")
}

// lastAbort decodes the aborted entry's data (for a retried write).
func (c *Ceremony) lastAbort() abortedData {
	var d abortedData
	if n := len(c.entries); n > 0 && c.entries[n-1].Event == EventAborted {
		_ = decodeData(c.entries[n-1], &d)
	}
	return d
}

// destroyKeys destroys the master key wherever this ceremony made or proved
// it, filling d. The caller holds c.mu.
func (c *Ceremony) destroyKeys(d *abortedData) error {
	if !c.keyAttempted || c.token == nil {
		d.Note = "no key had been made"
		return nil
	}
	if !c.keyMade {
		// The key maker failed (and cleans up after itself). A key with the
		// label may still be there: another ceremony's, which is not ours
		// to destroy.
		d.Note = "key generation had failed: this ceremony made no key"
		return nil
	}
	label := c.keyLabel
	var failed []string
	destroyed, err := destroyChecked(c.token, label)
	switch {
	case err != nil:
		failed = append(failed, fmt.Sprintf("token %q: %v", c.token.Label(), err))
		d.ManualCommand = manualDelete(c.moduleName(), c.token.Label(), label)
	case destroyed:
		d.Destroyed = append(d.Destroyed, fmt.Sprintf("%s on token %q (checked gone)", label, c.token.Label()))
	default:
		d.Note = fmt.Sprintf("no key labelled %s was on token %q", label, c.token.Label())
	}
	if c.backupTok != nil && c.pub != nil {
		k, err := c.backupTok.FindKey(label)
		switch {
		case errors.Is(err, hsm.ErrKeyNotFound):
		case err != nil:
			failed = append(failed, fmt.Sprintf("backup token %q: cannot check for a copy: %v", c.backupTok.Label(), err))
			d.ManualCommand = strings.TrimPrefix(d.ManualCommand+"; ", "; ") + manualDelete(c.moduleName(), c.backupTok.Label(), label)
		case c.backupWrap || bytes.Equal(k.Public(), c.pub):
			if _, err := destroyChecked(c.backupTok, label); err != nil {
				failed = append(failed, fmt.Sprintf("backup token %q: %v", c.backupTok.Label(), err))
				d.ManualCommand = strings.TrimPrefix(d.ManualCommand+"; ", "; ") + manualDelete(c.moduleName(), c.backupTok.Label(), label)
			} else {
				d.Destroyed = append(d.Destroyed, fmt.Sprintf("copy of %s on backup token %q (checked gone)", label, c.backupTok.Label()))
			}
		default:
			d.Note = strings.TrimPrefix(d.Note+"; ", "; ") + fmt.Sprintf("backup token %q holds a different key labelled %s; left untouched", c.backupTok.Label(), label)
		}
	}
	if c.backup != nil && c.backup.Method == BackupOutOfBand && c.backupTok == nil {
		d.Note = strings.TrimPrefix(d.Note+"; ", "; ") + "an out-of-band backup was recorded: destroy that copy with the vendor's tools"
	}
	if len(failed) == 0 {
		return nil
	}
	d.DestructionFailed = strings.Join(failed, "; ")
	return newProblem(fmt.Sprintf("abort: the key %s could not be destroyed (%s); destroy it by hand: %s", label, d.DestructionFailed, d.ManualCommand), ErrKeyNotDestroyed)
}

// destroyChecked destroys the key pair labelled label on t and checks that
// no key object with that label is left. destroyed is false when there was
// none.
func destroyChecked(t *hsm.Token, label string) (destroyed bool, err error) {
	err = t.DestroyKey(label)
	switch {
	case errors.Is(err, hsm.ErrKeyNotFound):
	case err != nil:
		return false, err
	default:
		destroyed = true
	}
	keys, err := t.Keys()
	if err != nil {
		return destroyed, fmt.Errorf("check that %s is gone: %w", label, err)
	}
	for _, k := range keys {
		if k.Label == label {
			return destroyed, fmt.Errorf("a %s key labelled %s is still on the token after destruction", k.Class, label)
		}
	}
	return destroyed, nil
}

// manualDelete is the pkcs11-tool command that deletes the key by hand.
func manualDelete(module, token, label string) string {
	return fmt.Sprintf("pkcs11-tool --module %s --token-label %s --login --delete-object --type privkey --label %s (then again with --type pubkey)", module, token, label)
}

func (c *Ceremony) moduleName() string {
	if c.cfg.Module == nil {
		return hsm.SoftHSMModule
	}
	return c.cfg.Module.Name()
}
