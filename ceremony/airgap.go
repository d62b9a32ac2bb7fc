package ceremony

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/plings/walletconsole/model"
)

// NetInterface is one network interface as /sys/class/net shows it.
type NetInterface struct {
	Name      string `json:"name"`
	OperState string `json:"operstate"` // as read ("up", "down", "unknown"), "" if unreadable
	Flags     string `json:"flags"`     // as read ("0x1003"), "" if unreadable
	Up        bool   `json:"up"`        // IFF_UP set or operstate "up"
}

// DefaultRoute is a default route found in the routing table.
type DefaultRoute struct {
	Family  string `json:"family"` // "ipv4" or "ipv6"
	Iface   string `json:"iface"`
	Gateway string `json:"gateway"`
}

// OfflineReport is what CheckOffline found. It goes into the transcript as is.
type OfflineReport struct {
	Root          string         `json:"root"`
	Offline       bool           `json:"offline"`
	Interfaces    []NetInterface `json:"interfaces"`
	DefaultRoutes []DefaultRoute `json:"default_routes"`
	Notes         []string       `json:"notes"` // what could not be read, and how it was taken
	Summary       string         `json:"summary"`
}

// iffUp is IFF_UP in /sys/class/net/<iface>/flags.
const iffUp = 0x1

// IPv6 route flags (linux/ipv6_route.h): a reject route is not a way out.
const (
	rtfUp     = 0x1
	rtfReject = 0x200
)

// CheckOffline proves the machine is offline by reading the kernel's view of
// it under root ("" means "/"): no interface other than lo is up
// (root/sys/class/net/<iface>/flags has IFF_UP, or operstate is "up"), and no
// default route (a line of root/proc/net/route whose Destination and Mask are
// both 00000000, or an IPv6 ::/0 route in root/proc/net/ipv6_route that is
// not a reject route and not on lo). Reading files rather than asking the
// network stack means the check opens no socket, and tests can point root at
// a fixture. A missing route file counts as no routes, and the report says so.
//
// When the machine is online the error wraps ErrOnline and names what was
// found and how to fix it; when the interfaces cannot be listed at all it
// wraps ErrOfflineUnknown. The report is returned in every case.
func CheckOffline(root string) (OfflineReport, error) {
	if root == "" {
		root = "/"
	}
	rep := OfflineReport{Root: root, Interfaces: []NetInterface{}, DefaultRoutes: []DefaultRoute{}, Notes: []string{}}

	ifaces, notes, ierr := readInterfaces(root)
	rep.Interfaces = append(rep.Interfaces, ifaces...)
	rep.Notes = append(rep.Notes, notes...)

	routes, notes, rerr := readDefaultRoutes(root)
	rep.DefaultRoutes = append(rep.DefaultRoutes, routes...)
	rep.Notes = append(rep.Notes, notes...)

	var found, up []string
	for _, i := range rep.Interfaces {
		if i.Up && i.Name != "lo" {
			found = append(found, "interface "+i.Name+" is up")
			up = append(up, i.Name)
		}
	}
	for _, r := range rep.DefaultRoutes {
		what := "default route"
		if r.Family == "ipv6" {
			what = "IPv6 default route"
		}
		if r.Gateway != "" {
			what += " via " + r.Gateway
		}
		found = append(found, what+" on "+r.Iface)
	}
	if ierr == nil {
		ierr = rerr
	}
	switch {
	case len(found) > 0:
		rep.Summary = "NOT offline: " + strings.Join(found, "; ")
		advice := "unplug the network"
		for _, n := range up {
			advice += fmt.Sprintf(", or bring the interface down (ip link set %s down)", n)
		}
		if len(rep.DefaultRoutes) > 0 && len(up) == 0 {
			advice += ", or remove the default route (ip route del default)"
		}
		return rep, newProblem(strings.Join(found, "; ")+" — "+advice+", and check again", ErrOnline)
	case ierr != nil:
		rep.Summary = "cannot tell: " + ierr.Error()
		return rep, newProblem("cannot prove the machine is offline: "+ierr.Error(), ErrOfflineUnknown, ierr)
	}
	rep.Offline = true
	rep.Summary = fmt.Sprintf("offline: no interface but lo is up, no default route (%d interface(s) checked)", len(rep.Interfaces))
	return rep, nil
}

