package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// verifyWitnesses are the names on every roster of these tests.
var verifyWitnesses = []string{"w1", "w2", "w3"}

// witnessKeys makes ssh-keygen keys w1…w3 in dir and returns their roster.
func witnessKeys(t *testing.T, dir string) []model.Witness {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var ws []model.Witness
	for _, w := range verifyWitnesses {
		pub, err := os.ReadFile(witnessKeyFile(t, dir, w))
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, model.Witness{Name: w, PublicKey: strings.TrimSpace(string(pub))})
	}
	return ws
}

// tmuxCeremony runs `console ceremony run` in tmux, start to end, on a fresh
// token from a request file for roster, the witnesses signing with the keys
// in keyDir. isolated runs it in a network namespace of its own (a real
// ceremony); otherwise the offline check reads a fixture (a rehearsal). It
// returns the transcript's path and the final message file's.
func tmuxCeremony(t *testing.T, work string, roster []model.Witness, keyDir string, version int, isolated bool) (string, string) {
	t.Helper()
	media := filepath.Join(work, "media")
	if err := os.MkdirAll(media, 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rf := &ceremony.RequestFile{ExportedAt: now, ExportedBy: "alice", Required: 3, NextVersion: version, Witnesses: roster,
		Request: model.CreationRequest{
			NewRequest: model.NewRequest{Environment: model.EnvironmentTesting, Purpose: "verify_test", Reason: "allowed signers",
				SecurityLevel: model.SecurityLevelHigh, RiskLevel: "medium", Priority: "standard"},
			ID: "WCR-2026-11-21-013", RequestedBy: "alice", RequestDate: now, Status: "approved",
			RequiredApprovals: []string{"security", "operations"}, ApprovalID: "WAP-20261121000013",
			ApprovedAt: now, ValidUntil: now.Add(7 * 24 * time.Hour),
			Approvals: []model.Approval{
				{Role: "security", Approver: "bob", Decision: "approved", DecidedAt: now, ValidUntil: now.Add(7 * 24 * time.Hour)},
				{Role: "operations", Approver: "carol", Decision: "approved", DecidedAt: now, ValidUntil: now.Add(7 * 24 * time.Hour)},
			}}}
	reqFile := filepath.Join(work, "request.json")
	if err := ceremony.WriteRequestFile(reqFile, rf); err != nil {
		t.Fatal(err)
	}
	conf, err := hsm.NewSoftHSMToken(t.TempDir(), "ceremony", "so-87654321", ceremonyPIN)
	if err != nil {
		t.Fatal(err)
	}
	cmdline := "env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DATABASE_URL SOFTHSM2_CONF=" + shellQuote(conf) + " " +
		shellQuote(consoleBin) + " --data-dir " + shellQuote(dataDir(t)) + " ceremony run --token ceremony --transcript-dir " + shellQuote(media)
	if isolated {
		cmdline = "unshare -nm sh -c " + shellQuote("mount -t sysfs sysfs /sys && exec "+cmdline)
	} else {
		cmdline += " --net-root " + shellQuote(offlineRoot(t))
	}
	sign := func(w, file string) string {
		t.Helper()
		msg := filepath.Join(work, filepath.Base(file)+"."+w)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(msg, b, 0o644)
		if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", filepath.Join(keyDir, w), "-n", ceremony.Namespace, msg).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -Y sign: %v %s", err, out)
		}
		return msg + ".sig"
	}
	s := startTmuxCommand(t, "80", "24", cmdline)
	walkToWitnesses(s, reqFile)
	challenges, _ := filepath.Glob(filepath.Join(media, "*.challenge.txt"))
	if len(challenges) != 1 {
		t.Fatalf("challenge files: %v", challenges)
	}
	for _, w := range verifyWitnesses {
		s.keys("-l", sign(w, challenges[0]))
		s.keys("Enter")
	}
	s.waitFor("entropy step", "step 5 of 8")
	s.keys("-l", "1 2 3 4 5 6 6 5 4 3 2 1 1 2 3 4")
	s.keys("Enter")
	s.waitFor("key step", "step 6 of 8")
	s.keys("Enter")
	s.waitFor("backup step", "step 7 of 8")
	s.keys("Enter", "Enter") // out of band, proof pending
	s.waitFor("close step", "step 8 of 8", "wallet-ceremony final")
	finals, _ := filepath.Glob(filepath.Join(media, "*.final.txt"))
	if len(finals) != 1 {
		t.Fatalf("final message files: %v", finals)
	}
	for _, w := range verifyWitnesses {
		s.keys("-l", sign(w, finals[0]))
		s.keys("Enter")
	}
	s.waitFor("complete", "ceremony complete")
	s.keys("q")
	s.waitFor("console exited", "CONSOLE-EXITED-0")
	transcripts, _ := filepath.Glob(filepath.Join(media, "WKC-*.json"))
	if len(transcripts) != 1 {
		t.Fatalf("transcripts: %v", transcripts)
	}
	return transcripts[0], finals[0]
}

