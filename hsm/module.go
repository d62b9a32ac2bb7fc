package hsm

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

// SoftHSMModule is the default module: SoftHSM2 as Debian installs it.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// Context is the subset of *pkcs11.Ctx the package uses. It exists so that the
// logic can be tested against a fake (see OpenContext); production code opens
// a real module with Open.
type Context interface {
	Initialize(opts ...pkcs11.InitializeOption) error
	Finalize() error
	Destroy()
	GetInfo() (pkcs11.Info, error)
	GetSlotList(tokenPresent bool) ([]uint, error)
	GetTokenInfo(slotID uint) (pkcs11.TokenInfo, error)
	OpenSession(slotID uint, flags uint) (pkcs11.SessionHandle, error)
	CloseSession(sh pkcs11.SessionHandle) error
	GetSessionInfo(sh pkcs11.SessionHandle) (pkcs11.SessionInfo, error)
	Login(sh pkcs11.SessionHandle, userType uint, pin string) error
	Logout(sh pkcs11.SessionHandle) error
	GenerateKeyPair(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, public, private []*pkcs11.Attribute) (pkcs11.ObjectHandle, pkcs11.ObjectHandle, error)
	GenerateKey(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, temp []*pkcs11.Attribute) (pkcs11.ObjectHandle, error)
	CreateObject(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) (pkcs11.ObjectHandle, error)
	DestroyObject(sh pkcs11.SessionHandle, oh pkcs11.ObjectHandle) error
	GetAttributeValue(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error)
	FindObjectsInit(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) error
	FindObjects(sh pkcs11.SessionHandle, max int) ([]pkcs11.ObjectHandle, bool, error)
	FindObjectsFinal(sh pkcs11.SessionHandle) error
	SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error
	Sign(sh pkcs11.SessionHandle, message []byte) ([]byte, error)
	GenerateRandom(sh pkcs11.SessionHandle, length int) ([]byte, error)
	SeedRandom(sh pkcs11.SessionHandle, seed []byte) error
	WrapKey(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, wrappingkey, key pkcs11.ObjectHandle) ([]byte, error)
	UnwrapKey(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, unwrappingkey pkcs11.ObjectHandle, wrappedkey []byte, a []*pkcs11.Attribute) (pkcs11.ObjectHandle, error)
}

var _ Context = (*pkcs11.Ctx)(nil)

// loaded is one initialised module context, shared by every Module opened on
// the same library in this process: a library is loaded once per process, and
// a second C_Initialize would fail (or a C_Finalize would pull the rug from
// under the other user), so Open counts references instead.
type loaded struct {
	key      string // registry key; "" for contexts given to OpenContext
	name     string
	ctx      Context
	refs     int
	ownsInit bool          // false if someone else had called C_Initialize
	slots    map[uint]bool // slots with an open *Token
}

var (
	registryMu sync.Mutex
	registry   = map[string]*loaded{}
)

// Module is an open PKCS#11 module. Close it when done; Close is idempotent
// and safe to call from any goroutine, including a signal handler's.
type Module struct {
	name string
	ld   *loaded

	mu     sync.Mutex
	closed bool
	tokens map[*Token]struct{}
}

// ModuleInfo describes the library (C_GetInfo).
type ModuleInfo struct {
	Path               string
	Manufacturer       string
	Description        string
	LibraryVersion     string
	CryptokiVersion    string
	FinalizeOnClose    bool // false if another user in the process had initialised it
	TokensOpenInModule int
}

