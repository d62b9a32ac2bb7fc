package hsm

import (
	"errors"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestLoginWrongPIN(t *testing.T) {
	f := newFixture(t)
	tok, err := f.m.Token(primaryName)
	if err != nil {
		t.Fatal(err)
	}
	err = tok.LoginString("wrong-pin")
	wantErr(t, err, ErrPINIncorrect, `log in to token "primary"`, "PIN incorrect", "CKR_PIN_INCORRECT", "try again")
	if errors.Is(err, ErrPINLocked) {
		t.Error("a wrong PIN is not a locked PIN")
	}
	if tok.LoggedIn() {
		t.Error("logged in after a wrong PIN")
	}
	_, err = tok.GenerateKey("k", KeyOptions{})
	wantErr(t, err, ErrNotLoggedIn, "log in")

	// SoftHSM2 never locks a PIN: many failures in a row still say "incorrect".
	for i := 0; i < 12; i++ {
		if err := tok.Login([]byte("wrong-pin")); !errors.Is(err, ErrPINIncorrect) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	pin := []byte(testPIN)
	if err := tok.Login(pin); err != nil {
		t.Fatal(err)
	}
	if !tok.LoggedIn() {
		t.Fatal("not logged in")
	}
	err = tok.Login(pin)
	wantErr(t, err, ErrAlreadyLoggedIn)
	if err := tok.Logout(); err != nil {
		t.Fatal(err)
	}
	if err := tok.Logout(); err != nil { // not logged in: fine
		t.Fatal(err)
	}
	err = tok.Login(nil)
	wantErr(t, err, ErrPINInvalid, "empty PIN")
}

// SoftHSM2 does not lock PINs, so the locked path is driven through the
// Context interface: the module answers CKR_PIN_LOCKED.
func TestLoginLockedPIN(t *testing.T) {
	f := newFixture(t)
	f.hook.login = func(string) error { return pkcs11.Error(pkcs11.CKR_PIN_LOCKED) }
	tok, err := f.m.Token(primaryName)
	if err != nil {
		t.Fatal(err)
	}
	err = tok.LoginString(testPIN)
	wantErr(t, err, ErrPINLocked, "PIN locked", "CKR_PIN_LOCKED", "security officer", "will not help")
	if errors.Is(err, ErrPINIncorrect) {
		t.Error("locked is not incorrect")
	}
	if !errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_LOCKED)) {
		t.Error("does not unwrap to the PKCS#11 code")
	}

	// A token that already flags its PIN locked is reported before trying.
	f.hook.login = func(string) error { t.Error("C_Login called on a locked token"); return nil }
	f.hook.tokenInfo = func(ti pkcs11.TokenInfo) pkcs11.TokenInfo {
		ti.Flags |= pkcs11.CKF_USER_PIN_LOCKED
		return ti
	}
	err = tok.LoginString(testPIN)
	wantErr(t, err, ErrPINLocked, "reports the user PIN locked")
	ti, err := tok.Info()
	if err != nil || !ti.UserPINLocked {
		t.Errorf("info = %+v, %v", ti, err)
	}
}

func TestLoginFinalTryHint(t *testing.T) {
	f := newFixture(t)
	f.hook.tokenInfo = func(ti pkcs11.TokenInfo) pkcs11.TokenInfo {
		ti.Flags |= pkcs11.CKF_USER_PIN_FINAL_TRY
		return ti
	}
	tok, err := f.m.Token(primaryName)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, tok.LoginString("wrong-pin"), ErrPINIncorrect, "next wrong attempt will lock")
}

func TestLoginPoolSize(t *testing.T) {
	f := newFixture(t)
	tok, err := f.m.Token(primaryName, WithPoolSize(3))
	if err != nil {
		t.Fatal(err)
	}
	if n := f.hook.openSessions(); n != 1 {
		t.Errorf("%d sessions before login, want 1", n)
	}
	if err := tok.LoginString(testPIN); err != nil {
		t.Fatal(err)
	}
	if n := f.hook.openSessions(); n != 4 {
		t.Errorf("%d sessions after login, want 1 + pool of 3", n)
	}
	if err := tok.Logout(); err != nil {
		t.Fatal(err)
	}
	if n := f.hook.openSessions(); n != 1 {
		t.Errorf("%d sessions after logout, want 1", n)
	}
	if err := tok.Close(); err != nil {
		t.Fatal(err)
	}
	if n := f.hook.openSessions(); n != 0 {
		t.Errorf("%d sessions after close, want 0", n)
	}
	// The token can be opened again once closed.
	tok = f.token(t, primaryName, testPIN)
	if err := tok.Close(); err != nil {
		t.Fatal(err)
	}
}
