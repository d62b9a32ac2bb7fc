package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
)

// The whole ceremony against a real SoftHSM2 token with witness keys made by
// ssh-keygen, refusals on the way, then the transcript checked by Verify and
// by tools we did not write (ssh-keygen -Y verify, openssl pkeyutl), and
// tampered with in every way Verify must catch.
func TestCeremonyCompleted(t *testing.T) {
	h := newHSM(t)
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		t.Fatal(err)
	}
	wantFP := hsm.Fingerprint(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	e := newEnv(t, h, importSeed(h.backup, seed))
	c := e.c
	if !strings.HasPrefix(c.ID(), "WKC-") || len(c.ID()) != len("WKC-20261121-021500-a1b2c3") {
		t.Errorf("ceremony id %q", c.ID())
	}

	// A step out of order is refused and says where the ceremony stands.
	_, err := c.GenerateKey()
	wantErr(t, err, []error{ErrOutOfOrder}, "step 6 (key)", "step 1 (request)")

	// 1. request
	info := must(c.LoadRequest(writeRequest(t, nil)))(t)
	if info.RequestID != testRequest || info.ApprovalID != testApproval || info.Version != 1 || info.KeyLabel != "plings_master_key_v1" ||
		info.Need != 3 || len(info.Roster) != 4 || len(info.FileSHA256) != 64 || !strings.HasPrefix(info.Fingerprint[0], "SHA256:") {
		t.Errorf("request info %+v", info)
	}
	// 2. offline (fixture: only lo up, no default route)
	rep := must(c.CheckOffline(""))(t)
	if !rep.Offline {
		t.Fatalf("report %+v", rep)
	}
	// 3. HSM: a wrong PIN is refused and recorded (without the PIN), then the right one.
	_, err = c.OpenHSM([]byte("wrong-pin-31337"))
	wantErr(t, err, []error{ErrHSMRefused, hsm.ErrPINIncorrect})
	if c.Current() != StepHSM || e.lastEntry().Event != EventHSMRefused {
		t.Fatalf("after a wrong PIN: step %s, last entry %s", c.Current(), e.lastEntry().Event)
	}
	hi := must(c.OpenHSM([]byte(testPIN)))(t)
	if hi.TokenLabel != primaryLabel || hi.Serial == "" {
		t.Errorf("HSM info %+v", hi)
	}

	// 4. witnesses
	ch := c.Challenge()
	wantCh := "wallet-ceremony witness attestation\nceremony: " + c.ID() + "\nrequest: " + testRequest + "\napproval: " + testApproval + "\ntranscript: "
	if !strings.HasPrefix(string(ch), wantCh) || len(ch) != len(wantCh)+64+1 {
		t.Fatalf("challenge %q", ch)
	}
	es := c.Entries()
	if !strings.HasSuffix(string(ch), es[len(es)-2].Hash+"\n") || es[len(es)-1].Event != EventWitnessesStarted {
		t.Errorf("the challenge is not over the transcript before the witness step")
	}
	p, err := c.AddWitness(sshSign(t, "mallory", ch))
	wantErr(t, err, []error{ErrNotOnRoster}, "signed with key SHA256:", "which is not on the roster of request "+testRequest)
	if p.Done != 0 || p.Need != 3 {
		t.Errorf("progress after a refusal %+v", p)
	}
	p = must(c.AddWitness(sshSign(t, "alice", ch)))(t)
	if p != (Progress{Name: "alice", Done: 1, Need: 3}) {
		t.Errorf("progress %+v", p)
	}
	p, err = c.AddWitness(sshSign(t, "alice", ch))
	wantErr(t, err, []error{ErrDuplicateWitness}, "alice", "already attested (1 of 3)")
	if p.Done != 1 {
		t.Errorf("a duplicate advanced progress: %+v", p)
	}
	_, err = c.AddWitness(sshSign(t, "bob", []byte("some other text\n")))
	wantErr(t, err, []error{ErrBadSignature}, "bob's signature", "does not verify")
	_, err = c.AddWitness(sshSignNS(t, "bob", "file", ch))
	wantErr(t, err, []error{ErrBadSignature}, `namespace "file"`, "-n "+Namespace)
	_, err = c.AddWitness([]byte("I, bob, attest"))
	wantErr(t, err, []error{ErrBadSignature}, "-----BEGIN SSH SIGNATURE-----")
	must(c.AddWitness(sshSign(t, "bob", ch, "-O", "hashalg=sha256")))(t) // ssh-keygen's other hash
	if _, err := c.MixEntropy([]byte("0123456789abcdef")); !errorsIs(err, ErrOutOfOrder) {
		t.Errorf("entropy before the witnesses were done: %v", err)
	}
	p = must(c.AddWitness(sshSign(t, "carol", ch)))(t)
	if p != (Progress{Name: "carol", Done: 3, Need: 3}) || c.Current() != StepEntropy {
		t.Fatalf("progress %+v at %s", p, c.Current())
	}
	var refused []string
	for _, en := range c.Entries() {
		if en.Event == EventWitnessRefused {
			var d refusedData
			noErr(t, json.Unmarshal(en.Data, &d))
			refused = append(refused, d.Refusal)
		}
	}
	if strings.Join(refused, ",") != "not_on_roster,duplicate,bad_signature,bad_signature,bad_signature" {
		t.Errorf("recorded refusals %v", refused)
	}

	// 5. entropy: too little refused; only digests recorded.
	_, err = c.MixEntropy([]byte("123456"))
	wantErr(t, err, []error{ErrEntropyTooShort}, "6 bytes", "at least 16")
	dice := []byte("4 2 6 1 3 5 5 2 1 6 4 4 3 2 6 1 1 5 2 3 6 4 2 5")
	ent := must(c.MixEntropy(dice))(t)
	if sum := sha256.Sum256(dice); ent.OperatorSHA256 != hex.EncodeToString(sum[:]) || ent.OperatorBytes != len(dice) || !ent.Mixed || len(ent.HSMSampleSHA256) != 64 {
		t.Errorf("entropy info %+v", ent)
	}

	// 6. key
	key := must(c.GenerateKey())(t)
	if key.Label != "plings_master_key_v1" || key.Fingerprint != wantFP || len(key.IDHex) != 32 || !strings.Contains(key.PublicKeyPEM, "BEGIN PUBLIC KEY") {
		t.Errorf("key info %+v (want fingerprint %s)", key, wantFP)
	}

	// 7. backup: SoftHSM cannot wrap Ed25519; the copy the key maker put on
	// the backup token stands in for the vendor's out-of-band backup and is proven.
	bi := must(c.Backup(h.backup))(t)
	if bi.Method != BackupOutOfBand || !bi.Proven || bi.Token != backupLabel || !strings.Contains(bi.Note, "cannot be backed up by wrapping") || !strings.Contains(bi.Note, "out of band") {
		t.Errorf("backup info %+v", bi)
	}

	// 8. close
	_, err = c.AddClosingSignature(sshSign(t, "alice", ch))
	wantErr(t, err, []error{ErrOutOfOrder}, "FinalMessage")
	msg := must(c.FinalMessage())(t)
	if again := must(c.FinalMessage())(t); !bytes.Equal(again, msg) {
		t.Error("the final message changed on a second call")
	}
	wantMsg := "wallet-ceremony final\nceremony: " + c.ID() + "\nrequest: " + testRequest + "\napproval: " + testApproval +
		"\nkey: plings_master_key_v1 " + wantFP + "\nfinal: " + c.Head() + "\n"
	if string(msg) != wantMsg {
		t.Errorf("final message\n%q\nwant\n%q", msg, wantMsg)
	}
	_, err = c.AddClosingSignature(sshSign(t, "dave", msg))
	wantErr(t, err, []error{ErrNotAttested}, "dave did not attest")
	_, err = c.AddClosingSignature(sshSign(t, "mallory", msg))
	wantErr(t, err, []error{ErrNotOnRoster})
	_, err = c.AddClosingSignature(sshSign(t, "alice", ch))
	wantErr(t, err, []error{ErrBadSignature})
	must(c.AddClosingSignature(sshSign(t, "alice", msg)))(t)
	_, err = c.Close()
	wantErr(t, err, []error{ErrTooFewWitnesses}, "1 of 3")
	_, err = c.AddClosingSignature(sshSign(t, "alice", msg))
	wantErr(t, err, []error{ErrDuplicateWitness})
	must(c.AddClosingSignature(sshSign(t, "bob", msg)))(t)
	p = must(c.AddClosingSignature(sshSign(t, "carol", msg)))(t)
	if p.Done != 3 || p.Need != 3 {
		t.Errorf("closing progress %+v", p)
	}
	path := must(c.Close())(t)
	if path != filepath.Join(e.out, c.ID()+".json") || c.Outcome() != OutcomeCompleted || c.Current() != StepDone {
		t.Errorf("closed: path %s outcome %s step %s", path, c.Outcome(), c.Current())
	}
	_, err = c.Close()
	wantErr(t, err, []error{ErrFinished})
	_, err = c.Abort("", "too late")
	wantErr(t, err, []error{ErrFinished})

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Neither PIN, nor the wrong PIN, nor the dice are anywhere in the file.
	if containsAny(data, testPIN, "wrong-pin-31337", backupPIN, testSOPIN, string(dice)) {
		t.Fatal("the transcript contains a PIN or the operator entropy")
	}

	sum := must(Verify(data))(t)
	if sum.Outcome != OutcomeCompleted || sum.Rehearsal || sum.CeremonyID != c.ID() || sum.RequestID != testRequest || sum.ApprovalID != testApproval ||
		sum.Version != 1 || sum.KeyLabel != "plings_master_key_v1" || sum.Fingerprint != wantFP || !sum.BackupProven || sum.BackupMethod != BackupOutOfBand ||
		strings.Join(sum.Attested, ",") != "alice,bob,carol" || strings.Join(sum.ClosingSigners, ",") != "alice,bob,carol" ||
		sum.Operator != "olivia" || sum.AuditHead != strings.Repeat("ab", 32) || len(sum.Roster) != 4 {
		t.Errorf("summary %+v", sum)
	}
	text := sum.String()
	for _, want := range []string{"Ceremony transcript " + c.ID() + " — verified", "Outcome:      completed at", "Request:      " + testRequest,
		"Approval:     " + testApproval, "Version:      1 (key label plings_master_key_v1)", "Fingerprint:  " + wantFP,
		"Witnesses:    3 of 3 attested: alice, bob, carol", "Backup:       out of band, proven by token backup", "Offline:      offline:",
		"witness_refused", "refused: signed with key", "key_generated", "closing"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "REHEARSAL") {
		t.Errorf("a real ceremony is marked as a rehearsal:\n%s", text)
	}
	imp := must(sum.Import(data))(t)
	fileSum := sha256.Sum256(data)
	if imp.CeremonyID != c.ID() || imp.RequestID != testRequest || imp.Version != 1 || imp.KeyLabel != "plings_master_key_v1" ||
		imp.Fingerprint != wantFP || imp.TranscriptSHA256 != hex.EncodeToString(fileSum[:]) || imp.WitnessCount != 3 || !imp.BackupProven ||
		imp.CompletedAt.IsZero() || imp.PublicKey != key.PublicKeyPEM || imp.TokenSerial == "" || imp.TokenSerial != hi.Serial || imp.TokenModel != hi.Model {
		t.Errorf("import %+v", imp)
	}
	if _, err := sum.Import(append(bytes.Clone(data), ' ')); err == nil {
		t.Error("Import accepted bytes other than those verified")
	}
	run := e.ledger.last(t)
	if run.Outcome != OutcomeCompleted || run.CeremonyID != c.ID() || run.RequestID != testRequest || run.TranscriptPath != path || run.TranscriptSHA256 != imp.TranscriptSHA256 {
		t.Errorf("ledger run %+v", run)
	}
	if out := h.listObjects(t, primaryLabel, testPIN); !strings.Contains(out, "plings_master_key_v1") {
		t.Errorf("the completed ceremony left no key on the token:\n%s", out)
	}

	t.Run("witness signatures verify with ssh-keygen", func(t *testing.T) {
		dir := t.TempDir()
		allowed := filepath.Join(dir, "allowed_signers")
		noErr(t, os.WriteFile(allowed, AllowedSigners(sum.Roster), 0o600))
		var tr Transcript
		noErr(t, json.Unmarshal(data, &tr))
		for _, ws := range tr.WitnessSignatures {
			sshVerify(t, allowed, ws.Name, msg, ws.Signature)
		}
		// The attestations recorded in the chain verify over the challenge too.
		for _, en := range tr.Entries {
			if en.Event == EventWitnessAttested {
				var d attestedData
				noErr(t, json.Unmarshal(en.Data, &d))
				sshVerify(t, allowed, d.Name, ch, d.Signature)
			}
		}
	})

	t.Run("master signature verifies with openssl", func(t *testing.T) {
		dir := t.TempDir()
		var tr Transcript
		noErr(t, json.Unmarshal(data, &tr))
		sig := must(base64.StdEncoding.DecodeString(tr.MasterSignature))(t)
		pub, m, s := filepath.Join(dir, "pub.pem"), filepath.Join(dir, "final.txt"), filepath.Join(dir, "sig.bin")
		noErr(t, os.WriteFile(pub, []byte(tr.MasterPublicKey), 0o600))
		noErr(t, os.WriteFile(m, FinalMessageText(tr.CeremonyID, tr.RequestID, tr.ApprovalID, tr.KeyLabel, tr.PublicKeyFingerprint, tr.FinalHash), 0o600))
		noErr(t, os.WriteFile(s, sig, 0o600))
		out, err := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", m, "-sigfile", s).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
			t.Fatalf("openssl pkeyutl -verify: %v: %s", err, out)
		}
		// And refuses a changed message.
		noErr(t, os.WriteFile(m, append(FinalMessageText(tr.CeremonyID, tr.RequestID, tr.ApprovalID, tr.KeyLabel, tr.PublicKeyFingerprint, tr.FinalHash), 'x'), 0o600))
		if out, err := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", m, "-sigfile", s).CombinedOutput(); err == nil {
			t.Fatalf("openssl accepted a changed message: %s", out)
		}
	})

	t.Run("entry hashes follow the documented form (jq -cS)", func(t *testing.T) {
		if _, err := exec.LookPath("jq"); err != nil {
			t.Skip("jq not installed")
		}
		var tr Transcript
		noErr(t, json.Unmarshal(data, &tr))
		for _, en := range tr.Entries {
			raw, _ := json.Marshal(en)
			cmd := exec.Command("jq", "-jcS", "{actor,data,event,seq,step,time}")
			cmd.Stdin = bytes.NewReader(raw)
			body, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			s := sha256.Sum256(append([]byte(en.Prev+"\n"), body...))
			if hex.EncodeToString(s[:]) != en.Hash {
				t.Fatalf("entry %d: sha256(prev + \"\\n\" + jq -cS) is not its hash", en.Seq)
			}
		}
	})

	t.Run("tampering", func(t *testing.T) { tamperTests(t, data, msg) })
}

