package ceremony

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/model"
)

// signer signs msg as witness name (with ssh-keygen -Y sign).
type signer func(t testing.TB, name string, msg []byte) []byte

func realSigner(t testing.TB, name string, msg []byte) []byte { return sshSign(t, name, msg) }

// attackerKeys makes ssh-keygen keys of the attacker's under the roster's
// names and returns their roster and a signer using them.
func attackerKeys(t testing.TB) ([]model.Witness, signer) {
	t.Helper()
	dir := t.TempDir()
	var ws []model.Witness
	for _, n := range rosterNames {
		key := filepath.Join(dir, n)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", n+"@attacker", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
		pub := must(os.ReadFile(key + ".pub"))(t)
		ws = append(ws, model.Witness{Name: n, PublicKey: strings.TrimSpace(string(pub))})
	}
	sign := func(t testing.TB, name string, msg []byte) []byte {
		t.Helper()
		f := filepath.Join(t.TempDir(), "msg.txt")
		noErr(t, os.WriteFile(f, msg, 0o600))
		if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", filepath.Join(dir, name), "-n", Namespace, f).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -Y sign: %v: %s", err, out)
		}
		return must(os.ReadFile(f + ".sig"))(t)
	}
	return ws, sign
}

// runCeremony runs a whole ceremony on h from the request file at req,
// witnesses signing with sign, and returns the transcript's bytes and the
// final message. override, when set, overrides an online machine's offline
// check (a rehearsal).
func runCeremony(t *testing.T, h *testHSM, req string, sign signer, override string) ([]byte, []byte) {
	t.Helper()
	var opts []envOpt
	if override != "" {
		opts = append(opts, withNet("default_route"))
	}
	e := newEnv(t, h, opts...)
	c := e.c
	must(c.LoadRequest(req))(t)
	must(c.CheckOffline(override))(t)
	must(c.OpenHSM([]byte(testPIN)))(t)
	ch := c.Challenge()
	for _, n := range rosterNames[:c.Need()] {
		must(c.AddWitness(sign(t, n, ch)))(t)
	}
	must(c.MixEntropy([]byte("3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4 6 2 6 4 3")))(t)
	must(c.GenerateKey())(t)
	must(c.Backup(nil))(t)
	msg := must(c.FinalMessage())(t)
	for _, n := range c.Attested() {
		must(c.AddClosingSignature(sign(t, n, msg)))(t)
	}
	path := must(c.Close())(t)
	return must(os.ReadFile(path))(t), msg
}

// sshKeygenVerify runs ssh-keygen -Y verify and reports whether it said Good.
func sshKeygenVerify(t *testing.T, allowed, name string, msg []byte, sig string) (bool, string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "sig")
	noErr(t, os.WriteFile(f, []byte(sig), 0o600))
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", name, "-n", Namespace, "-s", f)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	return err == nil && strings.Contains(string(out), `Good "`+Namespace+`" signature for `+name), string(out)
}

func closingSignature(t *testing.T, data []byte, name string) string {
	t.Helper()
	var tr Transcript
	noErr(t, json.Unmarshal(data, &tr))
	for _, ws := range tr.WitnessSignatures {
		if ws.Name == name {
			return ws.Signature
		}
	}
	t.Fatalf("no closing signature by %s", name)
	return ""
}

