package ceremony

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The air-gap check reads fixture trees laid out like / (real-format
// /proc/net/route and /sys/class/net/<iface>/{operstate,flags}).
func TestCheckOfflineFixtures(t *testing.T) {
	cases := []struct {
		fixture string
		offline bool
		kind    error
		want    []string // fragments of the error (or of the summary when offline)
	}{
		{"offline", true, nil, []string{"offline: no interface but lo is up, no default route (2 interface(s) checked)"}},
		{"default_route", false, ErrOnline, []string{"default route via 10.0.0.1 on eth0", "unplug the network", "ip route del default", "check again"}},
		{"interface_up", false, ErrOnline, []string{"interface eth0 is up", "ip link set eth0 down", "check again"}},
		{"online", false, ErrOnline, []string{"interface eth0 is up; default route via 10.0.0.1 on eth0 — unplug the network, or bring the interface down (ip link set eth0 down), and check again"}},
		{"ipv6_default", false, ErrOnline, []string{"IPv6 default route via fe80::1 on eth0"}},
		{"operstate_up", false, ErrOnline, []string{"interface eth0 is up"}},
		{"no_route_file", true, nil, []string{"offline"}},
		{"does_not_exist", false, ErrOfflineUnknown, []string{"cannot prove the machine is offline", "is /sys mounted?"}},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			root := filepath.Join("testdata", "net", c.fixture)
			rep, err := CheckOffline(root)
			if rep.Offline != c.offline {
				t.Fatalf("Offline = %v, want %v (report %+v, err %v)", rep.Offline, c.offline, rep, err)
			}
			text := rep.Summary
			if c.kind != nil {
				if !errors.Is(err, c.kind) {
					t.Fatalf("err = %v, want %v", err, c.kind)
				}
				text = err.Error()
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
		})
	}

	t.Run("report contents", func(t *testing.T) {
		rep, _ := CheckOffline(filepath.Join("testdata", "net", "online"))
		if len(rep.Interfaces) != 2 || rep.Interfaces[0].Name != "eth0" || !rep.Interfaces[0].Up || rep.Interfaces[0].Flags != "0x1003" ||
			rep.Interfaces[1].Name != "lo" || rep.Interfaces[1].OperState != "unknown" {
			t.Errorf("interfaces = %+v", rep.Interfaces)
		}
		if len(rep.DefaultRoutes) != 1 || rep.DefaultRoutes[0] != (DefaultRoute{Family: "ipv4", Iface: "eth0", Gateway: "10.0.0.1"}) {
			t.Errorf("default routes = %+v", rep.DefaultRoutes)
		}
		if !strings.HasPrefix(rep.Summary, "NOT offline: ") {
			t.Errorf("summary = %q", rep.Summary)
		}
	})

	t.Run("missing route file is noted", func(t *testing.T) {
		rep, err := CheckOffline(filepath.Join("testdata", "net", "no_route_file"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Notes) != 2 || !strings.Contains(rep.Notes[0], "proc/net/route does not exist: taken as no IPv4 routes") {
			t.Errorf("notes = %q", rep.Notes)
		}
	})

	t.Run("empty root is /", func(t *testing.T) {
		rep, _ := CheckOffline("")
		if rep.Root != "/" {
			t.Errorf("root = %q", rep.Root)
		}
	})
}

// What the offline check reads is bounded: an attribute that is not a line
// (a huge or endless file where sysfs would have one) proves nothing and
// counts as up; a route table that never ends is read only so far.
func TestCheckOfflineBoundedReads(t *testing.T) {
	root := t.TempDir()
	eth := filepath.Join(root, "sys", "class", "net", "eth0")
	if err := os.MkdirAll(eth, 0o755); err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("down\n", 4000)
	for _, f := range []string{"operstate", "flags"} {
		if err := os.WriteFile(filepath.Join(eth, f), []byte(huge), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proc := filepath.Join(root, "proc", "net")
	if err := os.MkdirAll(proc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(proc, "route")); err != nil {
		t.Fatal(err)
	}
	rep, err := CheckOffline(root)
	if rep.Offline || err == nil {
		t.Fatalf("an unreadable interface passed as offline: %+v", rep)
	}
	if !strings.Contains(err.Error()+strings.Join(rep.Notes, "; "), "eth0") {
		t.Errorf("the refusal does not name eth0: %v %+v", err, rep)
	}
}