// sshVerify checks a signature with ssh-keygen -Y verify.
func sshVerify(t *testing.T, allowed, name string, msg []byte, sig string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "sig")
	noErr(t, os.WriteFile(f, []byte(sig), 0o600))
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", name, "-n", Namespace, "-s", f)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `Good "`+Namespace+`" signature for `+name) {
		t.Fatalf("ssh-keygen -Y verify for %s: %v: %s", name, err, out)
	}
}

// Every tampered copy is refused with its own error.
func tamperTests(t *testing.T, data, finalMsg []byte) {
	orig := must(parseTranscript(data))(t)
	find := func(event string) int {
		for i, e := range orig.Entries {
			if e.Event == event {
				return i
			}
		}
		t.Fatalf("no %s entry", event)
		return -1
	}
	edit := func(f func(tr *Transcript)) []byte {
		tr := must(parseTranscript(data))(t)
		for i := range tr.Entries { // compact, so edits can find "key":value
			tr.Entries[i].Data = must(canonicalData(tr.Entries[i].Data))(t)
		}
		f(tr)
		return must(MarshalTranscript(tr))(t)
	}
	rehash := func(tr *Transcript, from int) {
		for i := from; i < len(tr.Entries); i++ {
			if i > 0 {
				tr.Entries[i].Prev = tr.Entries[i-1].Hash
			}
			tr.Entries[i].Hash = must(EntryHash(tr.Entries[i]))(t)
		}
		tr.FinalHash = tr.Entries[len(tr.Entries)-1].Hash
	}
	att := find(EventWitnessAttested)
	attSeq := orig.Entries[att].Seq
	ent := find(EventEntropyMixed)
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)

	all := []error{ErrMalformed, ErrNotCanonical, ErrEntryMissing, ErrEntriesReordered, ErrEntryAltered, ErrBrokenChain,
		ErrFinalHash, ErrHeaderMismatch, ErrMasterSignature, ErrWitnessSignature, ErrTooFewWitnesses, ErrEvidence}
	cases := []struct {
		name  string
		file  []byte
		kind  error
		extra []error
		frag  string
	}{
		{"entry edited", edit(func(tr *Transcript) {
			tr.Entries[att].Data = bytes.Replace(tr.Entries[att].Data, []byte(`"done":1`), []byte(`"done":2`), 1)
		}), ErrEntryAltered, nil, "entry " + itoa(attSeq) + " (witness_attested) was altered: its hash does not match"},
		{"entry actor edited", edit(func(tr *Transcript) { tr.Entries[1].Actor = "mallory" }), ErrEntryAltered, nil, "entry 2 (request_loaded) was altered"},
		{"entry removed", edit(func(tr *Transcript) {
			tr.Entries = append(tr.Entries[:att:att], tr.Entries[att+1:]...)
		}), ErrEntryMissing, nil, "entry " + itoa(attSeq) + " is missing"},
		{"entries reordered", edit(func(tr *Transcript) {
			tr.Entries[att], tr.Entries[att+1] = tr.Entries[att+1], tr.Entries[att]
		}), ErrEntriesReordered, nil, "reordered"},
		{"entry duplicated", edit(func(tr *Transcript) {
			tr.Entries = append(tr.Entries[:att+1:att+1], tr.Entries[att:]...)
		}), ErrEntriesReordered, nil, "appears twice"},
		{"edited entry re-hashed alone", edit(func(tr *Transcript) {
			tr.Entries[att].Data = bytes.Replace(tr.Entries[att].Data, []byte(`"done":1`), []byte(`"done":2`), 1)
			tr.Entries[att].Hash = must(EntryHash(tr.Entries[att]))(t)
		}), ErrBrokenChain, nil, "entry " + itoa(attSeq+1)},
		{"prev link broken", edit(func(tr *Transcript) {
			tr.Entries[3].Prev = strings.Repeat("1", 64)
			tr.Entries[3].Hash = must(EntryHash(tr.Entries[3]))(t)
		}), ErrBrokenChain, nil, "entry 4"},
		{"final hash edited", edit(func(tr *Transcript) { tr.FinalHash = strings.Repeat("f", 64) }), ErrFinalHash, nil, "final_hash"},
		{"last entry removed", edit(func(tr *Transcript) { tr.Entries = tr.Entries[:len(tr.Entries)-1] }), ErrFinalHash, nil, "cut off"},
		{"chain rebuilt after an edit", edit(func(tr *Transcript) {
			tr.Entries[ent].Data = bytes.Replace(tr.Entries[ent].Data, []byte(`"operator_bytes":`), []byte(`"operator_bytes":1`), 1)
			rehash(tr, ent)
		}), ErrMasterSignature, nil, "does not verify"},
		{"master signature replaced", edit(func(tr *Transcript) {
			tr.MasterSignature = base64.StdEncoding.EncodeToString(ed25519.Sign(otherPriv, finalMsg))
		}), ErrMasterSignature, nil, "does not verify over the final message"},
		{"master signature garbage", edit(func(tr *Transcript) { tr.MasterSignature = "AAAA" }), ErrMasterSignature, nil, "not a base64 Ed25519 signature"},
		{"master signature removed", edit(func(tr *Transcript) { tr.MasterSignature = "" }), ErrMasterSignature, nil, "missing"},
		{"witness signature replaced by an outsider's", edit(func(tr *Transcript) {
			tr.WitnessSignatures[1].Signature = string(sshSign(t, "mallory", finalMsg))
		}), ErrWitnessSignature, []error{ErrNotOnRoster}, "witness signature 2 (bob)"},
		{"witness signature replaced by another witness's", edit(func(tr *Transcript) {
			tr.WitnessSignatures[1].Signature = tr.WitnessSignatures[0].Signature
		}), ErrWitnessSignature, []error{ErrBadSignature}, "made with alice's key"},
		{"witness signature over another message", edit(func(tr *Transcript) {
			tr.WitnessSignatures[1].Signature = string(sshSign(t, "bob", []byte("something else\n")))
		}), ErrWitnessSignature, []error{ErrBadSignature}, "does not verify"},
		{"witness signature by a non-attested roster witness", edit(func(tr *Transcript) {
			tr.WitnessSignatures[1] = WitnessSignature{Name: "dave", Signature: string(sshSign(t, "dave", finalMsg))}
		}), ErrWitnessSignature, []error{ErrNotAttested}, "dave did not attest"},
		{"witness signature duplicated", edit(func(tr *Transcript) {
			tr.WitnessSignatures[1] = tr.WitnessSignatures[0]
		}), ErrWitnessSignature, []error{ErrDuplicateWitness}, "signed twice"},
		{"witness signature removed", edit(func(tr *Transcript) {
			tr.WitnessSignatures = tr.WitnessSignatures[:2]
		}), ErrTooFewWitnesses, nil, "2 of the 3"},
		{"header version edited", edit(func(tr *Transcript) { tr.WalletVersion = 2 }), ErrHeaderMismatch, nil, "header field wallet_version is 2 but entry 2 (request_loaded) says 1"},
		{"header rehearsal edited", edit(func(tr *Transcript) { tr.Rehearsal = true }), ErrHeaderMismatch, nil, "rehearsal"},
		{"header fingerprint edited", edit(func(tr *Transcript) { tr.PublicKeyFingerprint = strings.Repeat("0", 64) }), ErrHeaderMismatch, nil, "public_key_fingerprint"},
		{"header backup edited", edit(func(tr *Transcript) { tr.Backup.Proven = false }), ErrHeaderMismatch, nil, "backup"},
		{"header roster edited", edit(func(tr *Transcript) { tr.Roster[3].PublicKey = pubKey(t, "mallory") }), ErrHeaderMismatch, nil, "roster[3]"},
		{"header outcome edited", edit(func(tr *Transcript) { tr.Outcome = OutcomeAborted }), ErrHeaderMismatch, nil, "outcome"},
		{"whitespace byte changed", bytes.Replace(data, []byte("\n  \"request_id\""), []byte("\n   \"request_id\""), 1), ErrNotCanonical, nil, "not byte-for-byte as written (first difference at byte"},
		{"escape changed", bytes.Replace(data, []byte(`"olivia"`), []byte(`"\u006flivia"`), 1), ErrNotCanonical, nil, "first difference"},
		{"byte appended", append(bytes.Clone(data), '\n'), ErrNotCanonical, nil, "first difference at byte " + itoa(len(data))},
		{"data keys reordered", bytes.Replace(data, []byte("        \"done\": 1,\n        \"hash_algorithm\": \"sha512\",\n"),
			[]byte("        \"hash_algorithm\": \"sha512\",\n        \"done\": 1,\n"), 1), ErrNotCanonical, nil, "first difference"},
		{"field added", bytes.Replace(data, []byte("{\n  \"format\""), []byte("{\n  \"note\": \"hi\",\n  \"format\""), 1), ErrMalformed, nil, "unknown field"},
		{"not JSON", []byte("hello"), ErrMalformed, nil, "not a ceremony transcript"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if bytes.Equal(c.file, data) {
				t.Fatal("the tampering changed nothing")
			}
			_, err := Verify(c.file)
			wantErr(t, err, append([]error{c.kind}, c.extra...), c.frag)
			for _, other := range all {
				if other != c.kind && errorsIs(err, other) {
					t.Errorf("%q also matches %v", err, other)
				}
			}
		})
	}
}
