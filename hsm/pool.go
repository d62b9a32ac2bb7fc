package hsm

import (
	"errors"
	"fmt"
	"sync"

	"github.com/miekg/pkcs11"
)

// sessionPool is a fixed set of sessions opened after login. A signer borrows
// one, uses it alone (a PKCS#11 session must not be used by two threads at
// once), and gives it back. close waits until every session is back.
type sessionPool struct {
	ctx   Context
	label string
	all   []pkcs11.SessionHandle
	free  chan pkcs11.SessionHandle
	done  chan struct{}
	once  sync.Once
	err   error
}

// openPool opens t.poolSize sessions; the caller holds t.mu and is logged in.
func (t *Token) openPool() error {
	p := &sessionPool{
		ctx:   t.ctx,
		label: t.label,
		free:  make(chan pkcs11.SessionHandle, t.poolSize),
		done:  make(chan struct{}),
	}
	for i := 0; i < t.poolSize; i++ {
		s, err := t.ctx.OpenSession(t.slot, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			_ = p.close()
			return p11Error(fmt.Sprintf("open signing session %d of %d on token %q", i+1, t.poolSize, t.label), err)
		}
		p.all = append(p.all, s)
		p.free <- s
	}
	t.pool.Store(p)
	return nil
}

// get borrows a session, or fails once the pool is closing.
func (p *sessionPool) get() (pkcs11.SessionHandle, bool) {
	select {
	case s := <-p.free:
		return s, true
	case <-p.done:
		return 0, false
	}
}

// put gives a session back; never blocks (the channel holds them all).
func (p *sessionPool) put(s pkcs11.SessionHandle) { p.free <- s }

// close stops lending, waits for every borrowed session, and closes them all.
func (p *sessionPool) close() error {
	p.once.Do(func() {
		close(p.done)
		var errs []error
		for range p.all {
			s := <-p.free
			if err := p.ctx.CloseSession(s); err != nil {
				errs = append(errs, p11Error(fmt.Sprintf("close signing session on token %q", p.label), err))
			}
		}
		p.err = errors.Join(errs...)
	})
	return p.err
}
