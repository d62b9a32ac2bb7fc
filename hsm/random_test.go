package hsm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestRandom(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	a, err := tok.Random(32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tok.Random(32)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Errorf("random %x %x", a, b)
	}
	_, err = tok.Random(0)
	wantErr(t, err, ErrInvalidArgument)
}

func TestSeedRandom(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	dice := []byte("3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4 6 2 6 4 3 3 8 3 2 7 9 5")
	sum := sha256.Sum256(dice)
	res, err := tok.SeedRandom(dice)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Mixed || res.Bytes != len(dice) || res.SHA256 != hex.EncodeToString(sum[:]) || res.Reason != "" {
		t.Errorf("SoftHSM seeding = %+v", res)
	}
	_, err = tok.SeedRandom(nil)
	wantErr(t, err, ErrInvalidArgument)

	// A module that cannot be seeded gives a result that says so, not an error.
	for code, want := range map[uint]string{
		pkcs11.CKR_RANDOM_SEED_NOT_SUPPORTED: "does not accept seeding",
		pkcs11.CKR_RANDOM_NO_RNG:             "no random generator",
		pkcs11.CKR_FUNCTION_NOT_SUPPORTED:    "does not implement C_SeedRandom",
	} {
		f.hook.seed = func() error { return pkcs11.Error(code) }
		res, err := tok.SeedRandom(dice)
		if err != nil {
			t.Fatalf("%s: %v", CodeName(code), err)
		}
		if res.Mixed || res.Code != code || !bytes.Contains([]byte(res.Reason), []byte(want)) || res.SHA256 == "" {
			t.Errorf("%s: %+v", CodeName(code), res)
		}
	}
	f.hook.seed = func() error { return pkcs11.Error(pkcs11.CKR_DEVICE_ERROR) }
	if _, err := tok.SeedRandom(dice); err == nil {
		t.Error("a device error is an error")
	}
}
