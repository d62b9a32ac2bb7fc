package ceremony

import (
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/plings/walletconsole/hsm"
)

// copiedSerialCtx is the real SoftHSM with the backup token reporting the
// primary token's serial, as a cp -a copy of the primary's token directory
// does (two slots with one serial cannot share one store: their labels clash).
type copiedSerialCtx struct {
	*pkcs11.Ctx
	serial string
}

func (c *copiedSerialCtx) GetTokenInfo(slot uint) (pkcs11.TokenInfo, error) {
	ti, err := c.Ctx.GetTokenInfo(slot)
	if err == nil && strings.TrimRight(ti.Label, " \x00") == backupLabel {
		ti.SerialNumber = c.serial
	}
	return ti, err
}

// Issue 10, point 9 at the ceremony: the backup step refuses a backup token
// whose serial is the ceremony token's, even one holding the key (a copy of
// the token's files proves nothing), and records the refusal.
func TestBackupRefusesCeremonyTokenSerial(t *testing.T) {
	dir := t.TempDir()
	conf, err := hsm.NewSoftHSMToken(dir, primaryLabel, testSOPIN, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hsm.NewSoftHSMToken(dir, backupLabel, testSOPIN, backupPIN); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	raw := pkcs11.New(hsm.SoftHSMModule)
	if raw == nil {
		t.Fatal("cannot load " + hsm.SoftHSMModule)
	}
	ctx := &copiedSerialCtx{Ctx: raw}
	m, err := hsm.OpenContext(ctx, hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	backup, err := m.Token(backupLabel)
	if err != nil {
		t.Fatal(err)
	}
	if err := backup.LoginString(backupPIN); err != nil {
		t.Fatal(err)
	}
	h := &testHSM{dir: dir, conf: conf, m: m, backup: backup}

	e := newEnv(t, h, importSeed(backup, []byte("0123456789abcdef0123456789abcdef")))
	e.driveTo(StepHSM, nil)
	hi := must(e.c.OpenHSM([]byte(testPIN)))(t)
	ctx.serial = hi.Serial
	e.driveTo(StepBackup, nil)
	_, err = e.c.Backup(backup)
	wantErr(t, err, []error{ErrBackupFailed}, `backup token "backup" reports serial `+hi.Serial+", the ceremony token's own",
		"the ceremony token or a copy of its files", "use a separate backup token")
	if e.c.Current() != StepBackup || e.lastEntry().Event != EventBackupFailed {
		t.Errorf("after the refusal: step %s, last entry %s", e.c.Current(), e.lastEntry().Event)
	}
	// The same token with its own serial is accepted (the key maker put the copy there).
	ctx.serial = "another-serial"
	bi := must(e.c.Backup(backup))(t)
	if !bi.Proven || bi.Token != backupLabel {
		t.Errorf("backup info %+v", bi)
	}
}
