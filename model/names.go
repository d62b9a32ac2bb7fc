package model

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The manufacturer name rule, as migration 012 has it in the database, so that
// a front end can say what is wrong before the database refuses:
//
//   - no control or format character (Unicode Cc, Cf) nor line or paragraph
//     separator (Zl, Zp) anywhere, and no white space at either end;
//   - names are compared by their fold (NFKC, lower case, trimmed), and two
//     names of one wallet may not have the same fold;
//   - Plings is index 1 and index 1 is Plings, however spelt: the Plings rule
//     compares the skeleton, the fold with look-alike letters mapped to the
//     letters of "plings" (see nameLookAlikes).
//
// The database's lower() follows its LC_CTYPE, which in a C-locale database
// (the embedded cluster) lowers ASCII only; the fold here lowers every letter,
// so it may find two names the same that such a database tells apart, never
// the other way round.

// PlingsName is Plings' manufacturer name; PlingsIndex its index in every wallet.
const (
	PlingsName  = "Plings"
	PlingsIndex = 1
)

// MaxManufacturerNameLen is the column's length, in characters.
const MaxManufacturerNameLen = 100

// nameLookAlikes maps characters that pass for a letter of "plings" to it,
// ('i' and 'l' are one letter here: a capital I passes for an l). Every
// upper-case form of a key is a key too, so that the table gives the same
// skeleton whether or not lower() knows the letter (see above). Keep in step
// with manufacturer_name_skeleton in migration 012.
var nameLookAlikes = map[rune]rune{
	// p
	'р': 'p', 'Р': 'p', 'ρ': 'p', 'Ρ': 'p', 'ϱ': 'p',
	// l and i
	'i': 'l', '1': 'l', '|': 'l', 'ı': 'l', 'і': 'l', 'І': 'l', 'ӏ': 'l', 'Ӏ': 'l',
	'ι': 'l', 'Ι': 'l', 'ǀ': 'l', '׀': 'l', 'İ': 'l',
	// n
	'ո': 'n', 'Ո': 'n', 'Ν': 'n',
	// g
	'ɡ': 'g', 'Ɡ': 'g', 'ԍ': 'g', 'Ԍ': 'g', 'ց': 'g', 'Ց': 'g', '9': 'g',
	// s
	'ѕ': 's', 'Ѕ': 's', 'ꜱ': 's', '5': 's',
}

// plingsSkeleton is the skeleton of "Plings".
const plingsSkeleton = "pllngs"

// badNameChar says whether r may not be in a manufacturer name anywhere.
func badNameChar(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// CheckManufacturerName says what is wrong with a manufacturer name, or nil.
func CheckManufacturerName(name string) error {
	if name == "" {
		return fmt.Errorf("a manufacturer name may not be empty")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("a manufacturer name must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > MaxManufacturerNameLen {
		return fmt.Errorf("a manufacturer name is at most %d characters (this one has %d)", MaxManufacturerNameLen, n)
	}
	i := 0
	for _, r := range name {
		i++
		if badNameChar(r) {
			return fmt.Errorf("a manufacturer name may not contain U+%04X (a control or format character), found at character %d of the name", r, i)
		}
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("a manufacturer name may not begin or end with a space (%q)", name)
	}
	return nil
}

// FoldManufacturerName is what two manufacturer names are compared by: NFKC,
// lower case, white space trimmed at both ends.
func FoldManufacturerName(name string) string {
	return strings.TrimFunc(strings.ToLower(norm.NFKC.String(name)), unicode.IsSpace)
}

// ManufacturerNameSkeleton is the fold with look-alikes of the letters of
// "plings" mapped to them. The table is applied before lower-casing too, as
// the database (whose lower() may know ASCII only) in effect does.
func ManufacturerNameSkeleton(name string) string {
	lookAlike := func(r rune) rune {
		if to, ok := nameLookAlikes[r]; ok {
			return to
		}
		return r
	}
	return strings.Map(lookAlike, FoldManufacturerName(strings.Map(lookAlike, norm.NFKC.String(name))))
}

// IsPlingsName says whether a name is Plings, however spelt.
func IsPlingsName(name string) bool { return ManufacturerNameSkeleton(name) == plingsSkeleton }

// SameManufacturerName says whether two names are the same name to the
// database (one wallet may not have both).
func SameManufacturerName(a, b string) bool {
	return FoldManufacturerName(a) == FoldManufacturerName(b)
}

// CheckManufacturer says what is wrong with registering name at index, or nil:
// the name rule, then the Plings rule.
func CheckManufacturer(name string, index int) error {
	if err := CheckManufacturerName(name); err != nil {
		return err
	}
	if index < 1 {
		return fmt.Errorf("manufacturer indexes start at 1 (got %d)", index)
	}
	switch plings := IsPlingsName(name); {
	case plings && index != PlingsIndex:
		return fmt.Errorf("%q is Plings, however spelt: Plings is manufacturer index %d, not %d", name, PlingsIndex, index)
	case !plings && index == PlingsIndex:
		return fmt.Errorf("manufacturer index %d is reserved for Plings, not %q", PlingsIndex, name)
	}
	return nil
}

// NameLookAlikes returns a copy of the look-alike table (for the tests that
// hold it against the database's).
func NameLookAlikes() map[rune]rune {
	m := make(map[rune]rune, len(nameLookAlikes))
	for k, v := range nameLookAlikes {
		m[k] = v
	}
	return m
}
