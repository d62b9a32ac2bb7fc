package hsm

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/pkcs11"
)

// DefaultPoolSize is the number of signing sessions opened at login unless
// WithPoolSize says otherwise.
const DefaultPoolSize = 4

// Unavailable marks a TokenInfo count the token does not report
// (CK_UNAVAILABLE_INFORMATION).
const Unavailable = ^uint64(0)

// TokenInfo describes a token (C_GetTokenInfo).
type TokenInfo struct {
	Slot         uint // changes when SoftHSM initialises a token: identify tokens by Label
	Label        string
	Manufacturer string
	Model        string
	Serial       string

	Initialized     bool
	LoginRequired   bool
	UserPINSet      bool
	UserPINCountLow bool
	UserPINFinalTry bool
	UserPINLocked   bool

	SessionCount   uint64 // Unavailable if not reported
	RWSessionCount uint64
	FreePublic     uint64 // bytes; Unavailable if not reported
	FreePrivate    uint64
	TotalPublic    uint64
	TotalPrivate   uint64

	LoggedIn bool // this process is logged in (only known for tokens it has open)
}

// FreeSpace is a one-line summary of the token's free memory.
func (ti TokenInfo) FreeSpace() string {
	f := func(free, total uint64) string {
		switch {
		case free == Unavailable:
			return "not reported"
		case total == Unavailable:
			return fmt.Sprintf("%d bytes free", free)
		default:
			return fmt.Sprintf("%d of %d bytes free", free, total)
		}
	}
	return "public " + f(ti.FreePublic, ti.TotalPublic) + ", private " + f(ti.FreePrivate, ti.TotalPrivate)
}

func count(v uint) uint64 {
	if v == pkcs11.CK_UNAVAILABLE_INFORMATION {
		return Unavailable
	}
	return uint64(v)
}

func tokenInfo(slot uint, ti pkcs11.TokenInfo) TokenInfo {
	return TokenInfo{
		Slot:            slot,
		Label:           strings.TrimRight(ti.Label, " \x00"),
		Manufacturer:    strings.TrimRight(ti.ManufacturerID, " \x00"),
		Model:           strings.TrimRight(ti.Model, " \x00"),
		Serial:          strings.TrimRight(ti.SerialNumber, " \x00"),
		Initialized:     ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0,
		LoginRequired:   ti.Flags&pkcs11.CKF_LOGIN_REQUIRED != 0,
		UserPINSet:      ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED != 0,
		UserPINCountLow: ti.Flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0,
		UserPINFinalTry: ti.Flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0,
		UserPINLocked:   ti.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0,
		SessionCount:    count(ti.SessionCount),
		RWSessionCount:  count(ti.RwSessionCount),
		FreePublic:      count(ti.FreePublicMemory),
		FreePrivate:     count(ti.FreePrivateMemory),
		TotalPublic:     count(ti.TotalPublicMemory),
		TotalPrivate:    count(ti.TotalPrivateMemory),
	}
}

// Token is an open token: one read/write session for administrative work
// (key generation, search, destruction), and after Login a pool of sessions
// for signing. Methods are safe for concurrent use.
type Token struct {
	m        *Module
	ctx      Context
	slot     uint
	label    string
	poolSize int

	mu       sync.Mutex // serialises use of sess and the fields below
	sess     pkcs11.SessionHandle
	loggedIn bool
	closed   bool

	pool atomic.Pointer[sessionPool] // non-nil while logged in
}

// TokenOption adjusts how a token is opened.
type TokenOption func(*Token)

// WithPoolSize sets how many signing sessions Login opens (at least 1).
func WithPoolSize(n int) TokenOption {
	return func(t *Token) {
		if n < 1 {
			n = 1
		}
		t.poolSize = n
	}
}

