package ops

import (
	"testing"
	"time"
)

// The batch size follows the target batch time, by half or double at most.
func TestNextBatchSize(t *testing.T) {
	for _, c := range []struct {
		size, moved int
		took        time.Duration
		want        int
	}{
		{5000, 5000, 250 * time.Millisecond, 10000}, // twice as fast as aimed: double
		{5000, 5000, 5 * time.Second, 2500},         // ten times too slow: half, not a tenth
		{5000, 5000, 625 * time.Millisecond, 4000},  // a little slow: a little smaller
		{5000, 100, 10 * time.Millisecond, 5000},    // few rows found: their rate (10,000/s)
		{200, 200, 10 * time.Second, 100},           // never below the floor
		{40000, 40000, 100 * time.Millisecond, 50000},
		{5000, 0, time.Second, 5000}, // nothing moved: nothing learnt
	} {
		if got := nextBatchSize(c.size, c.moved, c.took, 500*time.Millisecond, 100, 50000); got != c.want {
			t.Errorf("size %d, moved %d in %s: next %d, want %d", c.size, c.moved, c.took, got, c.want)
		}
	}
}
