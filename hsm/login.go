package hsm

import (
	"fmt"
	"unsafe"

	"github.com/miekg/pkcs11"
)

// Login logs the user in with pin and opens the signing pool. The PIN is
// passed to the module and nowhere else: it is never logged, kept or put in an
// error. The caller owns pin and may zero it when Login returns (the package
// keeps no copy; the C string handed to the module is freed by pkcs11).
//
// Errors: ErrPINIncorrect, ErrPINLocked (also reported before trying, when the
// token already flags the PIN as locked), ErrPINInvalid, ErrPINExpired,
// ErrTokenNotInitialized, ErrAlreadyLoggedIn.
func (t *Token) Login(pin []byte) error {
	if len(pin) == 0 {
		return t.login("")
	}
	// No copy on the Go heap; the string lives only for the call.
	return t.login(unsafe.String(&pin[0], len(pin)))
}

// LoginString is Login for a PIN held in a string.
func (t *Token) LoginString(pin string) error { return t.login(pin) }

func (t *Token) login(pin string) error {
	op := fmt.Sprintf("log in to token %q", t.label)
	if err := t.lock(op, false); err != nil {
		return err
	}
	defer t.mu.Unlock()
	if t.loggedIn {
		return newError(op, ErrAlreadyLoggedIn, "", "log out first if you mean to log in again")
	}
	if pin == "" {
		return newError(op, ErrPINInvalid, "empty PIN", "enter the token's user PIN")
	}
	if ti, err := t.ctx.GetTokenInfo(t.slot); err == nil {
		if ti.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0 {
			return &Error{Op: op, Kind: ErrPINLocked, Code: pkcs11.CKR_PIN_LOCKED, Detail: "the token reports the user PIN locked",
				Hint: "further attempts will not help: the security officer must unlock or reset the user PIN (softhsm2-util or the vendor's tool)"}
		}
		if ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED == 0 {
			return newError(op, ErrTokenNotInitialized, "the user PIN was never set",
				"initialise the user PIN (softhsm2-util --init-token, or the vendor's tool)")
		}
	}
	if err := t.ctx.Login(t.sess, pkcs11.CKU_USER, pin); err != nil {
		e := p11Error(op, err)
		if he, ok := e.(*Error); ok && he.Kind == ErrPINIncorrect {
			if ti, err := t.ctx.GetTokenInfo(t.slot); err == nil && ti.Flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0 {
				he.Hint = "check the PIN: the next wrong attempt will lock it"
			}
		}
		return e
	}
	t.loggedIn = true
	if err := t.openPool(); err != nil {
		_ = t.ctx.Logout(t.sess)
		t.loggedIn = false
		return err
	}
	return nil
}

// Logout closes the signing pool (waiting for signatures in flight) and logs
// out. Logging out of a token that is not logged in is not an error.
func (t *Token) Logout() error {
	op := fmt.Sprintf("log out of token %q", t.label)
	if err := t.lock(op, false); err != nil {
		return err
	}
	defer t.mu.Unlock()
	if !t.loggedIn {
		return nil
	}
	var perr error
	if p := t.pool.Swap(nil); p != nil {
		perr = p.close()
	}
	t.loggedIn = false
	if err := t.ctx.Logout(t.sess); err != nil && codeOf(err) != pkcs11.CKR_USER_NOT_LOGGED_IN {
		return p11Error(op, err)
	}
	return perr
}
