package ceremony

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/hsm"
)

// BackupInfo is what the backup step recorded.
type BackupInfo struct {
	Method string // BackupWrap or BackupOutOfBand
	Proven bool
	Token  string // the backup token's label, if one was given
	Note   string // what happened, in words for the operator
}

// Backup backs the master key up and proves the copy.
//
//   - backup nil: an out-of-band backup (the vendor's tools) is recorded with
//     its proof pending; the wallet cannot be activated until it is proven.
//   - otherwise the key is wrapped to the backup token (hsm.Backup) and
//     proven. Where the module cannot wrap (hsm.ErrBackupNotWrappable: every
//     non-extractable key, and SoftHSM2 wraps no Ed25519 key) that is said
//     plainly and the backup is out of band: if the backup token already
//     holds the copy (made with the vendor's tools), it is proven now with
//     hsm.Prove; if not, the step is refused so the copy can be made first
//     (or pass nil to record the proof as pending).
//
// The backup token stays the caller's (it is not closed here). A refusal is
// recorded (backup_failed) and the step can be tried again.
func (c *Ceremony) Backup(backup *hsm.Token) (BackupInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepBackup, "the backup"); err != nil {
		return BackupInfo{}, err
	}
	fail := func(err error) (BackupInfo, error) {
		if rerr := c.record(StepBackup, EventBackupFailed, c.cfg.Operator, refusedData{Reason: err.Error()}); rerr != nil {
			return BackupInfo{}, errors.Join(err, rerr)
		}
		return BackupInfo{}, err
	}
	var info BackupInfo
	var proof *hsm.Proof
	var backupSerial, backupModel string
	if backup == nil {
		info = BackupInfo{Method: BackupOutOfBand, Note: "out-of-band backup with the HSM vendor's tools; proof pending: " +
			"the backup token must sign a fresh challenge that verifies under the master public key before the wallet can be activated"}
	} else {
		if backup == c.token {
			return fail(newProblem("back up the key: the backup token is the token the key was made on; open the backup token and pass it", ErrBackupFailed))
		}
		// A copy of the ceremony token's files is another slot with the
		// same serial (and the same key): it backs nothing up.
		bi, err := backup.Info()
		if err != nil {
			return fail(newProblem(fmt.Sprintf("back up the key: read backup token %q's serial number: %v", backup.Label(), err), ErrBackupFailed, err))
		} else if c.tokenSerial != "" && strings.TrimSpace(bi.Serial) == strings.TrimSpace(c.tokenSerial) {
			return fail(newProblem(fmt.Sprintf("back up the key: backup token %q reports serial %s, the ceremony token's own: it is the ceremony token or a copy of its files, not a backup; use a separate backup token", backup.Label(), bi.Serial), ErrBackupFailed))
		}
		backupSerial, backupModel = strings.TrimSpace(bi.Serial), strings.TrimSpace(bi.Model)
		info.Token = backup.Label()
		c.backupTok = backup
		p, err := hsm.Backup(c.token, c.keyLabel, backup)
		switch {
		case err == nil:
			c.backupWrap = true
			proof = p
			info.Method, info.Proven = BackupWrap, true
			info.Note = fmt.Sprintf("wrapped to token %q under a transport key (never in plaintext outside an HSM) and proven by a signature from the backup token", backup.Label())
		case errors.Is(err, hsm.ErrBackupNotWrappable):
			info.Method = BackupOutOfBand
			why := "the module refuses"
			var he *hsm.Error
			if errors.As(err, &he) && he.Detail != "" {
				why = he.Detail
			}
			info.Note = fmt.Sprintf("the master key cannot be backed up by wrapping on this module: %s. The backup is therefore out of band, made with the HSM vendor's own tools", why)
			p, perr := hsm.Prove(backup, c.keyLabel, c.pub)
			switch {
			case perr == nil:
				proof = p
				info.Proven = true
				info.Note += fmt.Sprintf("; token %q holds the copy, proven by its signature over a fresh challenge", backup.Label())
			case errors.Is(perr, hsm.ErrKeyNotFound):
				return fail(newProblem(info.Note+fmt.Sprintf("; token %q does not hold a copy yet: make it with the vendor's tools and try again, or record the backup with its proof pending", backup.Label()), ErrBackupFailed, perr))
			default:
				return fail(newProblem(fmt.Sprintf("back up the key: prove the copy on token %q: %v", backup.Label(), perr), ErrBackupFailed, perr))
			}
		default:
			return fail(newProblem(fmt.Sprintf("back up the key to token %q: %v", backup.Label(), err), ErrBackupFailed, err))
		}
	}
	d := backupData{Method: info.Method, Proven: info.Proven, BackupToken: info.Token, Note: info.Note}
	if proof != nil {
		d.ProofChallenge = base64.StdEncoding.EncodeToString(proof.Challenge)
		d.ProofSignature = base64.StdEncoding.EncodeToString(proof.Signature)
		d.BackupSerial, d.BackupModel = backupSerial, backupModel
	}
	if err := c.record(StepBackup, EventBackupRecorded, c.cfg.Operator, d); err != nil {
		return BackupInfo{}, err
	}
	c.backup = &BackupHeader{Method: info.Method, Proven: info.Proven}
	c.step = StepClose
	return info, nil
}
