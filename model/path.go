package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Path is a base path such as 2.3.4.5.10. Components are hardened BIP32
// indexes, hence 1..2^31-1.
type Path []uint32

const (
	// MaxPathLen matches the width of the database column.
	MaxPathLen = 50
	// MaxComponent is the largest index that can still be hardened.
	MaxComponent = 1<<31 - 1
)

// hdRoot is the fixed BIP44 purpose and Solana coin type under which every
// wallet version lives.
const hdRoot = "m/44'/501'/"

// PathError reports why a path was rejected. Component is 1-based and 0 when
// the problem concerns the whole path.
type PathError struct {
	Input     string `json:"input"`
	Component int    `json:"component"`
	Reason    string `json:"reason"`
}

func (e *PathError) Error() string {
	return fmt.Sprintf("invalid path %q: %s", e.Input, e.Reason)
}

// ParsePath parses the canonical dotted form. It is strict (no blanks, no
// leading zeros) so that every accepted string is exactly p.String(), which
// keeps database uniqueness on the text form meaningful.
func ParsePath(s string) (Path, error) {
	fail := func(comp int, format string, args ...any) (Path, error) {
		return nil, &PathError{Input: s, Component: comp, Reason: fmt.Sprintf(format, args...)}
	}
	if s == "" {
		return fail(0, "path is empty; expected dot-separated numbers like 2.3.4.5.10")
	}
	if n := utf8.RuneCountInString(s); n > MaxPathLen {
		return fail(0, "path is %d characters long; at most %d are allowed", n, MaxPathLen)
	}
	parts := strings.Split(s, ".")
	p := make(Path, 0, len(parts))
	for i, c := range parts {
		pos := i + 1
		switch {
		case c == "" && i == 0:
			return fail(pos, "component %d is empty (the path starts with a dot)", pos)
		case c == "" && i == len(parts)-1:
			return fail(pos, "component %d is empty (the path ends with a dot)", pos)
		case c == "":
			return fail(pos, "component %d is empty (two dots in a row)", pos)
		case !isDigits(c):
			return fail(pos, "component %d %q is not a decimal number (only digits 0-9 are allowed)", pos, c)
		case strings.Trim(c, "0") == "":
			return fail(pos, "component %d is 0; components start at 1", pos)
		case c[0] == '0':
			return fail(pos, "component %d %q has a leading zero; write %s", pos, c, strings.TrimLeft(c, "0"))
		}
		v, err := strconv.ParseUint(c, 10, 64)
		if err != nil || v > MaxComponent {
			return fail(pos, "component %d %q is above the maximum %d", pos, c, MaxComponent)
		}
		p = append(p, uint32(v))
	}
	return p, nil
}

// String gives the canonical dotted form accepted by ParsePath.
func (p Path) String() string {
	var b strings.Builder
	for i, c := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(c), 10))
	}
	return b.String()
}

