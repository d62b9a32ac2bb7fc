package model

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParsePathValid(t *testing.T) {
	long := strings.Repeat("1.", 24) + "22" // exactly 50 characters
	tests := []struct {
		in   string
		want Path
	}{
		{"1", Path{1}},
		{"2.3.4.5.10", Path{2, 3, 4, 5, 10}},
		{"10.20", Path{10, 20}},
		{"2147483647", Path{MaxComponent}},
		{"1.2147483647.3", Path{1, MaxComponent, 3}},
		{long, append(slices.Repeat(Path{1}, 24), 22)},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParsePath(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		if got.String() != tt.in {
			t.Errorf("ParsePath(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestParsePathErrors(t *testing.T) {
	sixty := strings.Repeat("12345.", 10) // 60 characters
	tests := []struct {
		in        string
		component int
		reason    string // substring of Reason
	}{
		{"", 0, "path is empty"},
		{sixty, 0, "path is 60 characters long; at most 50"},
		{"2..3", 2, "component 2 is empty"},
		{".2", 1, "component 1 is empty (the path starts with a dot)"},
		{"2.", 2, "component 2 is empty (the path ends with a dot)"},
		{".", 1, "component 1 is empty"},
		{"2.x", 2, `component 2 "x" is not a decimal number`},
		{"2.3a", 2, `component 2 "3a" is not a decimal number`},
		{" 2", 1, `component 1 " 2" is not a decimal number`},
		{"2.\t3", 2, `component 2 "\t3" is not a decimal number`},
		{"2.-1", 2, `"-1" is not a decimal number`},
		{"2.+1", 2, `"+1" is not a decimal number`},
		{"2.٣", 2, "is not a decimal number"}, // Arabic-Indic digit
		{"2.0.1", 2, "component 2 is 0; components start at 1"},
		{"0", 1, "component 1 is 0"},
		{"2.00", 2, "component 2 is 0"},
		{"02", 1, `component 1 "02" has a leading zero; write 2`},
		{"2.03", 2, `component 2 "03" has a leading zero; write 3`},
		{"2147483648", 1, `component 1 "2147483648" is above the maximum 2147483647`},
		{"1.99999999999999999999", 2, "is above the maximum"},
	}
	for _, tt := range tests {
		p, err := ParsePath(tt.in)
		if err == nil {
			t.Errorf("ParsePath(%q) = %v, want error", tt.in, p)
			continue
		}
		var pe *PathError
		if !errors.As(err, &pe) {
			t.Errorf("ParsePath(%q) error %T is not *PathError", tt.in, err)
			continue
		}
		if pe.Input != tt.in || pe.Component != tt.component || !strings.Contains(pe.Reason, tt.reason) {
			t.Errorf("ParsePath(%q) = %+v; want component %d, reason containing %q", tt.in, *pe, tt.component, tt.reason)
		}
		// The input is quoted so control characters are visible.
		if q := `invalid path "` + strings.ReplaceAll(tt.in, "\t", `\t`); !strings.HasPrefix(err.Error(), q) {
			t.Errorf("ParsePath(%q) error %q does not start with %q", tt.in, err, q)
		}
	}
}

func mustPath(t *testing.T, s string) Path {
	t.Helper()
	p, err := ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPathRelations(t *testing.T) {
	tests := []struct {
		p, q       string
		ancestor   bool // p.IsAncestorOf(q)
		descendant bool // q.IsAncestorOf(p)
		overlaps   bool
	}{
		{"2.2.2.2", "2.2.2.2.2", true, false, true},
		{"2.2.2.2.2", "2.2.2.2", false, true, true},
		{"2.2.2.2", "2.2.2.2", false, false, true},
		{"2.2.2.2", "2.2.2.22", false, false, false},
		{"2.2", "2.22.1", false, false, false},
		{"2", "2.3.4.5.10", true, false, true},
		{"2.3", "3.3", false, false, false},
		{"2.3.4", "2.3.5", false, false, false},
	}
	for _, tt := range tests {
		p, q := mustPath(t, tt.p), mustPath(t, tt.q)
		if got := p.IsAncestorOf(q); got != tt.ancestor {
			t.Errorf("%s.IsAncestorOf(%s) = %v", p, q, got)
		}
		if got := q.IsAncestorOf(p); got != tt.descendant {
			t.Errorf("%s.IsAncestorOf(%s) = %v", q, p, got)
		}
		if got := p.Overlaps(q); got != tt.overlaps {
			t.Errorf("%s.Overlaps(%s) = %v", p, q, got)
		}
		if got := q.Overlaps(p); got != tt.overlaps {
			t.Errorf("%s.Overlaps(%s) = %v (not symmetric)", q, p, got)
		}
	}
}

func TestPathAccessors(t *testing.T) {
	p := mustPath(t, "2.3.4.5.10")
	if p.Depth() != 5 || p.ManufacturerIndex() != 2 || p.String() != "2.3.4.5.10" {
		t.Errorf("Depth, ManufacturerIndex, String = %d, %d, %q", p.Depth(), p.ManufacturerIndex(), p.String())
	}
	var empty Path
	if empty.ManufacturerIndex() != 0 || empty.String() != "" || empty.Ancestors() != nil {
		t.Errorf("empty path accessors misbehave")
	}

	anc := p.Ancestors()
	want := []string{"2", "2.3", "2.3.4", "2.3.4.5"}
	if len(anc) != len(want) {
		t.Fatalf("Ancestors() = %v, want %v", anc, want)
	}
	for i, a := range anc {
		if a.String() != want[i] || !a.IsAncestorOf(p) {
			t.Errorf("Ancestors()[%d] = %s, want %s", i, a, want[i])
		}
	}
	// Ancestors must not alias p.
	anc[0][0] = 99
	anc[1] = append(anc[1], 7)
	if p.String() != "2.3.4.5.10" {
		t.Errorf("modifying Ancestors changed p to %s", p)
	}
	if got := mustPath(t, "7").Ancestors(); got != nil {
		t.Errorf("single component Ancestors() = %v, want nil", got)
	}
}

func TestHDPrefix(t *testing.T) {
	tests := []struct {
		wallet int
		path   string
		want   string
	}{
		{1, "2.3.4.5.10", "m/44'/501'/1'/2'/3'/4'/5'/10'"},
		{2, "1", "m/44'/501'/2'/1'"},
		{2147483647, "2147483647.1", "m/44'/501'/2147483647'/2147483647'/1'"},
	}
	for _, tt := range tests {
		p := mustPath(t, tt.path)
		got := HDPrefix(tt.wallet, p)
		if got != tt.want {
			t.Errorf("HDPrefix(%d, %s) = %q, want %q", tt.wallet, p, got, tt.want)
		}
		w, q, err := ParseHDPrefix(got)
		if err != nil || w != tt.wallet || !q.Equal(p) {
			t.Errorf("ParseHDPrefix(%q) = %d, %v, %v", got, w, q, err)
		}
	}
}

func TestParseHDPrefixErrors(t *testing.T) {
	tests := []struct {
		in, part  string
		pathError bool
	}{
		{"", "must start with m/44'/501'/", false},
		{"m/44'/60'/1'/2'", "must start with", false},
		{"m/44'/501'/1'", "no path after the wallet version", false},
		{"m/44'/501'/1'/2", `level 4 "2" is not hardened`, false},
		{"m/44'/501'/1'/2'/", "level 5 is empty", false},
		{"m/44'/501'/1'//2'", "level 4 is empty", false},
		{"m/44'/501'/1'/x'", `level 4 "x'" is not a decimal number`, false},
		{"m/44'/501'/1'/2.3'", "not a decimal number", false},
		{"m/44'/501'/0'/2'", `wallet version "0"`, false},
		{"m/44'/501'/01'/2'", `wallet version "01"`, false},
		{"m/44'/501'/2147483648'/2'", "wallet version", false},
		{"m/44'/501'/1'/0'", "component 1 is 0", true},
		{"m/44'/501'/1'/2'/03'", "leading zero", true},
		{"m/44'/501'/1'/2147483648'", "above the maximum", true},
		{"m/44'/501'/1'/" + strings.Repeat("11111'/", 9) + "1'", "characters long", true},
	}
	for _, tt := range tests {
		w, p, err := ParseHDPrefix(tt.in)
		if err == nil {
			t.Errorf("ParseHDPrefix(%q) = %d, %v; want error", tt.in, w, p)
			continue
		}
		if !strings.Contains(err.Error(), tt.part) || !strings.Contains(err.Error(), `invalid HD prefix "`) {
			t.Errorf("ParseHDPrefix(%q) error %q does not contain %q", tt.in, err, tt.part)
		}
		var pe *PathError
		if errors.As(err, &pe) != tt.pathError {
			t.Errorf("ParseHDPrefix(%q) errors.As(*PathError) = %v, want %v", tt.in, !tt.pathError, tt.pathError)
		}
	}
}

func TestRangeEnd(t *testing.T) {
	tests := []struct {
		start, quantity int
		want            int
		errPart         string
	}{
		{1, 1, 1, ""},
		{1, 100, 100, ""},
		{10, 5, 14, ""},
		{MaxComponent, 1, MaxComponent, ""},
		{MaxComponent - 9, 10, MaxComponent, ""},
		{1, MaxComponent, MaxComponent, ""},
		{MaxComponent - 9, 11, 0, "would end at 2147483648"},
		{MaxComponent, MaxComponent, 0, "above the maximum"},
		{MaxComponent + 1, 1, 0, "above the maximum"},
		{1, 0, 0, "quantity must be at least 1, got 0"},
		{1, -5, 0, "quantity must be at least 1, got -5"},
		{0, 1, 0, "start must be at least 1, got 0"},
		{-1, 1, 0, "start must be at least 1"},
	}
	for _, tt := range tests {
		got, err := RangeEnd(tt.start, tt.quantity)
		if tt.errPart == "" {
			if err != nil || got != tt.want {
				t.Errorf("RangeEnd(%d, %d) = %d, %v; want %d", tt.start, tt.quantity, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("RangeEnd(%d, %d) = %d, %v; want error containing %q", tt.start, tt.quantity, got, err, tt.errPart)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"2.3.4.5.10", "1", "2..3", "2.0.1", "2.x", "02", "2147483647", "2147483648",
		"", ".2", "2.", strings.Repeat("9", 60), "1.\x00", "١.٢",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) || pe.Input != s {
				t.Fatalf("ParsePath(%q) error %v is not a *PathError for the input", s, err)
			}
			return
		}
		// Parsing is strict, so valid input is already canonical.
		if p.String() != s {
			t.Fatalf("ParsePath(%q).String() = %q", s, p.String())
		}
		q, err := ParsePath(p.String())
		if err != nil || !q.Equal(p) {
			t.Fatalf("re-parse of %q = %v, %v; want %v", p.String(), q, err, p)
		}
		w, r, err := ParseHDPrefix(HDPrefix(1, p))
		if err != nil || w != 1 || !r.Equal(p) {
			t.Fatalf("HD round trip of %s = %d, %v, %v", p, w, r, err)
		}
	})
}

func TestPathJSONIsTheDottedForm(t *testing.T) {
	b, err := json.Marshal(struct {
		Path Path `json:"path"`
	}{Path{2, 3, 4, 5}})
	if err != nil || string(b) != `{"path":"2.3.4.5"}` {
		t.Errorf("json of a path: %s, %v", b, err)
	}
	var back struct {
		Path Path `json:"path"`
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Path.String() != "2.3.4.5" {
		t.Errorf("back from json: %v, %v", back.Path, err)
	}
	if err := json.Unmarshal([]byte(`{"path":"2..3"}`), &back); err == nil || !strings.Contains(err.Error(), "component 2 is empty") {
		t.Errorf("bad path from json: %v", err)
	}
}
