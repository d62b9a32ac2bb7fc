package hsm

import (
	"errors"
	"strings"

	"github.com/miekg/pkcs11"
)

// Sentinel errors. Every error the package returns for one of these situations
// is an *Error whose Kind is the sentinel, so errors.Is(err, ErrPINIncorrect)
// works; the *Error's text adds what was being done and what to do about it.
var (
	ErrModuleNotFound        = errors.New("PKCS#11 module not found")
	ErrNotPKCS11             = errors.New("not a PKCS#11 module")
	ErrModuleLoad            = errors.New("PKCS#11 module could not be loaded")
	ErrModuleInit            = errors.New("PKCS#11 module failed to initialise")
	ErrTokenNotFound         = errors.New("token not found")
	ErrTokenAmbiguous        = errors.New("more than one token has this label")
	ErrTokenInUse            = errors.New("token already open in this process")
	ErrTokenNotInitialized   = errors.New("token not initialised")
	ErrTokenRemoved          = errors.New("token removed or session lost")
	ErrPINIncorrect          = errors.New("PIN incorrect")
	ErrPINLocked             = errors.New("PIN locked")
	ErrPINInvalid            = errors.New("PIN not acceptable to the token")
	ErrPINExpired            = errors.New("PIN expired")
	ErrNotLoggedIn           = errors.New("not logged in")
	ErrAlreadyLoggedIn       = errors.New("already logged in")
	ErrLabelExists           = errors.New("label already in use")
	ErrKeyNotFound           = errors.New("key not found")
	ErrKeyAmbiguous          = errors.New("more than one key has this label")
	ErrMechanismNotSupported = errors.New("mechanism not supported by the token")
	ErrVerifyFailed          = errors.New("verification failed")
	ErrBackupNotWrappable    = errors.New("key cannot be backed up by wrapping")
	ErrBackupMismatch        = errors.New("backup does not hold the original key")
	ErrInvalidArgument       = errors.New("invalid argument")
	ErrClosed                = errors.New("closed")
)

// Error is the package's error: what was being done (Op), which of the
// sentinels above it is (Kind, may be nil for an unclassified PKCS#11 error),
// the PKCS#11 return value if any (Code, 0 otherwise), facts (Detail) and what
// the operator can do (Hint). It unwraps to Kind and to pkcs11.Error(Code), so
// both errors.Is(err, ErrPINLocked) and errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_LOCKED))
// hold. It never contains a PIN.
type Error struct {
	Op     string
	Kind   error
	Code   uint
	Detail string
	Hint   string
	Err    error // underlying non-PKCS#11 cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hsm: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	switch {
	case e.Kind != nil:
		b.WriteString(e.Kind.Error())
	case e.Code != 0:
		b.WriteString("PKCS#11 call failed")
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Code != 0 {
		b.WriteString(" (")
		b.WriteString(CodeName(e.Code))
		b.WriteString(")")
	}
	if e.Err != nil && (e.Kind != nil || e.Code != 0) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the sentinel, the PKCS#11 error and the underlying cause.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Code != 0 {
		errs = append(errs, pkcs11.Error(e.Code))
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// CodeName returns the CKR_ name of a PKCS#11 return value ("CKR_PIN_INCORRECT"),
// or its hex value when the name is unknown.
func CodeName(code uint) string {
	s := pkcs11.Error(code).Error() // "pkcs11: 0xA0: CKR_PIN_INCORRECT"
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s[i+2:], "CKR_") {
		return s[i+2:]
	}
	if i := strings.Index(s, "0x"); i >= 0 {
		return strings.TrimSuffix(s[i:], ": ")
	}
	return s
}

// codeOf returns the PKCS#11 return value inside err, or 0.
func codeOf(err error) uint {
	var pe pkcs11.Error
	if errors.As(err, &pe) {
		return uint(pe)
	}
	return 0
}

// classify gives the sentinel and the operator's next step for the PKCS#11
// return values that mean something an operator can act on. Values it does not
// know give (nil, "").
func classify(code uint) (kind error, hint string) {
	switch code {
	case pkcs11.CKR_PIN_INCORRECT:
		return ErrPINIncorrect, "check the PIN and try again; repeated failures may lock it"
	case pkcs11.CKR_PIN_LOCKED:
		return ErrPINLocked, "further attempts will not help: the security officer must unlock or reset the user PIN (softhsm2-util or the vendor's tool)"
	case pkcs11.CKR_PIN_LEN_RANGE, pkcs11.CKR_PIN_INVALID:
		return ErrPINInvalid, "the PIN has the wrong length or characters for this token"
	case pkcs11.CKR_PIN_EXPIRED:
		return ErrPINExpired, "change the PIN with the token's tool, then log in again"
	case pkcs11.CKR_USER_NOT_LOGGED_IN:
		return ErrNotLoggedIn, "log in to the token first"
	case pkcs11.CKR_USER_ALREADY_LOGGED_IN:
		return ErrAlreadyLoggedIn, "log out first if you mean to log in again"
	case pkcs11.CKR_USER_PIN_NOT_INITIALIZED:
		return ErrTokenNotInitialized, "the token's user PIN was never set: initialise it (softhsm2-util --init-token, or the vendor's tool)"
	case pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_SESSION_CLOSED,
		pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SLOT_ID_INVALID, pkcs11.CKR_TOKEN_NOT_RECOGNIZED:
		return ErrTokenRemoved, "check that the token is present, then open it and log in again"
	case pkcs11.CKR_MECHANISM_INVALID, pkcs11.CKR_MECHANISM_PARAM_INVALID, pkcs11.CKR_FUNCTION_NOT_SUPPORTED:
		return ErrMechanismNotSupported, "this module cannot do it; check the vendor's documentation for Ed25519 (PKCS#11 3.0) support"
	case pkcs11.CKR_KEY_HANDLE_INVALID, pkcs11.CKR_OBJECT_HANDLE_INVALID:
		return ErrKeyNotFound, "the key was destroyed or its session closed; find it again by label"
	case pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED:
		return ErrClosed, "the module was closed; open it again"
	}
	return nil, ""
}

// p11Error wraps an error from a PKCS#11 call made while doing op.
func p11Error(op string, err error) error {
	if err == nil {
		return nil
	}
	var he *Error
	if errors.As(err, &he) {
		return err
	}
	code := codeOf(err)
	if code == 0 {
		return &Error{Op: op, Err: err}
	}
	kind, hint := classify(code)
	return &Error{Op: op, Kind: kind, Code: code, Hint: hint}
}

// newError builds an *Error without a PKCS#11 code.
func newError(op string, kind error, detail, hint string) error {
	return &Error{Op: op, Kind: kind, Detail: detail, Hint: hint}
}
