package hsm

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestOpenMissingModule(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "no-such-module.so"))
	wantErr(t, err, ErrModuleNotFound, "no-such-module.so", "not found", "no such file", "--pkcs11-module", SoftHSMModule)

	_, err = Open("")
	wantErr(t, err, ErrModuleNotFound, "no path given")

	_, err = Open(t.TempDir())
	wantErr(t, err, ErrModuleNotFound, "directory")

	_, err = Open("libno-such-pkcs11-module.so")
	wantErr(t, err, ErrModuleNotFound, "library search path", "full path")
}

func TestOpenNotPKCS11(t *testing.T) {
	for _, lib := range []string{"/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if !fileExists(lib) {
			t.Logf("skip %s: not on this machine", lib)
			continue
		}
		_, err := Open(lib)
		wantErr(t, err, ErrNotPKCS11, lib, "not a PKCS#11 module", "no C_GetFunctionList", "vendor's PKCS#11 module")
		if errors.Is(err, ErrModuleNotFound) {
			t.Errorf("%s: a library that exists must not be reported missing", lib)
		}
	}
	text := filepath.Join(t.TempDir(), "module.so")
	if err := os.WriteFile(text, []byte("not a library\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(text)
	wantErr(t, err, ErrNotPKCS11, "not an ELF file")
}

func TestOpenBadConfig(t *testing.T) {
	t.Setenv("SOFTHSM2_CONF", filepath.Join(t.TempDir(), "missing.conf"))
	_, err := Open(SoftHSMModule)
	wantErr(t, err, ErrModuleInit, "SOFTHSM2_CONF")
}

func TestOpenSharesContextAndCloses(t *testing.T) {
	before := len(registry)
	dir := t.TempDir()
	conf, err := NewSoftHSMToken(dir, primaryName, testSOPIN, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	m1, err := Open(SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Open(SoftHSMModule) // a second C_Initialize would fail; the context is shared
	if err != nil {
		t.Fatal(err)
	}
	info, err := m1.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Manufacturer != "SoftHSM" || !info.FinalizeOnClose {
		t.Errorf("info = %+v", info)
	}
	tok, err := m1.Token(primaryName)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m2.Token(primaryName)
	wantErr(t, err, ErrTokenInUse)
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	// m1's token closed with it; m2 still works and can now open the token.
	if _, err := tok.Info(); !errors.Is(err, ErrClosed) {
		t.Errorf("token after module close: %v", err)
	}
	tok2, err := m2.Token(primaryName)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok2.LoginString(testPIN); err != nil {
		t.Fatal(err)
	}
	if err := m2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m2.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := m2.Tokens(); !errors.Is(err, ErrClosed) {
		t.Errorf("Tokens after Close: %v", err)
	}
	if len(registry) != before {
		t.Errorf("registry holds %d modules, want %d", len(registry), before)
	}
	// A fresh open after everything closed initialises the library again.
	m3, err := Open(SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	defer m3.Close()
	ts, err := m3.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range ts {
		if ti.SessionCount != Unavailable && ti.SessionCount != 0 {
			t.Errorf("token %q has %d sessions after a fresh open", ti.Label, ti.SessionCount)
		}
	}
}

func TestTokensAndInfo(t *testing.T) {
	f := newFixture(t)
	ts, err := f.m.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]TokenInfo{}
	free := 0
	for _, ti := range ts {
		if ti.Initialized {
			labels[ti.Label] = ti
		} else {
			free++
		}
	}
	if len(labels) != 2 || free != 1 {
		t.Fatalf("tokens = %+v", ts)
	}
	p := labels[primaryName]
	if p.Model != "SoftHSM v2" || p.Serial == "" || !p.LoginRequired || !p.UserPINSet || p.LoggedIn {
		t.Errorf("primary = %+v", p)
	}
	if p.FreeSpace() == "" {
		t.Error("no free-space summary")
	}

	tok := f.token(t, primaryName, testPIN)
	ti, err := tok.Info()
	if err != nil {
		t.Fatal(err)
	}
	if ti.Label != primaryName || !ti.LoggedIn || ti.Serial != p.Serial || tok.Slot() != p.Slot {
		t.Errorf("info = %+v", ti)
	}
	ts, _ = f.m.Tokens()
	for _, x := range ts {
		if x.Label == primaryName && !x.LoggedIn {
			t.Error("Tokens does not show the open token logged in")
		}
	}
}

func TestFreeSpaceText(t *testing.T) {
	ti := TokenInfo{FreePublic: 10, TotalPublic: 100, FreePrivate: Unavailable, TotalPrivate: Unavailable}
	if got, want := ti.FreeSpace(), "public 10 of 100 bytes free, private not reported"; got != want {
		t.Errorf("FreeSpace = %q, want %q", got, want)
	}
}

func TestTokenNotFound(t *testing.T) {
	f := newFixture(t)
	_, err := f.m.Token("nope")
	wantErr(t, err, ErrTokenNotFound, `"nope"`, `tokens present: `, `"primary"`, `"backup"`, "softhsm2-util --init-token")
}

func TestPing(t *testing.T) {
	f := newFixture(t)
	tok, err := f.m.Token(primaryName)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tok.Ping()
	if err != nil || r.LoggedIn || r.Latency <= 0 {
		t.Fatalf("ping before login = %+v, %v", r, err)
	}
	if err := tok.LoginString(testPIN); err != nil {
		t.Fatal(err)
	}
	if r, err = tok.Ping(); err != nil || !r.LoggedIn {
		t.Fatalf("ping after login = %+v, %v", r, err)
	}
	tok.Close()
	_, err = tok.Ping()
	wantErr(t, err, ErrClosed)
}

func TestCloseIsIdempotentAndConcurrent(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	k, err := tok.GenerateKey("k", KeyOptions{Session: true})
	if err != nil {
		t.Fatal(err)
	}
	// Signers run while Close comes from another goroutine (as from a signal
	// handler): every Sign either succeeds or says the token is closed.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := k.Sign([]byte("m")); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("sign during close: %v", err)
					}
					return
				}
			}
		}()
	}
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() { errs <- f.m.Close() }()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if err := tok.Close(); err != nil {
		t.Error(err)
	}
	_, err = f.m.Token(primaryName)
	wantErr(t, err, ErrClosed)
}

