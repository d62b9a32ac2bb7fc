package hsm

import "testing"

func TestScratch(t *testing.T) {
	dir := t.TempDir()
	conf, err := NewSoftHSMToken(dir, "primary", "so-pin-1", "1234")
	t.Log(conf, err)
	conf, err = NewSoftHSMToken(dir, "backup", "so-pin-1", "5678")
	t.Log(conf, err)
	_, err = NewSoftHSMToken(dir, "backup", "so-pin-1", "5678")
	t.Log(err)
	t.Setenv("SOFTHSM2_CONF", conf)
	m, err := Open(SoftHSMModule)
	if err != nil { t.Fatal(err) }
	defer m.Close()
	ts, err := m.Tokens()
	for _, x := range ts { t.Logf("%+v %s", x, x.FreeSpace()) }
	tok, err := m.Token("primary")
	if err != nil { t.Fatal(err) }
	t.Log(tok.LoginString("9999"))
	if err := tok.Login([]byte("1234")); err != nil { t.Fatal(err) }
	k, err := tok.GenerateKey("k1", KeyOptions{})
	if err != nil { t.Fatal(err) }
	t.Log(k.IDHex(), k.Fingerprint())
	sig, err := k.Sign([]byte("hi"))
	t.Log(len(sig), err, k.Verify([]byte("hi"), sig))
	t.Log(tok.SeedRandom([]byte("dice 123456")))
	ks, err := tok.Keys()
	t.Logf("%+v %v", ks, err)
	_, err = tok.GenerateKey("k1", KeyOptions{})
	t.Log(err)
	sk, err := tok.GenerateKey("s1", KeyOptions{Session: true})
	t.Log(err)
	sig, err = sk.Sign([]byte("hi"))
	t.Log(len(sig), err)
	seed := make([]byte, 32)
	ik, err := tok.ImportKey("imp", seed, ImportOptions{Extractable: true})
	t.Log(err)
	b, _ := m.Token("backup")
	t.Log(b.LoginString("5678"))
	_, err = Backup(tok, "imp", b)
	t.Log(err)
	_, err = Backup(tok, "k1", b)
	t.Log(err)
	_, err = b.ImportKey("imp", seed, ImportOptions{})
	t.Log(err, ProveBackup(b, "imp", ik.Public()), ProveBackup(b, "imp", k.Public()))
	t.Log(tok.DestroyKey("k1"))
	t.Log(k.Sign([]byte("x")))
	t.Log(tok.Ping())
	t.Log(m.Close())
	t.Log(k.Sign([]byte("x")))
}
