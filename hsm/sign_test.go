package hsm

import (
	"crypto"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
)

func TestConcurrentSign(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN, WithPoolSize(3))
	k, err := tok.GenerateKey("k", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ { // more goroutines than sessions: they queue
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				msg := []byte(fmt.Sprintf("g%d m%d", g, i))
				sig, err := k.Sign(msg)
				if err != nil {
					t.Error(err)
					return
				}
				if !ed25519.Verify(k.Public(), msg, sig) {
					t.Error("bad signature")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSignNeedsLogin(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	k, err := tok.GenerateKey("k", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Logout(); err != nil {
		t.Fatal(err)
	}
	_, err = k.Sign([]byte("x"))
	wantErr(t, err, ErrNotLoggedIn, `"k"`, "log in")
	if err := tok.LoginString(testPIN); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Sign([]byte("x")); err != nil { // the handle is still good
		t.Fatal(err)
	}
	tok.Close()
	_, err = k.Sign([]byte("x"))
	wantErr(t, err, ErrClosed)
}

func TestSigner(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	k, err := tok.GenerateKey("k", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := k.Signer()
	msg := []byte("via crypto.Signer")
	sig, err := s.Sign(nil, msg, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(s.Public().(ed25519.PublicKey), msg, sig) {
		t.Fatal("bad signature")
	}
	_, err = s.Sign(nil, msg, crypto.SHA512)
	wantErr(t, err, ErrInvalidArgument)
}