// Token opens the initialised token labelled label (never by slot number:
// SoftHSM moves a token to a new slot when it is initialised). Missing gives
// ErrTokenNotFound; a token already open in this process ErrTokenInUse.
func (m *Module) Token(label string, opts ...TokenOption) (*Token, error) {
	op := fmt.Sprintf("open token %q", label)
	c, err := m.ctx(op)
	if err != nil {
		return nil, err
	}
	slot, _, err := m.findSlot(c, label)
	if err != nil {
		return nil, err
	}
	t := &Token{m: m, ctx: c, slot: slot, label: label, poolSize: DefaultPoolSize}
	for _, o := range opts {
		o(t)
	}

	registryMu.Lock()
	if m.ld.slots[slot] {
		registryMu.Unlock()
		return nil, newError(op, ErrTokenInUse, "", "use the *Token already open, or close it first")
	}
	m.ld.slots[slot] = true
	registryMu.Unlock()

	sess, err := c.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		registryMu.Lock()
		delete(m.ld.slots, slot)
		registryMu.Unlock()
		return nil, p11Error(op, err)
	}
	t.sess = sess

	// A session opened while the application is already logged in (someone
	// else in the process logged in to this token) is in a user state; record
	// it so that signing works and Login does not fail with "already logged in".
	if si, err := c.GetSessionInfo(sess); err == nil && userState(si.State) {
		t.loggedIn = true
		if err := t.openPool(); err != nil {
			_ = c.CloseSession(sess)
			m.forget(t)
			return nil, err
		}
	}

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		if p := t.pool.Swap(nil); p != nil {
			_ = p.close()
		}
		_ = c.CloseSession(sess)
		m.forget(t)
		return nil, newError(op, ErrClosed, "module "+m.name+" is closed", "open it again")
	}
	m.tokens[t] = struct{}{}
	m.mu.Unlock()
	return t, nil
}

func userState(s uint) bool {
	return s == pkcs11.CKS_RO_USER_FUNCTIONS || s == pkcs11.CKS_RW_USER_FUNCTIONS
}

// Label is the token's label.
func (t *Token) Label() string { return t.label }

// Slot is the token's current slot id (for display only).
func (t *Token) Slot() uint { return t.slot }

// LoggedIn reports whether Login has succeeded (and Logout/Close not yet run).
func (t *Token) LoggedIn() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loggedIn && !t.closed
}

// lock takes the token's lock and checks it is open (and, if needLogin,
// logged in). On success the caller must unlock.
func (t *Token) lock(op string, needLogin bool) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return newError(op, ErrClosed, fmt.Sprintf("token %q is closed", t.label), "open it again")
	}
	if needLogin && !t.loggedIn {
		t.mu.Unlock()
		return newError(op, ErrNotLoggedIn, fmt.Sprintf("token %q", t.label), "log in to the token first")
	}
	return nil
}

// Info reads the token's information, with LoggedIn for this process.
func (t *Token) Info() (TokenInfo, error) {
	op := fmt.Sprintf("read token %q info", t.label)
	if err := t.lock(op, false); err != nil {
		return TokenInfo{}, err
	}
	defer t.mu.Unlock()
	ti, err := t.ctx.GetTokenInfo(t.slot)
	if err != nil {
		return TokenInfo{}, p11Error(op, err)
	}
	info := tokenInfo(t.slot, ti)
	info.LoggedIn = t.loggedIn
	return info, nil
}

// PingResult is the outcome of a Ping.
type PingResult struct {
	Latency  time.Duration
	LoggedIn bool // the session is in a user (logged-in) state
}

// Ping makes a cheap round trip to the token (C_GetSessionInfo on the
// token's session) and times it, for the health screen. It waits for any
// administrative operation in progress on the token.
func (t *Token) Ping() (PingResult, error) {
	op := fmt.Sprintf("ping token %q", t.label)
	if err := t.lock(op, false); err != nil {
		return PingResult{}, err
	}
	defer t.mu.Unlock()
	start := time.Now()
	si, err := t.ctx.GetSessionInfo(t.sess)
	d := time.Since(start)
	if err != nil {
		return PingResult{Latency: d}, p11Error(op, err)
	}
	return PingResult{Latency: d, LoggedIn: userState(si.State)}, nil
}

// Close logs out, closes the signing pool (waiting for signatures in flight)
// and the token's session. Idempotent; safe after errors and from any
// goroutine. Session keys created through this token are gone afterwards.
func (t *Token) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	var errs []error
	if p := t.pool.Swap(nil); p != nil {
		if err := p.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if t.loggedIn {
		if err := t.ctx.Logout(t.sess); err != nil && codeOf(err) != pkcs11.CKR_USER_NOT_LOGGED_IN {
			errs = append(errs, p11Error(fmt.Sprintf("log out of token %q", t.label), err))
		}
		t.loggedIn = false
	}
	if err := t.ctx.CloseSession(t.sess); err != nil {
		errs = append(errs, p11Error(fmt.Sprintf("close session on token %q", t.label), err))
	}
	t.mu.Unlock()
	t.m.forget(t)
	return errors.Join(errs...)
}

// PoolSize is how many signing sessions Login opens: as many signatures as
// the token can make at once from this process.
func (t *Token) PoolSize() int { return t.poolSize }