func TestErrorUnwrapsToPKCS11Code(t *testing.T) {
	err := p11Error("log in", pkcs11.Error(pkcs11.CKR_PIN_LOCKED))
	if !errors.Is(err, ErrPINLocked) || !errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_LOCKED)) {
		t.Fatalf("%v does not unwrap", err)
	}
	if got := CodeName(pkcs11.CKR_PIN_LOCKED); got != "CKR_PIN_LOCKED" {
		t.Errorf("CodeName = %q", got)
	}
	err = p11Error("x", pkcs11.Error(pkcs11.CKR_GENERAL_ERROR))
	if got := err.Error(); got != "hsm: x: PKCS#11 call failed (CKR_GENERAL_ERROR)" {
		t.Errorf("generic error text %q", got)
	}
}

// initCtx is a fake whose C_Initialize answers rv.
type initCtx struct {
	Context
	rv                   uint
	finalized, destroyed bool
}

func (c *initCtx) Initialize(...pkcs11.InitializeOption) error {
	if c.rv == 0 {
		return nil
	}
	return pkcs11.Error(c.rv)
}
func (c *initCtx) Finalize() error { c.finalized = true; return nil }
func (c *initCtx) Destroy()        { c.destroyed = true }

func TestOpenContextInitialize(t *testing.T) {
	c := &initCtx{rv: pkcs11.CKR_GENERAL_ERROR}
	_, err := OpenContext(c, "/opt/vendor/libvendor-pkcs11.so")
	wantErr(t, err, ErrModuleInit, "CKR_GENERAL_ERROR", "configuration")
	if !c.destroyed {
		t.Error("context not destroyed after a failed C_Initialize")
	}

	// Someone else in the process initialised the library: use it, but leave
	// C_Finalize to them.
	c = &initCtx{rv: pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED}
	m, err := OpenContext(c, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if c.finalized || !c.destroyed {
		t.Errorf("finalized=%v destroyed=%v, want false, true", c.finalized, c.destroyed)
	}
	_, err = OpenContext(nil, "x")
	wantErr(t, err, ErrInvalidArgument)
}
