package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/store/pgtest"
)

// ceremonyPIN is distinctive so that finding it anywhere means it leaked.
const ceremonyPIN = "pin-7731-ceremony"

// TestCeremonyEndToEnd is the whole path as people walk it, with the built
// binary and tools we did not write:
//
//   - connected side: alice files a request, bob and carol approve it (their
//     own database logins), alice puts three witnesses (ssh-keygen keys) on
//     the roster and exports the request to the "removable media";
//   - ceremony machine: its own embedded database and SoftHSM token, run in a
//     network namespace with only loopback (as root) and under strace; the
//     officer walks the ceremony in tmux at 80x24, keyboard only, and the
//     witnesses sign the challenge and the final message with ssh-keygen;
//   - anywhere: `console ceremony verify`, ssh-keygen -Y verify for the
//     witnesses and openssl for the master signature;
//   - connected side: import creates the wallet as created with the
//     fingerprint; a second import changes nothing; a changed byte is refused;
//     the audit chain verifies.
func TestCeremonyEndToEnd(t *testing.T) {
	for _, tool := range []string{"tmux", "ssh-keygen", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	name := pgtest.NewDatabase(t)
	as := func(login string) string { return pgtest.DSNAs(t, name, login) }
	work := t.TempDir()
	os.Chmod(work, 0o755)
	media := filepath.Join(work, "media")
	if err := os.Mkdir(media, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(r result, what string) result {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", what, r.code, r.stdout, r.stderr)
		}
		return r
	}

	// Connected side.
	witnesses := []string{"w1", "w2", "w3"}
	for _, w := range witnesses {
		must(console(t, nil, "witness", "add", w, witnessKeyFile(t, work, w), "--dsn", as("alice")), "witness add "+w)
	}
	r := must(console(t, nil, "request", "new", "--environment", "testing", "--purpose", "ceremony_e2e",
		"--security-level", "high", "--lifespan", "2 years", "--reason", "end-to-end ceremony", "--dsn", as("alice")), "request new")
	id := regexp.MustCompile(`WCR-\d{4}-\d{2}-\d{2}-\d{3}`).FindString(r.stdout)
	must(console(t, nil, "request", "approve", id, "--role", "security", "--dsn", as("bob")), "approve as bob")
	must(console(t, nil, "request", "approve", id, "--role", "operations", "--dsn", as("carol")), "approve as carol")
	reqFile := filepath.Join(media, id+".request.json")
	must(console(t, nil, "request", "export", id, reqFile, "--dsn", as("alice")), "export")

	// Ceremony machine: a fresh token and an embedded database of its own.
	tokDir := t.TempDir()
	conf, err := hsm.NewSoftHSMToken(tokDir, "ceremony", "so-87654321", ceremonyPIN)
	if err != nil {
		t.Fatal(err)
	}
	cdata := dataDir(t)
	inner := "env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DATABASE_URL SOFTHSM2_CONF=" + shellQuote(conf) + " " +
		shellQuote(consoleBin) + " --data-dir " + shellQuote(cdata) + " --operator officer ceremony run --token ceremony --transcript-dir " + shellQuote(media)
	trace := filepath.Join(work, "trace")
	isolated := false
	if os.Geteuid() == 0 && exec.Command("unshare", "-nm", "true").Run() == nil {
		isolated = true
		strace := ""
		if _, err := exec.LookPath("strace"); err == nil && exec.Command("strace", "-o", "/dev/null", "true").Run() == nil {
			strace = "strace -f -qq -e trace=socket,connect -o " + shellQuote(trace) + " "
		}
		// A network namespace has only lo; sysfs is mounted again so that
		// /sys/class/net shows the namespace's interfaces.
		inner = "unshare -nm sh -c " + shellQuote("mount -t sysfs sysfs /sys && exec "+strace+inner)
	} else {
		// Not root: the machine is online, so read a fixture that is offline.
		root := filepath.Join(work, "netroot")
		for f, body := range map[string]string{
			"proc/net/route":             "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
			"sys/class/net/lo/operstate": "unknown\n",
			"sys/class/net/lo/flags":     "0x9\n",
		} {
			os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755)
			os.WriteFile(filepath.Join(root, f), []byte(body), 0o644)
		}
		inner += " --net-root " + shellQuote(root)
		t.Log("not root: no network namespace; the offline check reads a fixture")
	}
	s := startTmuxCommand(t, "80", "24", inner)
	screens := []string{}
	see := func(step string, want ...string) {
		t.Helper()
		screens = append(screens, s.waitFor(step, want...))
	}
	typeLine := func(text string) {
		t.Helper()
		s.keys("-l", text)
		s.keys("Enter")
	}
	sign := func(w, file, out string) string {
		t.Helper()
		msg := filepath.Join(work, out)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(msg, b, 0o644)
		if o, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", filepath.Join(work, w), "-n", ceremony.Namespace, msg).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -Y sign: %v %s", err, o)
		}
		return msg + ".sig"
	}

	s.wait = 2 * time.Minute // the first start runs initdb (under strace)
	see("request step", "step 1 of 8", "request file")
	s.wait = 30 * time.Second
	typeLine(reqFile)
	see("offline step", "step 2 of 8", "request "+id+" approved")
	s.keys("Enter")
	see("hsm step", "step 3 of 8", "PIN")
	s.keys("-l", ceremonyPIN)
	see("PIN typed", "("+itoa(len(ceremonyPIN))+" typed)")
	s.keys("Enter")
	see("witness step", "step 4 of 8", "wallet-ceremony witness attestation")
	challenges, _ := filepath.Glob(filepath.Join(media, "*.challenge.txt"))
	if len(challenges) != 1 {
		t.Fatalf("challenge files on the media: %v", challenges)
	}
	for i, w := range witnesses {
		sig := sign(w, challenges[0], w+".challenge")
		typeLine(sig)
		if i == 0 {
			see("w1 attested", "signatures: 1 of 3")
			typeLine(sig) // the same witness again
			see("duplicate refused", "has already")
			s.keys("C-u")
		}
	}
	see("entropy step", "step 5 of 8")
	typeLine("3 6 1 4 2 5 5 2 6 1 3 4 6 6 2 1 4 3 5 2")
	see("key step", "step 6 of 8")
	s.keys("Enter")
	see("backup step", "step 7 of 8", "plings_master_key_v")
	s.keys("Enter", "Enter") // no backup token: out of band, proof pending
	see("close step", "step 8 of 8", "wallet-ceremony final")
	finals, _ := filepath.Glob(filepath.Join(media, "*.final.txt"))
	if len(finals) != 1 {
		t.Fatalf("final message files on the media: %v", finals)
	}
	for _, w := range witnesses {
		typeLine(sign(w, finals[0], w+".final"))
	}
	see("complete", "ceremony complete")
	s.keys("q")
	see("console exited", "CONSOLE-EXITED-0")
	for _, scr := range screens {
		if strings.Contains(scr, ceremonyPIN) {
			t.Fatalf("the PIN was on the screen:\n%s", scr)
		}
	}

	transcripts, _ := filepath.Glob(filepath.Join(media, "WKC-*.json"))
	if len(transcripts) != 1 {
		t.Fatalf("transcripts on the media: %v", transcripts)
	}
	tr := transcripts[0]
	data, err := os.ReadFile(tr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), ceremonyPIN) || strings.Contains(string(data), "3 6 1 4 2 5") {
		t.Fatal("the transcript holds the PIN or the entropy")
	}

	// Anywhere: our verifier, then tools we did not write.
	r = console(t, nil, "ceremony", "verify", tr)
	if !isolated {
		// Not root: the offline check read a fixture, so this was a rehearsal (exit 3).
		if r.code != exitRehearsal {
			t.Fatalf("ceremony verify of a rehearsal: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	} else {
		must(r, "ceremony verify")
	}
	if strings.Contains(r.stdout, `\x0a`) || strings.Count(r.stdout, "\n") < 10 {
		t.Errorf("verify summary is not readable lines:\n%s", r.stdout)
	}
	for _, want := range []string{id, "completed", "w1", "w2", "w3", "verified: " + tr} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify summary lacks %q:\n%s", want, r.stdout)
		}
	}
	var file struct {
		Roster          []struct{ Name, PublicKey string } `json:"roster"`
		MasterPublicKey string                             `json:"master_public_key"`
		Fingerprint     string                             `json:"public_key_fingerprint"`
		MasterSignature string                             `json:"master_signature"`
		Witnesses       []struct{ Name, Signature string } `json:"witness_signatures"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(work, "allowed_signers")
	sum, err := ceremony.Verify(data)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(allowed, ceremony.AllowedSigners(sum.Roster), 0o644)
	if len(file.Witnesses) != 3 {
		t.Fatalf("%d witness signatures in the transcript", len(file.Witnesses))
	}
	for _, w := range file.Witnesses {
		sig := filepath.Join(work, w.Name+".closing.sig")
		os.WriteFile(sig, []byte(w.Signature), 0o644)
		cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", w.Name, "-n", ceremony.Namespace, "-s", sig)
		msg, _ := os.Open(finals[0])
		cmd.Stdin = msg
		out, err := cmd.CombinedOutput()
		msg.Close()
		if err != nil || !strings.Contains(string(out), "Good \"wallet-ceremony@plings.io\" signature for "+w.Name) {
			t.Errorf("ssh-keygen -Y verify %s: %v %s", w.Name, err, out)
		}
	}
	pub := filepath.Join(work, "master.pem")
	os.WriteFile(pub, []byte(file.MasterPublicKey), 0o644)
	rawSig, err := base64.StdEncoding.DecodeString(file.MasterSignature)
	if err != nil {
		t.Fatal(err)
	}
	sigFile := filepath.Join(work, "master.sig")
	os.WriteFile(sigFile, rawSig, 0o644)
	out, err := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", finals[0], "-sigfile", sigFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Errorf("openssl pkeyutl -verify: %v %s", err, out)
	}

	// Connected side: a changed byte is refused and changes nothing.
	tampered := filepath.Join(work, "tampered.json")
	bad := []byte(strings.Replace(string(data), `"operator": "officer"`, `"operator": "offic3r"`, 1))
	if string(bad) == string(data) {
		t.Fatal("the tamper did not change the transcript")
	}
	os.WriteFile(tampered, bad, 0o644)
	r = console(t, nil, "ceremony", "import", tampered, "--dsn", as("alice"))
	if r.code == 0 || !strings.Contains(r.stderr, "REFUSED") {
		t.Errorf("tampered import: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = must(console(t, nil, "ceremony", "import", tr, "--dsn", as("alice"), "--operator", "alice"), "import")
	version := regexp.MustCompile(`created (v\d+) \(status created\)`).FindStringSubmatch(r.stdout)
	if version == nil || !strings.Contains(r.stdout, file.Fingerprint) || !strings.Contains(r.stdout, "3 witnesses") {
		t.Fatalf("import said %q", r.stdout)
	}
	r = must(console(t, nil, "ceremony", "import", tr, "--dsn", as("alice")), "import again")
	if !strings.Contains(r.stdout, "already imported") {
		t.Errorf("second import said %q", r.stdout)
	}
	r = must(console(t, nil, "show", version[1], "--dsn", as("viewer")), "show")
	for _, want := range []string{"created", file.Fingerprint} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show %s lacks %q:\n%s", version[1], want, r.stdout)
		}
	}
	r = must(console(t, nil, "request", "show", id, "--dsn", as("viewer")), "request show")
	if !strings.Contains(r.stdout, "used") {
		t.Errorf("the request is not marked used:\n%s", r.stdout)
	}
	must(console(t, nil, "audit", "verify", "--dsn", as("viewer")), "audit verify")

	// No socket but unix ones on the ceremony machine.
	if isolated {
		checkOnlyUnixSockets(t, trace)
	}
}

// checkOnlyUnixSockets reads strace's socket/connect lines: every socket the
// ceremony machine opened (console, initdb, postgres) is AF_UNIX.
func checkOnlyUnixSockets(t *testing.T, trace string) {
	t.Helper()
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Logf("no strace output (%v): the network namespace alone shows no network was needed", err)
		return
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, "socket(") && !strings.Contains(l, "connect(") {
			continue
		}
		n++
		if strings.Contains(l, "socket(") && !strings.Contains(l, "socket(AF_UNIX") {
			t.Errorf("the ceremony machine opened a non-unix socket: %s", l)
		}
		if strings.Contains(l, "connect(") && !strings.Contains(l, "AF_UNIX") && !strings.Contains(l, "resumed>") {
			t.Errorf("the ceremony machine connected somewhere not local: %s", l)
		}
	}
	if n == 0 {
		t.Error("strace saw no socket at all: it did not trace the console")
	}
	t.Logf("strace: %d socket/connect calls, all AF_UNIX", n)
}