// keygenVerify asks ssh-keygen -Y verify whether name's signature over the
// message file holds under the allowed_signers file.
func keygenVerify(t *testing.T, allowed, name, msgFile, sig string) bool {
	t.Helper()
	sigFile := filepath.Join(t.TempDir(), "sig")
	os.WriteFile(sigFile, []byte(sig), 0o600)
	msg, err := os.ReadFile(msgFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", name, "-n", ceremony.Namespace, "-s", sigFile)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	return err == nil && strings.Contains(string(out), "Good")
}

func closingSig(t *testing.T, transcript, name string) string {
	t.Helper()
	data, err := os.ReadFile(transcript)
	if err != nil {
		t.Fatal(err)
	}
	var tr ceremony.Transcript
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	for _, ws := range tr.WitnessSignatures {
		if ws.Name == name {
			return ws.Signature
		}
	}
	t.Fatalf("no closing signature by %s in %s", name, transcript)
	return ""
}

const unsignedRoster = "witnesses checked only against the roster inside the transcript (unsigned): pass --allowed-signers to check against one you trust"

// TestCeremonyVerifyForgedRoster: a ceremony run through the binary from a
// request file whose roster holds the attacker's keys (under the witnesses'
// names) verifies "3 of 3 attested" on its own roster, said to be unsigned,
// and is refused (exit 1) against the auditor's allowed_signers file, as
// ssh-keygen -Y verify refuses the attacker's signature and accepts a real
// witness's.
func TestCeremonyVerifyForgedRoster(t *testing.T) {
	for _, tool := range []string{"tmux", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	isolated := os.Geteuid() == 0 && exec.Command("unshare", "-nm", "true").Run() == nil
	work := t.TempDir()
	os.Chmod(work, 0o755)
	real := witnessKeys(t, filepath.Join(work, "real"))
	attacker := witnessKeys(t, filepath.Join(work, "attacker"))
	auditor := filepath.Join(work, "auditor_allowed_signers")
	file := "# the auditor's own roster of ceremony witnesses\n\n" + string(ceremony.AllowedSigners(real))
	if err := os.WriteFile(auditor, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, final := tmuxCeremony(t, filepath.Join(work, "forged"), attacker, filepath.Join(work, "attacker"), 4, isolated)

	okCode := 0
	if !isolated {
		okCode = exitRehearsal // not root: the offline check read a fixture
		t.Log("not root: no network namespace; the ceremony is a rehearsal")
	}
	r := console(t, nil, "ceremony", "verify", tr)
	if r.code != okCode || !strings.Contains(r.stdout, "3 of 3 attested: w1, w2, w3") || !strings.Contains(r.stdout, unsignedRoster) {
		t.Errorf("verify without --allowed-signers: exit %d (want %d)\n%s\n%s", r.code, okCode, r.stdout, r.stderr)
	}
	r = console(t, nil, "ceremony", "verify", tr, "--allowed-signers", auditor)
	t.Logf("DEBUG exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	if r.code != exitInvalid || !strings.Contains(r.stderr, "witnesses checked against "+auditor+": 0 of 3, and the ceremony needs 3") ||
		!strings.Contains(r.stderr, "which "+auditor+" does not list for w1") || !strings.Contains(r.stdout, "NOT counted: w1") ||
		!strings.Contains(r.stdout, "— REFUSED") || strings.Contains(r.stdout, "COMPLETED") {
		t.Errorf("verify against the auditor's file: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// ssh-keygen agrees: the attacker's "w1" is refused by the auditor's
	// file, and accepted by one made from the forged roster.
	bad := closingSig(t, tr, "w1")
	if keygenVerify(t, auditor, "w1", final, bad) {
		t.Error("ssh-keygen accepted the attacker's signature under the auditor's allowed_signers")
	}
	forgedAllowed := filepath.Join(work, "forged_allowed_signers")
	os.WriteFile(forgedAllowed, ceremony.AllowedSigners(attacker), 0o600)
	if !keygenVerify(t, forgedAllowed, "w1", final, bad) {
		t.Error("ssh-keygen refused the signature under the roster it was made for")
	}
	r = console(t, nil, "ceremony", "verify", tr, "--allowed-signers", forgedAllowed)
	if r.code != okCode || !strings.Contains(r.stdout, "witnesses checked against "+forgedAllowed+": 3 of 3") {
		t.Errorf("verify against the forged roster's own file: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// A broken allowed_signers file is refused with its line.
	broken := filepath.Join(work, "broken")
	os.WriteFile(broken, []byte("# fine\nw1 no-such-option "+real[0].PublicKey+"\n"), 0o600)
	r = console(t, nil, "ceremony", "verify", tr, "--allowed-signers", broken)
	if r.code != 1 || !strings.Contains(r.stderr, "line 2: unknown option") {
		t.Errorf("verify with a broken allowed_signers: exit %d %s", r.code, r.stderr)
	}
	r = console(t, nil, "ceremony", "verify", tr, "--allowed-signers", "/dev/zero")
	if r.code != 1 || !strings.Contains(r.stderr, "larger than 1048576 bytes") {
		t.Errorf("verify with /dev/zero as allowed_signers: exit %d %s", r.code, r.stderr)
	}
}

// TestCeremonyVerifyExitCodes: `ceremony verify` exits 0 only for a
// completed real ceremony; a rehearsal exits 3 and says so, a tampered
// transcript 1. (An aborted one exits 2: TestCeremonyCtrlCInTmux.)
func TestCeremonyVerifyExitCodes(t *testing.T) {
	for _, tool := range []string{"tmux", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	work := t.TempDir()
	os.Chmod(work, 0o755)
	real := witnessKeys(t, filepath.Join(work, "real"))
	auditor := filepath.Join(work, "auditor_allowed_signers")
	os.WriteFile(auditor, ceremony.AllowedSigners(real), 0o600)
	tr, final := tmuxCeremony(t, filepath.Join(work, "rehearsal"), real, filepath.Join(work, "real"), 5, false)

	r := console(t, nil, "ceremony", "verify", tr)
	if r.code != exitRehearsal || !strings.Contains(r.stdout, "Result:       REHEARSAL, completed with the offline check overridden") ||
		!strings.Contains(r.stderr, "the transcript is intact, but it is a REHEARSAL") || strings.Contains(r.stdout, "verified: ") {
		t.Errorf("verify of a rehearsal: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = console(t, nil, "ceremony", "verify", tr, "--allowed-signers", auditor)
	if r.code != exitRehearsal || !strings.Contains(r.stdout, "witnesses checked against "+auditor+": 3 of 3") {
		t.Errorf("verify of a rehearsal with --allowed-signers: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !keygenVerify(t, auditor, "w2", final, closingSig(t, tr, "w2")) {
		t.Error("ssh-keygen refused a real witness's signature under the auditor's allowed_signers")
	}

	data, _ := os.ReadFile(tr)
	tampered := filepath.Join(work, "tampered.json")
	os.WriteFile(tampered, append(data, '\n'), 0o600)
	r = console(t, nil, "ceremony", "verify", tampered)
	if r.code != exitInvalid || !strings.Contains(r.stderr, "REFUSED") {
		t.Errorf("verify of a tampered transcript: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
