package common

// This file: making text from the database or the HSM harmless before it
// reaches a terminal.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Inert returns s with every control character (C0, DEL, C1, and so every
// escape sequence's introducer) and every invalid byte shown as a visible
// escape such as \x1b, so that a name like "\x1b]52;c;...\x07" prints as text
// instead of talking to the terminal.
func Inert(s string) string {
	// Printable ASCII, the common case, has nothing to neutralise.
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return inertSlow(s)
		}
	}
	return s
}

func inertSlow(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || IsControl(r) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case IsControl(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// IsControl covers C0, DEL, C1 and the Unicode format characters that can
// reorder or hide text (bidi overrides, zero-width joiners).
func IsControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}