// Open loads the PKCS#11 module at path and initialises it. A missing file
// gives ErrModuleNotFound, a library that is not PKCS#11 ErrNotPKCS11, one that
// will not load ErrModuleLoad, and one whose C_Initialize fails ErrModuleInit.
// Opening the same library twice in a process shares one initialised context.
func Open(path string) (*Module, error) {
	op := fmt.Sprintf("open PKCS#11 module %q", path)
	if path == "" {
		return nil, newError(op, ErrModuleNotFound, "no path given", "pass --pkcs11-module (SoftHSM2 is "+SoftHSMModule+")")
	}
	key := path
	if strings.Contains(path, "/") {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, newError(op, ErrModuleNotFound, "no such file", "check --pkcs11-module; SoftHSM2 is "+SoftHSMModule+" (Debian package softhsm2), a vendor module comes with the vendor's client software")
		case err != nil:
			return nil, &Error{Op: op, Kind: ErrModuleLoad, Err: err, Hint: "check the path and its permissions"}
		case fi.IsDir():
			return nil, newError(op, ErrModuleNotFound, "it is a directory", "give the path of the module's .so file")
		}
		if abs, err := filepath.Abs(path); err == nil {
			key = abs
		}
		if real, err := filepath.EvalSymlinks(key); err == nil {
			key = real
		}
	}

	registryMu.Lock()
	defer registryMu.Unlock()
	if ld, ok := registry[key]; ok {
		ld.refs++
		return newModule(path, ld), nil
	}
	c := pkcs11.New(path)
	if c == nil {
		return nil, diagnoseLoad(op, path)
	}
	ld, err := initialize(op, path, c)
	if err != nil {
		return nil, err
	}
	ld.key = key
	registry[key] = ld
	return newModule(path, ld), nil
}

// OpenContext opens a module through a caller-supplied context (a fake in
// tests, or a *pkcs11.Ctx the caller loaded itself). The context must not be
// initialised yet; Close finalises and destroys it.
func OpenContext(c Context, name string) (*Module, error) {
	if c == nil {
		return nil, newError(fmt.Sprintf("open PKCS#11 module %q", name), ErrInvalidArgument, "nil context", "")
	}
	ld, err := initialize(fmt.Sprintf("open PKCS#11 module %q", name), name, c)
	if err != nil {
		return nil, err
	}
	return newModule(name, ld), nil
}

func newModule(name string, ld *loaded) *Module {
	return &Module{name: name, ld: ld, tokens: map[*Token]struct{}{}}
}

// initialize calls C_Initialize (OS locking, as Go calls come from many
// threads). On failure the context is destroyed.
func initialize(op, name string, c Context) (*loaded, error) {
	ld := &loaded{name: name, ctx: c, refs: 1, ownsInit: true, slots: map[uint]bool{}}
	if err := c.Initialize(); err != nil {
		if codeOf(err) == pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED {
			ld.ownsInit = false
			return ld, nil
		}
		c.Destroy()
		hint := "check the module's configuration"
		if strings.Contains(strings.ToLower(name), "softhsm") {
			hint = "check SOFTHSM2_CONF (the config file, and that its directories.tokendir exists and is writable)"
		}
		return nil, &Error{Op: op, Kind: ErrModuleInit, Code: codeOf(err), Hint: hint}
	}
	return ld, nil
}

// diagnoseLoad explains why dlopen/dlsym refused a file that exists.
func diagnoseLoad(op, path string) error {
	if !strings.Contains(path, "/") {
		return newError(op, ErrModuleNotFound, "not found on the library search path", "give the module's full path")
	}
	f, err := elf.Open(path)
	if err != nil {
		return newError(op, ErrNotPKCS11, "it is not a shared library (not an ELF file)", "give the path of the vendor's PKCS#11 module (a .so), e.g. "+SoftHSMModule)
	}
	defer f.Close()
	syms, _ := f.DynamicSymbols()
	for _, s := range syms {
		if s.Name == "C_GetFunctionList" && s.Section != elf.SHN_UNDEF {
			return newError(op, ErrModuleLoad, "the library exports C_GetFunctionList but could not be loaded (wrong architecture, or a missing dependency: try ldd on it)", "install the module's dependencies or the build for this machine")
		}
	}
	return newError(op, ErrNotPKCS11, "the library has no C_GetFunctionList", "give the path of the vendor's PKCS#11 module, e.g. "+SoftHSMModule)
}

// Name is the path or name the module was opened with.
func (m *Module) Name() string { return m.name }

// ctx returns the context, or ErrClosed.
func (m *Module) ctx(op string) (Context, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, newError(op, ErrClosed, "module "+m.name+" is closed", "open it again")
	}
	return m.ld.ctx, nil
}

