// Package hsm is the console's PKCS#11 adapter, over github.com/miekg/pkcs11:
// any PKCS#11 module can stand behind it (SoftHSM2 by default, a vendor's
// module in production).
//
// The shape, in the order an operator meets it:
//
//	m, err := hsm.Open(hsm.SoftHSMModule)   // ErrModuleNotFound, ErrNotPKCS11, ErrModuleInit
//	defer m.Close()                         // idempotent; logs out, closes sessions, finalises
//	tokens, _ := m.Tokens()                 // label, serial, model, free space, logged in
//	t, err := m.Token("primary")            // by label, never by slot (ErrTokenNotFound)
//	err = t.Login(pin)                      // ErrPINIncorrect, ErrPINLocked, …; opens the signing pool
//	res, _ := t.SeedRandom(dice)            // res.Mixed, or why not
//	k, err := t.GenerateKey("plings_master_key_v1", hsm.KeyOptions{}) // checked before it is returned
//	sig, err := k.Sign(msg)                 // any number of goroutines; pool of sessions
//	err = hsm.Verify(k.Public(), msg, sig)  // outside the HSM, crypto/ed25519
//	_, err = hsm.Backup(t, k.Label(), backupToken) // ErrBackupNotWrappable where wrapping is impossible
//	err = hsm.ProveBackup(backupToken, k.Label(), k.Public())
//
// Each job is one small helper in a file named for it (module, token, login,
// keys, sign, random, backup, pool, softhsm); every output is verified as soon
// as it is produced (attributes and public key read back, a test signature
// verified outside the token). Errors are *Error values that unwrap to a
// sentinel (errors.Is) and to the PKCS#11 code, with text saying what to do.
// PINs are never logged, kept or put in an error.
//
// The package talks to the module through Context, the subset of *pkcs11.Ctx
// it uses, so its logic can be tested with a fake (OpenContext); its own tests
// run against a real SoftHSM2 made with NewSoftHSMToken.
package hsm
