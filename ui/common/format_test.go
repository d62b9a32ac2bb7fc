package common

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 1_002_443_100: "1,002,443,100"} {
		if got := Group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0s ago"}, {59 * time.Second, "59s ago"}, {5 * time.Minute, "5m ago"}, {47 * time.Hour, "47h ago"}, {72 * time.Hour, "3d ago"}, {-time.Hour, "in future"}} {
		if got := Ago(t0, t0.Add(-c.d)); got != c.want {
			t.Errorf("ago(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	if got := Ago(t0, time.Time{}); got != "never" {
		t.Errorf("ago(zero) = %q", got)
	}
	if got := Fit("Nestlé", 8, true); got != "  Nestlé" {
		t.Errorf("fit right: %q", got)
	}
	if got := Fit("日本語のテキスト", 7, false); Width(got) != 7 {
		t.Errorf("fit wide: %q is %d wide", got, Width(got))
	}
}
