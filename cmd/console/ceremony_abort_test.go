package main

import (
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

// offlineRoot is a /proc and /sys fixture of a machine with only lo up.
func offlineRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for f, body := range map[string]string{
		"proc/net/route":             "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
		"sys/class/net/lo/operstate": "unknown\n",
		"sys/class/net/lo/flags":     "0x9\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestCeremonyCtrlCInTmux: Ctrl-C with the master key made destroys it,
// writes a transcript that says where and why the ceremony stopped, and
// says so on the terminal once the console has closed.
func TestCeremonyCtrlCInTmux(t *testing.T) {
	t.Run("ctrl-c", func(t *testing.T) { ceremonyInterrupted(t, false) })
	// The terminal goes away (a dropped SSH session): SIGHUP aborts the same way.
	t.Run("hangup", func(t *testing.T) { ceremonyInterrupted(t, true) })
}

func ceremonyInterrupted(t *testing.T, hangup bool) {
	for _, tool := range []string{"tmux", "ssh-keygen", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	work := t.TempDir()
	os.Chmod(work, 0o755)
	now := time.Now().UTC()
	rf := &ceremony.RequestFile{ExportedAt: now, ExportedBy: "alice", Required: 3, NextVersion: 7,
		Request: model.CreationRequest{
			NewRequest: model.NewRequest{Environment: model.EnvironmentTesting, Purpose: "ctrl_c", Reason: "abort test",
				SecurityLevel: model.SecurityLevelHigh, RiskLevel: "medium", Priority: "standard"},
			ID: "WCR-2026-11-21-042", RequestedBy: "alice", RequestDate: now, Status: "approved",
			RequiredApprovals: []string{"security", "operations"}, ApprovalID: "WAP-20261121000000",
			ApprovedAt: now, ValidUntil: now.Add(7 * 24 * time.Hour),
			Approvals: []model.Approval{
				{Role: "security", Approver: "bob", Decision: "approved", DecidedAt: now, ValidUntil: now.Add(7 * 24 * time.Hour)},
				{Role: "operations", Approver: "carol", Decision: "approved", DecidedAt: now, ValidUntil: now.Add(7 * 24 * time.Hour)},
			}}}
	for _, w := range []string{"w1", "w2", "w3"} {
		pub, err := os.ReadFile(witnessKeyFile(t, work, w))
		if err != nil {
			t.Fatal(err)
		}
		rf.Witnesses = append(rf.Witnesses, model.Witness{Name: w, PublicKey: strings.TrimSpace(string(pub))})
	}
	reqFile := filepath.Join(work, "request.json")
	if err := ceremony.WriteRequestFile(reqFile, rf); err != nil {
		t.Fatal(err)
	}
	tokDir := t.TempDir()
	conf, err := hsm.NewSoftHSMToken(tokDir, "ceremony", "so-87654321", ceremonyPIN)
	if err != nil {
		t.Fatal(err)
	}
	cmdline := "env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DATABASE_URL SOFTHSM2_CONF=" + shellQuote(conf) + " " +
		shellQuote(consoleBin) + " --data-dir " + shellQuote(dataDir(t)) + " ceremony run --token ceremony --transcript-dir " +
		shellQuote(work) + " --net-root " + shellQuote(offlineRoot(t))
	s := startTmuxCommand(t, "80", "24", cmdline)
	walkToWitnesses(s, reqFile)
	challenges, _ := filepath.Glob(filepath.Join(work, "*.challenge.txt"))
	if len(challenges) != 1 {
		t.Fatalf("challenge files: %v", challenges)
	}
	for _, w := range []string{"w1", "w2", "w3"} {
		if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", filepath.Join(work, w), "-n", ceremony.Namespace,
			"-O", "hashalg=sha512", challenges[0]).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -Y sign: %v %s", err, out)
		}
		sig := filepath.Join(work, w+".sig")
		os.Rename(challenges[0]+".sig", sig)
		s.keys("-l", sig)
		s.keys("Enter")
	}
	s.waitFor("entropy step", "step 5 of 8")
	s.keys("-l", "1 2 3 4 5 6 6 5 4 3 2 1 1 2 3 4")
	s.keys("Enter")
	s.waitFor("key step", "step 6 of 8")
	s.keys("Enter")
	s.waitFor("key made", "step 7 of 8", "plings_master_key_v7")
	listKeys := func() string {
		out, err := exec.Command("pkcs11-tool", "--module", hsm.SoftHSMModule, "--token-label", "ceremony", "--login",
			"--pin", ceremonyPIN, "--list-objects").CombinedOutput()
		if err != nil {
			t.Fatalf("pkcs11-tool: %v %s", err, out)
		}
		return string(out)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	if !strings.Contains(listKeys(), "plings_master_key_v7") {
		t.Fatal("pkcs11-tool does not see the key the ceremony made")
	}
	var transcripts []string
	if hangup {
		if out, err := exec.Command("tmux", "-S", s.sock, "kill-server").CombinedOutput(); err != nil {
			t.Fatalf("tmux kill-server: %v %s", err, out)
		}
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && len(transcripts) == 0; time.Sleep(100 * time.Millisecond) {
			transcripts, _ = filepath.Glob(filepath.Join(work, "WKC-*.json"))
		}
		time.Sleep(500 * time.Millisecond) // the key is destroyed before the transcript is written; let the console finish
	} else {
		s.keys("C-c")
		scr := s.waitFor("aborted", "CONSOLE-EXITED-2", "ABORTED at step backup") // an aborted ceremony exits 2
		if !strings.Contains(strings.ReplaceAll(scr, "\n", ""), "destroyed plings_master_key_v7 on token \"ceremony\" (checked gone)") {
			t.Errorf("the terminal does not say the key was destroyed:\n%s", scr)
		}
	}
	if objs := listKeys(); strings.Contains(objs, "plings_master_key") {
		t.Fatalf("the key outlived the abort:\n%s", objs)
	}
	transcripts, _ = filepath.Glob(filepath.Join(work, "WKC-*.json"))
	if len(transcripts) != 1 {
		t.Fatalf("transcripts: %v", transcripts)
	}
	r := console(t, nil, "ceremony", "verify", transcripts[0])
	if r.code != exitAborted || !strings.Contains(r.stdout, "ABORTED at step backup because the console was closed") ||
		!strings.Contains(r.stderr, "the transcript is intact, but the ceremony was ABORTED") {
		t.Errorf("verify of the aborted transcript: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = console(t, nil, "ceremony", "import", transcripts[0], "--dsn", "host=/nonexistent")
	if r.code == 0 || !strings.Contains(r.stderr, "REFUSED") {
		t.Errorf("import of an aborted transcript: %d %q", r.code, r.stderr)
	}
}

// walkToWitnesses takes a ceremony in tmux through its first three steps
// (request file, offline check, HSM login) to the witnesses' step.
func walkToWitnesses(s *tmuxSession, reqFile string) {
	s.wait = 2 * time.Minute
	s.waitFor("request step", "step 1 of 8")
	s.wait = 30 * time.Second
	s.keys("-l", reqFile)
	s.keys("Enter")
	s.waitFor("offline step", "step 2 of 8")
	s.keys("Enter")
	s.waitFor("hsm step", "step 3 of 8")
	s.keys("-l", ceremonyPIN)
	s.keys("Enter")
	s.waitFor("witness step", "step 4 of 8")
}