// MarshalText gives the dotted form, so that JSON (--json) shows "2.3.4.5"
// rather than an array of numbers.
func (p Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText accepts what ParsePath accepts.
func (p *Path) UnmarshalText(b []byte) error {
	q, err := ParsePath(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Depth is the number of components.
func (p Path) Depth() int { return len(p) }

// ManufacturerIndex is the first component: base paths are grouped per
// manufacturer within a wallet. It is 0 (never a valid index) for an empty path.
func (p Path) ManufacturerIndex() uint32 {
	if len(p) == 0 {
		return 0
	}
	return p[0]
}

// Equal reports whether p and q have the same components.
func (p Path) Equal(q Path) bool {
	return len(p) == len(q) && p.hasPrefix(q)
}

func (p Path) hasPrefix(q Path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// IsAncestorOf reports whether p is a strict prefix of q, compared by
// component so that 2.2 is not an ancestor of 2.22.
func (p Path) IsAncestorOf(q Path) bool {
	return len(p) < len(q) && q.hasPrefix(p)
}

// Overlaps reports whether keys derived under p and q could collide, i.e.
// one path equals or contains the other.
func (p Path) Overlaps(q Path) bool {
	return p.hasPrefix(q) || q.hasPrefix(p)
}

// Ancestors returns the proper prefixes of p, shortest first, each an
// independent copy so callers may modify them.
func (p Path) Ancestors() []Path {
	if len(p) < 2 {
		return nil
	}
	out := make([]Path, 0, len(p)-1)
	for i := 1; i < len(p); i++ {
		out = append(out, append(Path(nil), p[:i]...))
	}
	return out
}

// HDPrefix is the BIP44 derivation prefix for p in a wallet version. Every
// level is hardened because Ed25519 (SLIP-0010) only supports hardened
// derivation.
func HDPrefix(walletVersion int, p Path) string {
	var b strings.Builder
	b.WriteString(hdRoot)
	b.WriteString(strconv.Itoa(walletVersion))
	b.WriteByte('\'')
	for _, c := range p {
		b.WriteByte('/')
		b.WriteString(strconv.FormatUint(uint64(c), 10))
		b.WriteByte('\'')
	}
	return b.String()
}

// ParseHDPrefix is the inverse of HDPrefix. The path part goes through
// ParsePath so that the same rules apply and a *PathError stays reachable via
// errors.As.
func ParseHDPrefix(s string) (wallet int, p Path, err error) {
	bad := func(format string, args ...any) (int, Path, error) {
		return 0, nil, fmt.Errorf("invalid HD prefix %q: %s; expected a form like %s",
			s, fmt.Sprintf(format, args...), HDPrefix(1, Path{2, 3, 4, 5, 10}))
	}
	if !strings.HasPrefix(s, hdRoot) {
		return bad("it must start with %s", hdRoot)
	}
	segs := strings.Split(s[len(hdRoot):], "/")
	comps := make([]string, len(segs))
	for i, seg := range segs {
		level := i + 3 // levels 1 and 2 are the fixed 44' and 501'
		if seg == "" {
			return bad("level %d is empty", level)
		}
		if !strings.HasSuffix(seg, "'") {
			return bad("level %d %q is not hardened (add ')", level, seg)
		}
		c := strings.TrimSuffix(seg, "'")
		if !isDigits(c) {
			return bad("level %d %q is not a decimal number", level, seg)
		}
		comps[i] = c
	}
	w, perr := strconv.ParseInt(comps[0], 10, 64)
	if perr != nil || w < 1 || w > math.MaxInt32 || comps[0][0] == '0' {
		return bad("wallet version %q must be a number from 1 to %d without leading zeros", comps[0], math.MaxInt32)
	}
	if len(comps) == 1 {
		return bad("there is no path after the wallet version")
	}
	p, err = ParsePath(strings.Join(comps[1:], "."))
	if err != nil {
		return 0, nil, fmt.Errorf("invalid HD prefix %q: %w", s, err)
	}
	return int(w), p, nil
}

// RangeEnd is the last index of quantity consecutive indexes starting at
// start. It refuses ranges that would run past MaxComponent, since such
// indexes cannot be hardened.
func RangeEnd(start, quantity int) (int, error) {
	if quantity < 1 {
		return 0, fmt.Errorf("quantity must be at least 1, got %d", quantity)
	}
	if start < 1 {
		return 0, fmt.Errorf("range start must be at least 1, got %d", start)
	}
	if start > MaxComponent || quantity > MaxComponent {
		return 0, fmt.Errorf("range of %d starting at %d is above the maximum index %d", quantity, start, MaxComponent)
	}
	// int64 so the sum cannot wrap on 32-bit platforms.
	end := int64(start) + int64(quantity) - 1
	if end > MaxComponent {
		return 0, fmt.Errorf("range of %d starting at %d would end at %d, above the maximum index %d",
			quantity, start, end, MaxComponent)
	}
	return int(end), nil
}
