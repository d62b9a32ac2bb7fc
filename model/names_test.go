package model

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestCheckManufacturer(t *testing.T) {
	for _, c := range []struct {
		name  string
		index int
		want  string // "" for accepted, else part of the error
	}{
		{"Plings", 1, ""},
		{"PLINGS", 1, ""},
		{"plings", 1, ""},
		{"Acme Corp", 2, ""},
		{"Ünicode GmbH", 3, ""},
		{"株式会社", 4, ""},
		// Plings however spelt, at another index.
		{"Plings", 5, "is Plings, however spelt"},
		{"ＰＬＩＮＧＳ", 5, "is Plings, however spelt"},      // fullwidth
		{"Pl\u0456ngs", 5, "is Plings, however spelt"}, // Cyrillic і
		{"\u0420lings", 5, "is Plings, however spelt"}, // Cyrillic Р
		{"\u03a1L\u0399NGS", 5, "is Plings, however spelt"},
		{"PIings", 5, "is Plings, however spelt"}, // capital I for l
		{"Pl1ngs", 5, "is Plings, however spelt"},
		{"Plin\u0261\u0455", 5, "is Plings, however spelt"},
		// ... and at index 1 (a look-alike of Plings is Plings).
		{"Pl\u0456ngs", 1, ""},
		{"ＰＬＩＮＧＳ", 1, ""},
		// Index 1 is Plings only.
		{"Acme", 1, "reserved for Plings"},
		{"Plingson", 1, "reserved for Plings"},
		// Invisible and control characters, anywhere.
		{"Pl\u200bings", 5, "U+200B"},
		{"Pl\u200bings", 1, "U+200B"},
		{"Plings\u00a0", 5, "begin or end with a space"},
		{"Plings\u00a0", 1, "begin or end with a space"},
		{"\u3000Acme", 2, "begin or end with a space"},
		{"Acme ", 2, "begin or end with a space"},
		{"Pl\tings", 5, "U+0009"},
		{"Plings\n", 1, "U+000A"},
		{"Acme\u202eCorp", 2, "U+202E"},
		{"Acme\ufeff", 2, "U+FEFF"},
		{"Acme\u0085", 2, "U+0085"},
		{"Acme\u2028Corp", 2, "U+2028"},
		{"Ac\u00adme", 2, "U+00AD"},
		{"Acme\U000E0041", 2, "U+E0041"},
		{"", 2, "may not be empty"},
		{strings.Repeat("a", 101), 2, "at most 100 characters"},
		{strings.Repeat("é", 100), 2, ""},
		{"Acme", 0, "indexes start at 1"},
	} {
		err := CheckManufacturer(c.name, c.index)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckManufacturer(%q, %d): %v; want accepted", c.name, c.index, err)
		case c.want != "" && err == nil:
			t.Errorf("CheckManufacturer(%q, %d) accepted; want %q", c.name, c.index, c.want)
		case c.want != "" && !strings.Contains(err.Error(), c.want):
			t.Errorf("CheckManufacturer(%q, %d): %v; want it to mention %q", c.name, c.index, err, c.want)
		}
	}
}

func TestSameManufacturerName(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"Acme", "ACME", true},
		{"Acme", "ＡＣＭＥ", true},
		{"Acme", " acme ", true},
		{"Acme", "Acme Corp", false},
		{"Acme", "Аcme", false}, // Cyrillic А: look-alikes count for Plings only
	} {
		if got := SameManufacturerName(c.a, c.b); got != c.same {
			t.Errorf("SameManufacturerName(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

func TestLookAlikesMapToPlingsLetters(t *testing.T) {
	for from, to := range nameLookAlikes {
		if !strings.ContainsRune("plngs", to) {
			t.Errorf("look-alike %q maps to %q, not a letter of the skeleton", from, to)
		}
	}
	if s := ManufacturerNameSkeleton(PlingsName); s != plingsSkeleton {
		t.Errorf("skeleton of %q = %q, want %q", PlingsName, s, plingsSkeleton)
	}
}

// A letter that lower-cases to a look-alike is one itself, so the skeleton
// does not depend on how much lower() knows.
func TestLookAlikesClosedUnderCase(t *testing.T) {
	for r := rune(128); r <= unicode.MaxRune; r++ {
		if _, ok := nameLookAlikes[r]; ok || norm.NFKC.String(string(r)) != string(r) {
			continue
		}
		lr := unicode.ToLower(r)
		if _, ok := nameLookAlikes[lr]; ok || (lr < 128 && strings.ContainsRune("plings", lr)) {
			t.Errorf("%U lower-cases to %q, a look-alike, but is not in the table itself", r, lr)
		}
	}
}
