package hsm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewSoftHSMToken(t *testing.T) {
	store := "/var/lib/softhsm/tokens"
	var before time.Time
	if st, err := os.Stat(store); err == nil {
		before = st.ModTime()
	}
	dir := t.TempDir()
	conf, err := NewSoftHSMToken(dir, "one", testSOPIN, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	if conf != filepath.Join(dir, SoftHSMConfName) {
		t.Errorf("conf = %s", conf)
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "directories.tokendir = "+filepath.Join(dir, "tokens")+"\n") {
		t.Errorf("conf:\n%s", b)
	}
	if os.Getenv("SOFTHSM2_CONF") == conf {
		t.Error("NewSoftHSMToken set SOFTHSM2_CONF")
	}
	conf2, err := NewSoftHSMToken(dir, "two", testSOPIN, backupPIN)
	if err != nil || conf2 != conf {
		t.Fatalf("second token: %s, %v", conf2, err)
	}
	_, err = NewSoftHSMToken(dir, "two", testSOPIN, backupPIN)
	wantErr(t, err, ErrLabelExists, `"two"`)
	_, err = NewSoftHSMToken(t.TempDir(), "x", "123", testPIN)
	wantErr(t, err, ErrPINInvalid)
	_, err = NewSoftHSMToken(t.TempDir(), strings.Repeat("x", 33), testSOPIN, testPIN)
	wantErr(t, err, ErrInvalidArgument)

	// Both tokens work, with their own PINs.
	t.Setenv("SOFTHSM2_CONF", conf)
	m, err := Open(SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for label, pin := range map[string]string{"one": testPIN, "two": backupPIN} {
		tok, err := m.Token(label)
		if err != nil {
			t.Fatal(err)
		}
		if err := tok.LoginString(pin); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
	}
	if st, err := os.Stat(store); err == nil && !st.ModTime().Equal(before) {
		t.Errorf("%s changed", store)
	}
}

func TestSoftHSMLabels(t *testing.T) {
	out := []byte("Slot 1\n    Token info:\n        Label:            primary                         \nSlot 2\n        Label:                                            \n")
	got := softHSMLabels(out)
	if len(got) != 1 || got[0] != "primary" {
		t.Errorf("labels = %q", got)
	}
}
