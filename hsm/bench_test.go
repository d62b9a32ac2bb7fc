package hsm

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
)

// benchToken opens a fresh SoftHSM token through the production path (Open),
// logged in with the default pool, holding one Ed25519 token key.
func benchToken(b *testing.B) (*Module, *Token, *Key) {
	b.Helper()
	conf, err := NewSoftHSMToken(b.TempDir(), primaryName, testSOPIN, testPIN)
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("SOFTHSM2_CONF", conf)
	m, err := Open(SoftHSMModule)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	tok, err := m.Token(primaryName)
	if err != nil {
		b.Fatal(err)
	}
	if err := tok.LoginString(testPIN); err != nil {
		b.Fatal(err)
	}
	k, err := tok.GenerateKey("bench", KeyOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return m, tok, k
}

// runWorkers shares b.N operations among g goroutines; worker w calls op(w).
// It reports operations per second as sig/s.
func runWorkers(b *testing.B, g int, op func(w int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for w := 0; w < g; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := op(w); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sig/s")
}

// BenchmarkSign compares, for 1, 2 and 4 goroutines: signing through the
// adapter (Key.Sign, pool of 4 sessions), a bare PKCS#11 loop on the same
// token and key (SignInit+Sign on a session of each goroutine's own), and
// crypto/ed25519 in Go as the ceiling.
func BenchmarkSign(b *testing.B) {
	m, _, k := benchToken(b)
	raw, ok := m.ld.ctx.(*pkcs11.Ctx)
	if !ok {
		b.Fatal("not a *pkcs11.Ctx")
	}
	slot := k.t.slot
	h := k.privHandle()
	msg := []byte("benchmark message: 64 bytes of payload to be signed, give or take")
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(CKM_EDDSA, nil)}
	goKey := ed25519.NewKeyFromSeed(make([]byte, 32))

	for _, g := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("g=%d/adapter", g), func(b *testing.B) {
			runWorkers(b, g, func(int) error {
				_, err := k.Sign(msg)
				return err
			})
		})
		b.Run(fmt.Sprintf("g=%d/bare", g), func(b *testing.B) {
			sess := make([]pkcs11.SessionHandle, g)
			for i := range sess {
				s, err := raw.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
				if err != nil {
					b.Fatal(err)
				}
				sess[i] = s
			}
			defer func() {
				for _, s := range sess {
					raw.CloseSession(s)
				}
			}()
			runWorkers(b, g, func(w int) error {
				if err := raw.SignInit(sess[w], mech, h); err != nil {
					return err
				}
				_, err := raw.Sign(sess[w], msg)
				return err
			})
		})
		b.Run(fmt.Sprintf("g=%d/crypto-ed25519", g), func(b *testing.B) {
			runWorkers(b, g, func(int) error {
				ed25519.Sign(goKey, msg)
				return nil
			})
		})
	}
}

// BenchmarkPing times the health screen's round trip.
func BenchmarkPing(b *testing.B) {
	_, tok, _ := benchToken(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tok.Ping(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/ping")
}

// BenchmarkSignPaired measures the adapter's overhead against the bare loop
// while cancelling the drift of a busy machine: each goroutine alternates
// chunks of adapter and bare signatures on the same token and key, timing
// each chunk, so both modes see the same load. It reports mean latency per
// signature for each and the adapter's overhead in per cent.
func BenchmarkSignPaired(b *testing.B) {
	m, _, k := benchToken(b)
	raw := m.ld.ctx.(*pkcs11.Ctx)
	h := k.privHandle()
	msg := []byte("benchmark message: 64 bytes of payload to be signed, give or take")
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(CKM_EDDSA, nil)}
	const chunk = 32
	for _, g := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
			sess := make([]pkcs11.SessionHandle, g)
			for i := range sess {
				s, err := raw.OpenSession(k.t.slot, pkcs11.CKF_SERIAL_SESSION)
				if err != nil {
					b.Fatal(err)
				}
				sess[i] = s
			}
			defer func() {
				for _, s := range sess {
					raw.CloseSession(s)
				}
			}()
			var adapterNs, bareNs, adapterN, bareN atomic.Int64
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < g; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for round := 0; ; round++ {
						n := int(next.Add(chunk))
						if n-chunk >= b.N {
							return
						}
						todo := min(chunk, b.N-(n-chunk))
						start := time.Now()
						if (round+w)%2 == 0 {
							for i := 0; i < todo; i++ {
								if _, err := k.Sign(msg); err != nil {
									b.Error(err)
									return
								}
							}
							adapterNs.Add(int64(time.Since(start)))
							adapterN.Add(int64(todo))
						} else {
							for i := 0; i < todo; i++ {
								if err := raw.SignInit(sess[w], mech, h); err != nil {
									b.Error(err)
									return
								}
								if _, err := raw.Sign(sess[w], msg); err != nil {
									b.Error(err)
									return
								}
							}
							bareNs.Add(int64(time.Since(start)))
							bareN.Add(int64(todo))
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if adapterN.Load() == 0 || bareN.Load() == 0 {
				return // b.N too small to have run both
			}
			a := float64(adapterNs.Load()) / float64(adapterN.Load())
			r := float64(bareNs.Load()) / float64(bareN.Load())
			b.ReportMetric(a/1e3, "adapter-µs/sig")
			b.ReportMetric(r/1e3, "bare-µs/sig")
			b.ReportMetric(100*(a-r)/r, "overhead-%")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sig/s")
		})
	}
}

// nopCtx answers SignInit and Sign at once, so BenchmarkSignOverhead measures
// what the adapter itself costs per signature, free of the module's noise.
type nopCtx struct {
	Context
	sig []byte
}

func (c nopCtx) SignInit(pkcs11.SessionHandle, []*pkcs11.Mechanism, pkcs11.ObjectHandle) error {
	return nil
}
func (c nopCtx) Sign(pkcs11.SessionHandle, []byte) ([]byte, error) { return c.sig, nil }

// BenchmarkSignOverhead: Key.Sign (pool borrow, cached handle, checks)
// against calling the same no-op context directly (through the interface).
func BenchmarkSignOverhead(b *testing.B) {
	var c Context = nopCtx{sig: make([]byte, ed25519.SignatureSize)}
	t := &Token{ctx: c, label: "nop", poolSize: 4}
	p := &sessionPool{ctx: c, free: make(chan pkcs11.SessionHandle, 4), done: make(chan struct{})}
	for i := 1; i <= 4; i++ {
		p.all = append(p.all, pkcs11.SessionHandle(i))
		p.free <- pkcs11.SessionHandle(i)
	}
	t.pool.Store(p)
	k := newKey(t, "nop", nil, 7, 8, true)
	msg := []byte("m")
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(CKM_EDDSA, nil)}
	b.Run("adapter", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := k.Sign(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := t.ctx.SignInit(1, mech, 7); err != nil {
				b.Fatal(err)
			}
			if _, err := t.ctx.Sign(1, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
