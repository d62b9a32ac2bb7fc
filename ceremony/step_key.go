package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/plings/walletconsole/hsm"
)

// KeyInfo describes the master key the ceremony made.
type KeyInfo struct {
	Label         string
	PublicKeyPEM  string
	Fingerprint   string // hex SHA-256 of the raw public key
	IDHex         string // CKA_ID
	TestMessage   []byte
	TestSignature []byte
}

func defaultKeyMaker(t *hsm.Token, label string) (*hsm.Key, error) {
	return t.GenerateKey(label, hsm.KeyOptions{})
}

// GenerateKey makes the Ed25519 master key plings_master_key_v{N} on the
// token (Config.KeyMaker, by default token.GenerateKey: CKA_ID from the
// token's generator, private half sensitive and not extractable), finds it
// again by label and checks the public key read back is the same, has it sign
// a test message with a fresh nonce in the HSM and verifies that outside with
// crypto/ed25519. A failure is recorded (key_failed); abort then, which
// destroys whatever was made.
func (c *Ceremony) GenerateKey() (KeyInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepKey, "generating the key"); err != nil {
		return KeyInfo{}, err
	}
	fail := func(err error) (KeyInfo, error) {
		err = newProblem(fmt.Sprintf("generate the master key %s: %v; abort the ceremony (whatever was made is destroyed)", c.keyLabel, err), ErrKeyCheck, err)
		if rerr := c.record(StepKey, EventKeyFailed, c.cfg.Operator, refusedData{Reason: err.Error()}); rerr != nil {
			return KeyInfo{}, errors.Join(err, rerr)
		}
		return KeyInfo{}, err
	}
	maker := c.cfg.KeyMaker
	if maker == nil {
		maker = defaultKeyMaker
	}
	// Written before the key exists: a run killed from here on (kill -9,
	// power) leaves the marker, and the next run destroys the key.
	if err := c.markUnfinished(); err != nil {
		return fail(err)
	}
	c.keyAttempted = true // from here on, Abort looks for the key to destroy it
	k, err := maker(c.token, c.keyLabel)
	if err != nil {
		return fail(err)
	}
	c.keyMade = true // the label on the token is now this ceremony's key
	if k.Label() != c.keyLabel {
		return fail(fmt.Errorf("the key maker returned a key labelled %q", k.Label()))
	}
	pub := k.Public()
	again, err := c.token.FindKey(c.keyLabel)
	if err != nil {
		return fail(fmt.Errorf("read the key back: %w", err))
	}
	if !bytes.Equal(again.Public(), pub) {
		return fail(errors.New("the public key read back by label differs from the one generated"))
	}
	var sensitive, extractable, found bool
	keys, err := c.token.Keys()
	if err != nil {
		return fail(err)
	}
	for _, ki := range keys {
		if ki.Label == c.keyLabel && ki.Class == "private" {
			sensitive, extractable, found = ki.Sensitive, ki.Extractable, true
		}
	}
	if !found || !sensitive {
		return fail(errors.New("the private key is not marked sensitive on the token; a master key must never leave the HSM in plaintext"))
	}
	nonce := make32()
	if nonce == nil {
		return fail(errors.New("cannot read random for the test message"))
	}
	msg := KeyTestText(c.id, c.keyLabel, hex.EncodeToString(nonce))
	sig, err := k.Sign(msg)
	if err != nil {
		return fail(fmt.Errorf("sign the test message in the HSM: %w", err))
	}
	if !ed25519.Verify(pub, msg, sig) {
		return fail(errors.New("the test signature made in the HSM does not verify under the public key read back"))
	}
	pemb, err := hsm.PublicKeyPEM(pub)
	if err != nil {
		return fail(err)
	}
	info := KeyInfo{Label: c.keyLabel, PublicKeyPEM: string(pemb), Fingerprint: hsm.Fingerprint(pub), IDHex: k.IDHex(), TestMessage: msg, TestSignature: sig}
	if err := c.record(StepKey, EventKeyGenerated, c.cfg.Operator, keyData{
		KeyLabel: c.keyLabel, PublicKeyPEM: info.PublicKeyPEM, Fingerprint: info.Fingerprint, CKAID: info.IDHex,
		OnToken: k.OnToken(), Sensitive: sensitive, Extractable: extractable,
		TestMessage: string(msg), TestSignature: base64.StdEncoding.EncodeToString(sig), ReadBack: true,
	}); err != nil {
		return KeyInfo{}, err
	}
	c.key, c.pub, c.pubPEM = k, pub, info.PublicKeyPEM
	c.step = StepBackup
	return info, nil
}

// make32 reads 32 random bytes (nil on failure).
func make32() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil
	}
	return b
}
