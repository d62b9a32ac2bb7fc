package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// Issue 10, point 14: `kill -9` of `ceremony run` after the key was made
// leaves the key on the token and no transcript (no abort can run). The
// next `ceremony run` says so before anything else, destroys the leftover
// key once its label is typed, writes the aborted transcript and records
// the abort; `ceremony verify` then exits 2 (aborted), and a third run
// starts a new ceremony.
func TestCeremonyKilledThenRecovered(t *testing.T) {
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
			NewRequest: model.NewRequest{Environment: model.EnvironmentTesting, Purpose: "kill_9", Reason: "kill test",
				SecurityLevel: model.SecurityLevelHigh, RiskLevel: "medium", Priority: "standard"},
			ID: "WCR-2026-11-21-043", RequestedBy: "alice", RequestDate: now, Status: "approved",
			RequiredApprovals: []string{"security", "operations"}, ApprovalID: "WAP-20261121000001",
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
	t.Setenv("SOFTHSM2_CONF", conf)
	data := dataDir(t) // one machine: the same ledger and markers for every run
	pidFile := filepath.Join(t.TempDir(), "pid")
	run := func() *tmuxSession {
		// The inner shell writes its pid and execs the console (env execs
		// too), so the pid is the console's own: kill -9 hits it alone.
		inner := "echo $$ > " + shellQuote(pidFile) + "; exec env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DATABASE_URL SOFTHSM2_CONF=" +
			shellQuote(conf) + " " + shellQuote(consoleBin) + " --data-dir " + shellQuote(data) + " ceremony run --token ceremony --transcript-dir " +
			shellQuote(work) + " --net-root " + shellQuote(offlineRoot(t))
		return startTmuxCommand(t, "100", "40", "sh -c "+shellQuote(inner))
	}
	listKeys := func() string {
		t.Helper()
		out, err := exec.Command("pkcs11-tool", "--module", hsm.SoftHSMModule, "--token-label", "ceremony", "--login",
			"--pin", ceremonyPIN, "--list-objects").CombinedOutput()
		if err != nil {
			t.Fatalf("pkcs11-tool: %v %s", err, out)
		}
		return string(out)
	}
	markers := func() []string {
		m, _ := filepath.Glob(filepath.Join(data, "ceremonies", "WKC-*"+ceremony.UnfinishedSuffix))
		return m
	}

	// 1. A ceremony walked past its key, then killed outright.
	s := run()
	walkToWitnesses(s, reqFile)
	challenges, _ := filepath.Glob(filepath.Join(work, "*.challenge.txt"))
	if len(challenges) != 1 {
		t.Fatalf("challenge files: %v", challenges)
	}
	id := strings.TrimSuffix(filepath.Base(challenges[0]), ".challenge.txt")
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
	if m := markers(); len(m) != 1 || filepath.Base(m[0]) != id+ceremony.UnfinishedSuffix {
		t.Fatalf("the unfinished marker under way: %v (ceremony %s)", m, id)
	}
	pidText, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	// The killed console leaves the terminal raw, so the shell's line wraps
	// oddly: wait for the process to be gone, then read the exit status.
	for deadline := time.Now().Add(15 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the console (pid %d) outlived kill -9", pid)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if scr := s.screen(); !strings.Contains(strings.ReplaceAll(scr, "\n", ""), "CONSOLE-EXITED-137") {
		t.Errorf("the console did not die of SIGKILL:\n%s", scr)
	}
	if !strings.Contains(listKeys(), "plings_master_key_v7") {
		t.Fatal("after kill -9, pkcs11-tool does not see the key the ceremony made")
	}
	if ts, _ := filepath.Glob(filepath.Join(work, "WKC-*.json")); len(ts) != 0 {
		t.Fatalf("a transcript after kill -9: %v", ts)
	}

	// 2. The next run says so first, and cleans up once the label is typed.
	s = run()
	s.wait = 2 * time.Minute
	scr := s.waitFor("leftover found", "UNFINISHED CEREMONY FOUND")
	flat := strings.Join(strings.Fields(scr), " ")
	for _, want := range []string{"unfinished ceremony " + id, "began making key plings_master_key_v7 on token \"ceremony\"",
		"killed at step backup", "WCR-2026-11-21-043", "type plings_master_key_v7"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the screen does not say %q:\n%s", want, scr)
		}
	}
	if strings.Contains(scr, "step 1 of 8") {
		t.Errorf("a new ceremony started before the leftover was dealt with:\n%s", scr)
	}
	s.wait = 30 * time.Second
	// A wrong label is refused and destroys nothing.
	s.keys("-l", "plings_master_key_v6")
	s.keys("Enter")
	s.keys("-l", ceremonyPIN)
	s.keys("Enter")
	s.waitFor("wrong label", "type the key label plings_master_key_v7 to destroy")
	if !strings.Contains(listKeys(), "plings_master_key_v7") {
		t.Fatal("a wrong label destroyed the key")
	}
	s.keys("BTab")
	s.keys("C-u")
	s.keys("-l", "plings_master_key_v7")
	s.keys("Enter")
	s.keys("-l", ceremonyPIN)
	s.keys("Enter")
	scr = s.waitFor("recovered", "PREVIOUS CEREMONY ABORTED")
	flat = strings.Join(strings.Fields(scr), " ")
	for _, want := range []string{"ceremony " + id + " is recorded as ABORTED (interrupted at step backup)",
		"destroyed plings_master_key_v7 on token \"ceremony\" (checked gone, on the next run)", "enter: start a new ceremony"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the screen does not say %q:\n%s", want, scr)
		}
	}
	if objs := listKeys(); strings.Contains(objs, "plings_master_key") {
		t.Fatalf("the leftover key is still on the token:\n%s", objs)
	}
	if m := markers(); len(m) != 0 {
		t.Errorf("the marker outlived the clean-up: %v", m)
	}
	s.keys("C-c")
	s.waitFor("quit", "CONSOLE-EXITED-0")

	transcript := filepath.Join(work, id+".json")
	r := console(t, nil, "ceremony", "verify", transcript)
	if r.code != exitAborted || !strings.Contains(r.stdout, "ABORTED at step backup because interrupted: the previous run was killed at step backup; leftover key destroyed on the next run") ||
		!strings.Contains(r.stderr, "the transcript is intact, but the ceremony was ABORTED") {
		t.Errorf("verify of the recovered transcript: %d %q %q", r.code, r.stdout, r.stderr)
	}
	t.Logf("verify: %s", r.stdout)

	// 3. The ledger recorded the abort; a new run starts a new ceremony
	// (killed before its key step, it leaves no marker).
	r = console(t, nil, "--data-dir", data, "audit", "log", "--type", "key_ceremony", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "aborted") ||
		!strings.Contains(r.stdout, "interrupted: the previous run was killed at step backup") {
		t.Errorf("the ledger's record of %s: %d %q %q", id, r.code, r.stdout, r.stderr)
	}
	s = run()
	s.wait = 2 * time.Minute
	s.waitFor("new ceremony", "step 1 of 8")
	if pidText, err = os.ReadFile(pidFile); err == nil {
		if pid, err = strconv.Atoi(strings.TrimSpace(string(pidText))); err == nil {
			err = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err != nil {
		t.Fatalf("kill -9 the third run: %v", err)
	}
	for deadline := time.Now().Add(15 * time.Second); syscall.Kill(pid, 0) == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if m := markers(); len(m) != 0 {
		t.Errorf("a ceremony killed before its key step left a marker: %v", m)
	}
}