// readInterfaces lists root/sys/class/net. Not being able to list it at all
// is an error: without it nothing is proven.
func readInterfaces(root string) ([]NetInterface, []string, error) {
	dir := filepath.Join(root, "sys", "class", "net")
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("list network interfaces in %s: %w (is /sys mounted?)", dir, err)
	}
	var out []NetInterface
	var notes []string
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		ni := NetInterface{Name: name}
		if b, err := model.ReadFileLimit(filepath.Join(dir, name, "operstate"), sysfsLimit); err == nil {
			ni.OperState = strings.TrimSpace(string(b))
		} else {
			notes = append(notes, fmt.Sprintf("%s: operstate unreadable (%v)", name, err))
		}
		if b, err := model.ReadFileLimit(filepath.Join(dir, name, "flags"), sysfsLimit); err == nil {
			ni.Flags = strings.TrimSpace(string(b))
			v, perr := strconv.ParseUint(strings.TrimPrefix(ni.Flags, "0x"), 16, 64)
			switch {
			case perr != nil:
				notes = append(notes, fmt.Sprintf("%s: flags %q are not hex; taken as up", name, ni.Flags))
				ni.Up = true // cannot prove it is down
			case v&iffUp != 0:
				ni.Up = true
			}
		} else {
			notes = append(notes, fmt.Sprintf("%s: flags unreadable (%v)", name, err))
		}
		if ni.OperState == "up" {
			ni.Up = true
		}
		if ni.OperState == "" && ni.Flags == "" && name != "lo" {
			notes = append(notes, name+": state unknown; taken as up")
			ni.Up = true
		}
		out = append(out, ni)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, notes, nil
}

// readDefaultRoutes reads the IPv4 and IPv6 routing tables. A table that is
// missing counts as empty (and is noted); one that cannot be parsed is an error.
func readDefaultRoutes(root string) ([]DefaultRoute, []string, error) {
	var routes []DefaultRoute
	var notes []string
	v4 := filepath.Join(root, "proc", "net", "route")
	r, err := readRoute4(v4)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, v4+" does not exist: taken as no IPv4 routes")
	case err != nil:
		return nil, notes, err
	}
	routes = append(routes, r...)
	v6 := filepath.Join(root, "proc", "net", "ipv6_route")
	r, err = readRoute6(v6)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, v6+" does not exist: taken as no IPv6 routes")
	case err != nil:
		return nil, notes, err
	}
	return append(routes, r...), notes, nil
}

// What the offline check reads is bounded: sysfs attributes are a line,
// route tables a few kilobytes.
const (
	sysfsLimit = 4 << 10
	routeLimit = 4 << 20
)

// readRoute4 parses /proc/net/route:
//
//	Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask	…
//	eth0	00000000	0100000A	0003	0	0	100	00000000	…
//
// Addresses are the kernel's __be32 printed as a host-order number.
func readRoute4(path string) ([]DefaultRoute, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []DefaultRoute
	// A route table is small; a path that is not one (a FIFO, a device)
	// must not hold the check up or fill memory.
	sc := bufio.NewScanner(io.LimitReader(f, routeLimit))
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || (n == 1 && fields[0] == "Iface") {
			continue
		}
		if len(fields) < 8 {
			return nil, fmt.Errorf("%s line %d has %d fields, want at least 8", path, n, len(fields))
		}
		if fields[1] != "00000000" || fields[7] != "00000000" {
			continue
		}
		out = append(out, DefaultRoute{Family: "ipv4", Iface: fields[0], Gateway: ipv4Hex(fields[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// ipv4Hex turns a /proc/net/route address into dotted form ("" for 0.0.0.0).
func ipv4Hex(s string) string {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return s
	}
	if v == 0 {
		return ""
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(v))
	return net.IP(b[:]).String()
}

// readRoute6 parses /proc/net/ipv6_route (dest, dest prefix length, source,
// source prefix length, next hop, metric, refcnt, use, flags, iface).
func readRoute6(path string) ([]DefaultRoute, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []DefaultRoute
	// A route table is small; a path that is not one (a FIFO, a device)
	// must not hold the check up or fill memory.
	sc := bufio.NewScanner(io.LimitReader(f, routeLimit))
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) < 10 {
			return nil, fmt.Errorf("%s line %d has %d fields, want 10", path, n, len(fields))
		}
		if fields[0] != strings.Repeat("0", 32) || fields[1] != "00" || fields[9] == "lo" {
			continue
		}
		flags, err := strconv.ParseUint(fields[8], 16, 32)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: flags %q are not hex", path, n, fields[8])
		}
		if flags&rtfUp == 0 || flags&rtfReject != 0 {
			continue
		}
		gw := ""
		if b, err := hex.DecodeString(fields[4]); err == nil && len(b) == 16 && fields[4] != strings.Repeat("0", 32) {
			gw = net.IP(b).String()
		}
		out = append(out, DefaultRoute{Family: "ipv6", Iface: fields[9], Gateway: gw})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
