package hsm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// SignTimer times test signatures on a token for the health checks
// (signature_performance). It signs with a session key of its own (CKA_TOKEN
// false: gone with the token's session, never a wallet's key), made on first
// use and kept, so that a real HSM's audit log does not get a key generation
// on every refresh; it is made again if signing with it stops working (the
// token logged out and in). Close destroys it. Safe for concurrent use.
type SignTimer struct {
	t      *Token
	prefix string

	mu  sync.Mutex
	key *Key
}

// DefaultSignSamples is how many signatures one measurement averages.
const DefaultSignSamples = 10

// NewSignTimer times signatures on t; purpose goes into the key's label
// ("console-<purpose>-<random>") so an operator listing the token's keys sees
// whose it is.
func NewSignTimer(t *Token, purpose string) *SignTimer {
	return &SignTimer{t: t, prefix: "console-" + purpose + "-"}
}

// Time signs n test messages and returns the average time of one signature.
// An error means signing is impossible (or ctx ended); the key is dropped so
// that the next call starts afresh.
func (s *SignTimer) Time(ctx context.Context, n int) (time.Duration, error) {
	if n < 1 {
		return 0, fmt.Errorf("time signatures: %d samples; give at least 1", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == nil {
		suffix := make([]byte, 4)
		if _, err := rand.Read(suffix); err != nil {
			return 0, fmt.Errorf("time signatures: label: %w", err)
		}
		k, err := s.t.GenerateKey(s.prefix+hex.EncodeToString(suffix), KeyOptions{Session: true})
		if err != nil {
			return 0, fmt.Errorf("time signatures: %w", err)
		}
		s.key = k
	}
	msg := []byte("wallet console signature timing")
	var total time.Duration
	for i := range n {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("time signatures: stopped after %d: %w", i, err)
		}
		start := time.Now()
		_, err := s.key.Sign(msg)
		total += time.Since(start)
		if err != nil {
			s.dropLocked()
			return 0, fmt.Errorf("time signatures: %w", err)
		}
	}
	return total / time.Duration(n), nil
}

// Close destroys the timer's key, if it made one. The timer can be used
// again afterwards (it makes a new key).
func (s *SignTimer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropLocked()
}

// dropLocked destroys the key; a failure matters little (a session key goes
// with its session anyway) but is returned for Close's caller.
func (s *SignTimer) dropLocked() error {
	if s.key == nil {
		return nil
	}
	err := s.t.DestroyKey(s.key.Label())
	s.key = nil
	if errors.Is(err, ErrKeyNotFound) {
		return nil
	}
	return err
}