// Info describes the library.
func (m *Module) Info() (ModuleInfo, error) {
	const op = "read module info"
	c, err := m.ctx(op)
	if err != nil {
		return ModuleInfo{}, err
	}
	i, err := c.GetInfo()
	if err != nil {
		return ModuleInfo{}, p11Error(op, err)
	}
	m.mu.Lock()
	n := len(m.tokens)
	m.mu.Unlock()
	return ModuleInfo{
		Path:               m.name,
		Manufacturer:       strings.TrimRight(i.ManufacturerID, " \x00"),
		Description:        strings.TrimRight(i.LibraryDescription, " \x00"),
		LibraryVersion:     fmt.Sprintf("%d.%d", i.LibraryVersion.Major, i.LibraryVersion.Minor),
		CryptokiVersion:    fmt.Sprintf("%d.%d", i.CryptokiVersion.Major, i.CryptokiVersion.Minor),
		FinalizeOnClose:    m.ld.ownsInit,
		TokensOpenInModule: n,
	}, nil
}

// Tokens lists the tokens present, initialised or not. LoggedIn is reported
// for tokens this Module has open.
func (m *Module) Tokens() ([]TokenInfo, error) {
	const op = "list tokens"
	c, err := m.ctx(op)
	if err != nil {
		return nil, err
	}
	slots, err := c.GetSlotList(true)
	if err != nil {
		return nil, p11Error(op, err)
	}
	out := make([]TokenInfo, 0, len(slots))
	for _, s := range slots {
		ti, err := c.GetTokenInfo(s)
		if err != nil {
			return nil, p11Error(fmt.Sprintf("%s: read slot %d", op, s), err)
		}
		info := tokenInfo(s, ti)
		m.mu.Lock()
		for t := range m.tokens {
			if t.slot == s {
				info.LoggedIn = t.LoggedIn()
			}
		}
		m.mu.Unlock()
		out = append(out, info)
	}
	return out, nil
}

// findSlot returns the slot of the one initialised token labelled label.
func (m *Module) findSlot(c Context, label string) (uint, pkcs11.TokenInfo, error) {
	op := fmt.Sprintf("find token %q in %s", label, m.name)
	slots, err := c.GetSlotList(true)
	if err != nil {
		return 0, pkcs11.TokenInfo{}, p11Error(op, err)
	}
	var (
		found   []uint
		info    pkcs11.TokenInfo
		present []string
	)
	for _, s := range slots {
		ti, err := c.GetTokenInfo(s)
		if err != nil {
			continue // a slot that cannot be read is not the one we want
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		l := strings.TrimRight(ti.Label, " \x00")
		present = append(present, fmt.Sprintf("%q", l))
		if l == label {
			found = append(found, s)
			info = ti
		}
	}
	switch len(found) {
	case 1:
		return found[0], info, nil
	case 0:
		detail := "no initialised token has this label"
		if len(present) > 0 {
			detail += "; tokens present: " + strings.Join(present, ", ")
		} else {
			detail += "; no initialised token is present"
		}
		return 0, pkcs11.TokenInfo{}, newError(op, ErrTokenNotFound, detail,
			"check the token label (labels, not slot numbers, identify tokens), or initialise a token (softhsm2-util --init-token --free --label LABEL, or the vendor's tool)")
	default:
		return 0, pkcs11.TokenInfo{}, newError(op, ErrTokenAmbiguous, fmt.Sprintf("%d tokens", len(found)), "give each token a distinct label")
	}
}

// Close closes every token opened through this Module (logging out, closing
// their sessions) and, if this was the last user of the library in the
// process, finalises and unloads it. Idempotent; safe after errors and from
// any goroutine. It waits for operations in flight to return, since a PKCS#11
// call cannot be interrupted.
func (m *Module) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	tokens := make([]*Token, 0, len(m.tokens))
	for t := range m.tokens {
		tokens = append(tokens, t)
	}
	m.mu.Unlock()

	var errs []error
	for _, t := range tokens {
		if err := t.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := m.release(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// release drops this Module's reference to the shared context.
func (m *Module) release() error {
	registryMu.Lock()
	defer registryMu.Unlock()
	ld := m.ld
	ld.refs--
	if ld.refs > 0 {
		return nil
	}
	if ld.key != "" {
		delete(registry, ld.key)
	}
	var err error
	if ld.ownsInit {
		if e := ld.ctx.Finalize(); e != nil {
			err = p11Error("close module "+m.name, e)
		}
	}
	ld.ctx.Destroy()
	return err
}

// forget removes a closed token from the module's list.
func (m *Module) forget(t *Token) {
	m.mu.Lock()
	delete(m.tokens, t)
	m.mu.Unlock()
	registryMu.Lock()
	delete(m.ld.slots, t.slot)
	registryMu.Unlock()
}