// TestVerifyAllowedSignersForgedRoster: a request file whose roster holds
// the attacker's keys (under the real witnesses' names) makes a transcript
// that verifies "3 of 3 attested" against its own roster — the summary says
// that roster is unsigned — and is refused against the auditor's
// allowed_signers file, as ssh-keygen -Y verify refuses it too.
func TestVerifyAllowedSignersForgedRoster(t *testing.T) {
	h := newHSM(t)
	dir := t.TempDir()
	allowedPath := filepath.Join(dir, "allowed_signers")
	// The auditor's file: comments, a blank line, the real keys.
	auditor := "# witnesses of the wallet ceremony, kept by the auditor\n\n" + string(AllowedSigners(roster(t)))
	noErr(t, os.WriteFile(allowedPath, []byte(auditor), 0o600))
	allowed := must(ReadAllowedSigners(allowedPath))(t)

	realData, realMsg := runCeremony(t, h, writeRequest(t, nil), realSigner, "")
	fakeRoster, fakeSign := attackerKeys(t)
	forgedData, forgedMsg := runCeremony(t, h, writeRequest(t, func(rf *RequestFile) {
		rf.Request.ID, rf.NextVersion = "WCR-2026-11-20-002", 2
		rf.Witnesses = fakeRoster
	}), fakeSign, "")

	const unsigned = "witnesses checked only against the roster inside the transcript (unsigned): pass --allowed-signers to check against one you trust"
	t.Run("real transcript", func(t *testing.T) {
		sum := must(Verify(realData))(t)
		if sum.TrustChecked || !strings.Contains(sum.String(), "Trust:        "+unsigned) {
			t.Errorf("without allowed signers the summary does not say the roster is unsigned:\n%s", sum)
		}
		sum = must(VerifyWith(realData, VerifyOptions{AllowedSigners: allowed}))(t)
		want := "witnesses checked against " + allowedPath + ": 3 of 3"
		if !sum.TrustChecked || strings.Join(sum.Trusted, ",") != "alice,bob,carol" || len(sum.Untrusted) != 0 || !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q or counts wrongly (%v %v):\n%s", want, sum.Trusted, sum.Untrusted, sum)
		}
		if sum.Verdict() != VerdictCompleted {
			t.Errorf("verdict %s", sum.Verdict())
		}
	})

	t.Run("forged roster", func(t *testing.T) {
		sum := must(Verify(forgedData))(t)
		text := sum.String()
		if !strings.Contains(text, "3 of 3 attested: alice, bob, carol") || !strings.Contains(text, unsigned) {
			t.Errorf("the forged transcript against its own roster:\n%s", text)
		}
		sum, err := VerifyWith(forgedData, VerifyOptions{AllowedSigners: allowed})
		wantErr(t, err, []error{ErrUntrustedWitnesses}, "witnesses checked against "+allowedPath+": 0 of 3, and the ceremony needs 3",
			"alice: attestation signed with key SHA256:", "which "+allowedPath+" does not list for alice")
		if sum == nil || len(sum.Trusted) != 0 || len(sum.Untrusted) != 3 || !strings.Contains(sum.String(), "witnesses checked against "+allowedPath+": 0 of 3") ||
			!strings.Contains(sum.String(), "Result:       NOT VERIFIED: 0 of the 3 required witnesses") || strings.Contains(sum.String(), "COMPLETED") {
			t.Fatalf("summary with the refusal: %v", sum)
		}
		for _, kind := range []error{ErrEntryAltered, ErrBrokenChain, ErrWitnessSignature, ErrMasterSignature} {
			if errorsIs(err, kind) {
				t.Errorf("%q matches %v: the file itself is intact", err, kind)
			}
		}
	})

	t.Run("one witness missing from the auditor's file", func(t *testing.T) {
		var lines []string
		for _, l := range strings.Split(auditor, "\n") {
			if !strings.HasPrefix(l, "carol ") {
				lines = append(lines, l)
			}
		}
		a := must(ParseAllowedSigners("two.allowed", []byte(strings.Join(lines, "\n"))))(t)
		sum, err := VerifyWith(realData, VerifyOptions{AllowedSigners: a})
		wantErr(t, err, []error{ErrUntrustedWitnesses}, "2 of 3", "carol: attestation two.allowed does not list carol at all")
		if sum == nil || strings.Join(sum.Trusted, ",") != "alice,bob" || !strings.Contains(sum.String(), "NOT counted: carol") {
			t.Errorf("summary %v", sum)
		}
	})

	t.Run("ssh-keygen agrees", func(t *testing.T) {
		// A good signature: alice's closing signature on the real transcript.
		good := closingSignature(t, realData, "alice")
		if ok, out := sshKeygenVerify(t, allowedPath, "alice", realMsg, good); !ok {
			t.Errorf("ssh-keygen refused a good signature: %s", out)
		}
		// A bad one: "alice"'s on the forged transcript, made with the attacker's key.
		bad := closingSignature(t, forgedData, "alice")
		if ok, out := sshKeygenVerify(t, allowedPath, "alice", forgedMsg, bad); ok {
			t.Errorf("ssh-keygen accepted the attacker's signature: %s", out)
		}
		_, goodSig := must2(parseArmored([]byte(good)))(t)
		_, badSig := must2(parseArmored([]byte(bad)))(t)
		if ok, why := allowed.Permits("alice", goodSig.PublicKey, Namespace, sumTime(t, realData)); !ok {
			t.Errorf("the console refused the good signature: %s", why)
		}
		if ok, _ := allowed.Permits("alice", badSig.PublicKey, Namespace, sumTime(t, forgedData)); ok {
			t.Error("the console accepted the attacker's key for alice")
		}
		// Namespace and validity restrictions: both tools refuse alike.
		for name, opts := range map[string]string{
			"other namespace":     `namespaces="file@example.com"`,
			"expired":             `valid-before="20200101"`,
			"not yet valid":       `valid-after="29991231Z"`,
			"namespace list":      `namespaces="file@example.com,wallet-*@plings.io"`,
			"cert authority only": `cert-authority`,
		} {
			f := filepath.Join(t.TempDir(), "allowed")
			noErr(t, os.WriteFile(f, []byte("alice "+opts+" "+pubKey(t, "alice")+"\n"), 0o600))
			a := must(ReadAllowedSigners(f))(t)
			sshOK, out := sshKeygenVerify(t, f, "alice", realMsg, good)
			ourOK, why := a.Permits("alice", goodSig.PublicKey, Namespace, sumTime(t, realData))
			if sshOK != ourOK {
				t.Errorf("%s: ssh-keygen says %v (%s), the console %v (%s)", name, sshOK, out, ourOK, why)
			}
			if name == "namespace list" && !ourOK {
				t.Errorf("%s: a matching namespace pattern was refused: %s", name, why)
			}
		}
	})
}

