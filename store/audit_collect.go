package store

import (
	"context"
	"sync"
)

// This file: telling a caller which operations-log rows its change wrote,
// without every write's signature carrying them. The flow runner's result
// names them ("audit rows: #84").

type auditSinkKey struct{}

type auditSink struct {
	mu   sync.Mutex
	seqs []int64
}

// CollectAudit returns a context under which every operations-log row the
// store writes is noted, and a function that lists their sequence numbers
// in the order written. Rows of a transaction that then failed to commit
// are listed too: read them only when the call succeeded.
func CollectAudit(ctx context.Context) (context.Context, func() []int64) {
	s := &auditSink{}
	return context.WithValue(ctx, auditSinkKey{}, s), func() []int64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return append([]int64(nil), s.seqs...)
	}
}

// noteAudit records seq with the context's collector, if it has one.
func noteAudit(ctx context.Context, seq int64) {
	if s, ok := ctx.Value(auditSinkKey{}).(*auditSink); ok {
		s.mu.Lock()
		s.seqs = append(s.seqs, seq)
		s.mu.Unlock()
	}
}
