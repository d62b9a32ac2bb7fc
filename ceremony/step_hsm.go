package ceremony

import (
	"errors"
	"fmt"

	"github.com/plings/walletconsole/hsm"
)

// HSMInfo describes the token the ceremony opened.
type HSMInfo struct {
	Module       string
	TokenLabel   string
	Manufacturer string
	Model        string
	Serial       string
}

// OpenHSM opens the token labelled Config.TokenLabel, logs in with pin and
// refuses a token that already holds a key labelled plings_master_key_v{N}.
// The PIN goes to the module and nowhere else: it is not kept, recorded or
// put in an error; the caller may zero it when OpenHSM returns. A refusal is
// recorded (hsm_refused) and the step can be tried again. On success the
// witness step starts and its challenge is fixed (see Challenge).
func (c *Ceremony) OpenHSM(pin []byte) (HSMInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepHSM, "opening the HSM"); err != nil {
		return HSMInfo{}, err
	}
	refuse := func(err error) (HSMInfo, error) {
		if rerr := c.record(StepHSM, EventHSMRefused, c.cfg.Operator, refusedData{Reason: err.Error()}); rerr != nil {
			return HSMInfo{}, errors.Join(err, rerr)
		}
		return HSMInfo{}, err
	}
	if c.cfg.Module == nil {
		return refuse(newProblem("open the HSM: no PKCS#11 module was given; start the console with --pkcs11-module", ErrHSMRefused))
	}
	if c.cfg.TokenLabel == "" {
		return refuse(newProblem("open the HSM: no token label was given; say which token holds the master key", ErrHSMRefused))
	}
	tok, err := c.cfg.Module.Token(c.cfg.TokenLabel)
	if err != nil {
		return refuse(newProblem(fmt.Sprintf("open the HSM: %v", err), ErrHSMRefused, err))
	}
	if !tok.LoggedIn() {
		if err := tok.Login(pin); err != nil {
			_ = tok.Close()
			return refuse(newProblem(fmt.Sprintf("open the HSM: %v", err), ErrHSMRefused, err))
		}
	}
	keys, err := tok.Keys()
	if err != nil {
		_ = tok.Close()
		return refuse(newProblem(fmt.Sprintf("open the HSM: %v", err), ErrHSMRefused, err))
	}
	for _, k := range keys {
		if k.Label == c.keyLabel {
			_ = tok.Close()
			return refuse(newProblem(fmt.Sprintf("open the HSM: token %q already holds a %s key labelled %s; a ceremony never reuses a label: check the request's next version, or remove the old key with the token's tool if it is a leftover of a rehearsal",
				c.cfg.TokenLabel, k.Class, c.keyLabel), ErrHSMRefused, hsm.ErrLabelExists))
		}
	}
	d := hsmOpenedData{Module: c.cfg.Module.Name(), TokenLabel: c.cfg.TokenLabel, KeyLabelFree: c.keyLabel}
	if mi, err := c.cfg.Module.Info(); err == nil {
		d.ModuleDescription = mi.Manufacturer + " " + mi.Description
		d.ModuleVersion, d.Cryptoki = mi.LibraryVersion, mi.CryptokiVersion
	}
	ti, err := tok.Info()
	if err != nil {
		_ = tok.Close()
		return refuse(newProblem(fmt.Sprintf("open the HSM: %v", err), ErrHSMRefused, err))
	}
	d.TokenManufacturer, d.TokenModel, d.TokenSerial = ti.Manufacturer, ti.Model, ti.Serial
	if err := c.record(StepHSM, EventHSMOpened, c.cfg.Operator, d); err != nil {
		_ = tok.Close()
		return HSMInfo{}, err
	}
	c.token, c.tokenSerial = tok, ti.Serial
	c.step = StepWitnesses
	if err := c.startWitnesses(); err != nil {
		return HSMInfo{}, err
	}
	return HSMInfo{Module: d.Module, TokenLabel: d.TokenLabel, Manufacturer: d.TokenManufacturer, Model: d.TokenModel, Serial: d.TokenSerial}, nil
}