func must2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(t testing.TB) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

// sumTime is when the transcript's ceremony closed.
func sumTime(t *testing.T, data []byte) time.Time {
	return must(Verify(data))(t).CompletedAt
}

// TestVerifyVerdict: the summary says whether the transcript is a
// completed real ceremony, an aborted one (where and why) or a rehearsal.
func TestVerifyVerdict(t *testing.T) {
	h := newHSM(t)
	e := newEnv(t, h)
	e.driveTo(StepEntropy, nil)
	path := must(e.c.Abort("", "the dice rolled off the table"))(t)
	sum := must(Verify(must(os.ReadFile(path))(t)))(t)
	if sum.Verdict() != VerdictAborted || !strings.Contains(sum.String(), "Result:       ABORTED at step entropy because the dice rolled off the table: it made no wallet") {
		t.Errorf("aborted: verdict %s\n%s", sum.Verdict(), sum)
	}
	// With allowed signers an aborted transcript still counts its attestations.
	a := must(ParseAllowedSigners("auditor", AllowedSigners(roster(t))))(t)
	sum = must(VerifyWith(must(os.ReadFile(path))(t), VerifyOptions{AllowedSigners: a}))(t)
	if sum.Verdict() != VerdictAborted || !strings.Contains(sum.String(), "witnesses checked against auditor: 3 of 3") {
		t.Errorf("aborted with allowed signers:\n%s", sum)
	}

	realData, _ := runCeremony(t, h, writeRequest(t, nil), realSigner, "")
	sum = must(Verify(realData))(t)
	if sum.Verdict() != VerdictCompleted || !strings.Contains(sum.String(), "Result:       COMPLETED, a real ceremony") {
		t.Errorf("completed: verdict %s\n%s", sum.Verdict(), sum)
	}

	reh, _ := runCeremony(t, h, writeRequest(t, func(rf *RequestFile) { rf.Request.ID, rf.NextVersion = "WCR-2026-11-20-003", 2 }), realSigner, "practice run")
	sum = must(Verify(reh))(t)
	if sum.Verdict() != VerdictRehearsal || !strings.Contains(sum.String(), `Result:       REHEARSAL, completed with the offline check overridden ("practice run"): it must never create a wallet`) {
		t.Errorf("rehearsal: verdict %s\n%s", sum.Verdict(), sum)
	}

}
