package hsm

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
)

const (
	testSOPIN   = "so-secret-1"
	testPIN     = "user-1234"
	backupPIN   = "backup-5678"
	primaryName = "primary"
	backupName  = "backup"
)

// hookCtx is the real SoftHSM context with a count of open sessions and
// optional overrides, so tests can both use the real module and reach the
// error paths it never takes (a locked PIN, an unseedable RNG).
type hookCtx struct {
	Context

	mu        sync.Mutex
	open      map[pkcs11.SessionHandle]bool
	finalized bool
	destroyed bool

	login     func(pin string) error
	seed      func() error
	tokenInfo func(pkcs11.TokenInfo) pkcs11.TokenInfo
	getAttr   func([]*pkcs11.Attribute) []*pkcs11.Attribute
	genPair   func() error
}

func (h *hookCtx) GetAttributeValue(s pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error) {
	got, err := h.Context.GetAttributeValue(s, o, a)
	if err == nil && h.getAttr != nil {
		got = h.getAttr(got)
	}
	return got, err
}

func (h *hookCtx) GenerateKeyPair(s pkcs11.SessionHandle, m []*pkcs11.Mechanism, pub, priv []*pkcs11.Attribute) (pkcs11.ObjectHandle, pkcs11.ObjectHandle, error) {
	if h.genPair != nil {
		if err := h.genPair(); err != nil {
			return 0, 0, err
		}
	}
	return h.Context.GenerateKeyPair(s, m, pub, priv)
}

func (h *hookCtx) OpenSession(slot uint, flags uint) (pkcs11.SessionHandle, error) {
	s, err := h.Context.OpenSession(slot, flags)
	if err == nil {
		h.mu.Lock()
		h.open[s] = true
		h.mu.Unlock()
	}
	return s, err
}

func (h *hookCtx) CloseSession(s pkcs11.SessionHandle) error {
	err := h.Context.CloseSession(s)
	if err == nil {
		h.mu.Lock()
		delete(h.open, s)
		h.mu.Unlock()
	}
	return err
}

func (h *hookCtx) Login(s pkcs11.SessionHandle, ut uint, pin string) error {
	if h.login != nil {
		if err := h.login(pin); err != nil {
			return err
		}
	}
	return h.Context.Login(s, ut, pin)
}

func (h *hookCtx) SeedRandom(s pkcs11.SessionHandle, b []byte) error {
	if h.seed != nil {
		return h.seed()
	}
	return h.Context.SeedRandom(s, b)
}

func (h *hookCtx) GetTokenInfo(slot uint) (pkcs11.TokenInfo, error) {
	ti, err := h.Context.GetTokenInfo(slot)
	if err == nil && h.tokenInfo != nil {
		ti = h.tokenInfo(ti)
	}
	return ti, err
}

func (h *hookCtx) Finalize() error {
	h.mu.Lock()
	h.finalized = true
	h.mu.Unlock()
	return h.Context.Finalize()
}

func (h *hookCtx) Destroy() {
	h.mu.Lock()
	h.destroyed = true
	h.mu.Unlock()
	h.Context.Destroy()
}

func (h *hookCtx) openSessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.open)
}

// fixture is a SoftHSM token store of the test's own with a primary and a
// backup token, opened through a hookCtx.
type fixture struct {
	dir, conf string
	m         *Module
	hook      *hookCtx
}

// newFixture makes the store, points SOFTHSM2_CONF at it (for this test
// only), opens the module and, at clean-up, closes it and checks that no
// session and no goroutine was left behind.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	conf, err := NewSoftHSMToken(dir, primaryName, testSOPIN, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSoftHSMToken(dir, backupName, testSOPIN, backupPIN); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	raw := pkcs11.New(SoftHSMModule)
	if raw == nil {
		t.Fatal("cannot load " + SoftHSMModule)
	}
	hook := &hookCtx{Context: raw, open: map[pkcs11.SessionHandle]bool{}}
	m, err := OpenContext(hook, SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, conf: conf, m: m, hook: hook}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close module: %v", err)
		}
		if n := hook.openSessions(); n != 0 {
			t.Errorf("%d session(s) left open after Close", n)
		}
		if !hook.finalized || !hook.destroyed {
			t.Errorf("Close did not finalize (%v) and destroy (%v) the context", hook.finalized, hook.destroyed)
		}
		checkGoroutines(t, before)
	})
	return f
}

// checkGoroutines waits briefly for the goroutine count to fall back.
func checkGoroutines(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// token opens and logs in to a token of the fixture.
func (f *fixture) token(t testing.TB, label, pin string, opts ...TokenOption) *Token {
	t.Helper()
	tok, err := f.m.Token(label, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.LoginString(pin); err != nil {
		t.Fatal(err)
	}
	return tok
}

// wantErr checks errors.Is and that the message holds every fragment.
func wantErr(t testing.TB, err, kind error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want errors.Is %v", err, kind)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("message %q lacks %q", err.Error(), f)
		}
	}
	for _, p := range []string{testPIN, backupPIN, testSOPIN} {
		if strings.Contains(err.Error(), p) {
			t.Errorf("message %q contains a PIN", err.Error())
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
