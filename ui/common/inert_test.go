package common

import (
	"strings"
	"testing"
)

func TestInert(t *testing.T) {
	cases := []struct{ in, want string }{
		{"IKEA", "IKEA"},
		{"Nestlé", "Nestlé"},
		{"\x1b]52;c;aGVsbG8=\x07", `\x1b]52;c;aGVsbG8=\x07`},
		{"\x1b[2J", `\x1b[2J`},
		{"a\u009bb", `a\x9bb`},
		{"evil\u202etxt", `evil\u202etxt`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"tab\there", `tab\x09here`},
	}
	for _, c := range cases {
		got := Inert(c.in)
		if got != c.want {
			t.Errorf("Inert(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.ContainsAny(got, "\x1b\x07\x9b") {
			t.Errorf("Inert(%q) still holds a control byte: %q", c.in, got)
		}
	}
}
