package hsm

import (
	"context"
	"strings"
	"testing"
)

// sessionKeys counts the timer's keys on the token.
func timerKeys(t *testing.T, tok *Token) int {
	t.Helper()
	keys, err := tok.Keys()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k.Label, "console-health-") {
			if k.OnToken {
				t.Errorf("timer key %s is a token object; it must be a session key", k.Label)
			}
			n++
		}
	}
	return n
}

func TestSignTimer(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	st := NewSignTimer(tok, "health")
	ctx := context.Background()

	avg, err := st.Time(ctx, 5)
	if err != nil || avg <= 0 {
		t.Fatalf("Time = %v, %v; want a positive average", avg, err)
	}
	// Kept between measurements: one key, whatever the number of calls.
	if _, err := st.Time(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n := timerKeys(t, tok); n != 2 { // Keys lists the public and the private half
		t.Errorf("%d timer key objects after two measurements, want one pair", n)
	}
	if _, err := st.Time(ctx, 0); err == nil {
		t.Errorf("0 samples accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.Time(cancelled, 5); err == nil {
		t.Errorf("a cancelled context was ignored")
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := timerKeys(t, tok); n != 0 {
		t.Errorf("%d timer key objects left after Close", n)
	}
	// Usable again after Close, and a token that cannot sign is an error.
	if _, err := st.Time(ctx, 1); err != nil {
		t.Errorf("Time after Close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tok.Logout(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Time(ctx, 1); err == nil {
		t.Errorf("Time on a logged-out token succeeded")
	}
}
