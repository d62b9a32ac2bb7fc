package ops

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// tokenDemoKeys makes the demo wallets' master keys on an HSM token
// (`console demo --token`): plings_master_key_vN, generated there and never
// extractable, so that the validation suite finds each wallet's real key. A
// key already on the token under that label is used as it is.
type tokenDemoKeys struct {
	tok  *hsm.Token
	info hsm.TokenInfo
	keys map[int]*hsm.Key
}

// DemoKeysOn returns the demo's key maker for tok (logged in).
func DemoKeysOn(tok *hsm.Token) (store.DemoKeys, error) {
	info, err := tok.Info()
	if err != nil {
		return nil, fmt.Errorf("demo keys: read token %s: %w", tok.Label(), err)
	}
	return &tokenDemoKeys{tok: tok, info: info, keys: map[int]*hsm.Key{}}, nil
}

func (d *tokenDemoKeys) Key(v int) (ed25519.PublicKey, func([]byte) ([]byte, error), error) {
	k := d.keys[v]
	if k == nil {
		label := model.MasterKeyLabel(v)
		var err error
		k, err = d.tok.FindKey(label)
		if errors.Is(err, hsm.ErrKeyNotFound) {
			k, err = d.tok.GenerateKey(label, hsm.KeyOptions{})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("key %s on token %s: %w", label, d.tok.Label(), err)
		}
		d.keys[v] = k
	}
	return k.Public(), k.Sign, nil
}

func (d *tokenDemoKeys) Token() (string, string, string) {
	return d.info.Label, d.info.Serial, d.info.Model
}
