package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/hsm"
)

// fakeToken accepts one PIN; every refusal is the token's "PIN incorrect".
type fakeToken struct {
	good  string
	tries int
}

func (f *fakeToken) login(pin []byte) error {
	f.tries++
	if string(pin) == f.good {
		return nil
	}
	return &hsm.Error{Op: "log in to token", Kind: hsm.ErrPINIncorrect}
}

// pins reads the given PINs in turn, like an operator typing them.
func pins(ps ...string) (func() ([]byte, error), *int) {
	n := 0
	return func() ([]byte, error) {
		if n >= len(ps) {
			return nil, errors.New("no more PINs")
		}
		n++
		return []byte(ps[n-1]), nil
	}, &n
}

// A wrong PIN is asked again, three tries in all; it is never echoed.
func TestLoginTries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typed   []string
		ok      bool
		logins  int
		warning string
	}{
		{"right first time", []string{"4711"}, true, 1, ""},
		{"right on the third", []string{"0000", "1111", "4711"}, true, 3, "1 tries left"},
		{"three wrong", []string{"0000", "1111", "2222", "4711"}, false, 3, "2 tries left"},
	} {
		tok := &fakeToken{good: "4711"}
		read, asked := pins(tc.typed...)
		var warn bytes.Buffer
		err := loginTries(tok.login, read, pinTries, &warn)
		if (err == nil) != tc.ok || tok.tries != tc.logins || *asked != tc.logins {
			t.Errorf("%s: err %v after %d logins (%d PINs read); want ok=%v after %d", tc.name, err, tok.tries, *asked, tc.ok, tc.logins)
		}
		if !tc.ok && !errors.Is(err, hsm.ErrPINIncorrect) {
			t.Errorf("%s: %v does not say the PIN was incorrect (the console runs without the HSM on it)", tc.name, err)
		}
		if !strings.Contains(warn.String(), tc.warning) {
			t.Errorf("%s: warnings %q lack %q", tc.name, warn.String(), tc.warning)
		}
		for _, p := range tc.typed {
			if strings.Contains(warn.String(), p) || (err != nil && strings.Contains(err.Error(), p)) {
				t.Errorf("%s: PIN %s appears in the output", tc.name, p)
			}
		}
	}
	// A locked PIN is not asked again.
	read, asked := pins("0000", "4711")
	locked := func([]byte) error { return &hsm.Error{Kind: hsm.ErrPINLocked} }
	if err := loginTries(locked, read, pinTries, nil); !errors.Is(err, hsm.ErrPINLocked) || *asked != 1 {
		t.Errorf("locked: %v after %d PINs", err, *asked)
	}
}

func TestCheckRefresh(t *testing.T) {
	for _, tc := range []struct {
		d  time.Duration
		ok bool
	}{
		{0, true}, {time.Second, true}, {5 * time.Second, true}, {time.Hour, true},
		{time.Millisecond, false}, {999 * time.Millisecond, false}, {-5 * time.Second, false}, {2 * time.Hour, false},
	} {
		if err := checkRefresh(tc.d); (err == nil) != tc.ok {
			t.Errorf("checkRefresh(%s) = %v, want ok=%v", tc.d, err, tc.ok)
		}
	}
}

// Bad values are refused with what is allowed and a non-zero exit, before
// any database is opened.
func TestBadValuesRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--refresh", "1ms"}, "--refresh must be between 1s and 1h (or 0 to turn the automatic refresh off), not 1ms"},
		{[]string{"--refresh", "-5s"}, "--refresh must be between 1s and 1h"},
		{[]string{"--refresh", "soon"}, "not a duration: write it like 5s, 1m or 1h"},
		{[]string{"--screen", "nowhere"}, `--screen "nowhere": no such screen; use one of inventory, health`},
		{[]string{"demo", "--paths", "-5"}, `invalid argument "-5" for "--paths" flag: must be at least 0`},
		{[]string{"audit", "log", "--limit", "99999999999999999999"}, "number too large"},
		{[]string{"show", "v1", "--recent", "lots"}, "not a whole number"},
		{[]string{"show", "99999999999999999999"}, "the version number is too large"},
		{[]string{"audit"}, "audit takes one of: verify, log"},
		{[]string{"audit", "nope"}, `unknown audit command "nope": use verify, log`},
		{[]string{"status", "extra"}, `status takes no arguments`},
		{[]string{"show"}, "show takes VERSION (the wallet version, e.g. v2)"},
		{[]string{"status", "--wallet", "v1"}, "status does not take --wallet"},
		{[]string{"status", "--json=maybe"}, `--json takes true or false (or no value at all), not "maybe"`},
	} {
		r := console(t, nil, append(tc.args, "--data-dir", dir)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want non-zero and %q", tc.args, r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr, "strconv") || strings.Contains(r.stderr, "time: ") {
			t.Errorf("%v: Go's own error text reaches the operator: %q", tc.args, r.stderr)
		}
		if serverRunning(dir) {
			t.Fatalf("%v: a server was started for a refused command", tc.args)
		}
	}
}
