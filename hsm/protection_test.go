package hsm

import (
	"crypto/sha256"
	"testing"
)

// A generated key is sensitive, never extractable and always sensitive; an
// imported one (its value was outside the token once) is neither always
// sensitive nor never extractable, as PKCS#11 says; the label counts both
// halves.
func TestKeyProtection(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	defer tok.Close()
	if _, err := tok.GenerateKey("made", KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("imported"))
	if _, err := tok.ImportKey("imported", seed[:], ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	made, err := tok.KeyProtection("made")
	if err != nil {
		t.Fatal(err)
	}
	if made.PrivateObjects != 1 || made.PublicObjects != 1 || made.OtherObjects != 0 || !made.Private || !made.Sensitive ||
		made.Extractable || !made.AlwaysSensitive || !made.NeverExtractable {
		t.Errorf("generated key: %+v", made)
	}
	imp, err := tok.KeyProtection("imported")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported key: %+v", imp)
	if imp.PrivateObjects != 1 || !imp.Sensitive || imp.Extractable || imp.AlwaysSensitive || imp.NeverExtractable {
		t.Errorf("imported key: %+v", imp)
	}
	none, err := tok.KeyProtection("nothing")
	if err != nil || none.PrivateObjects+none.PublicObjects+none.OtherObjects != 0 {
		t.Errorf("absent label: %+v %v", none, err)
	}
}
