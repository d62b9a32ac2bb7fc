package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// fakeRequests keeps creation requests in memory and applies the database's
// two-person rule to its login, so the flow shows the refusals a person meets.
type fakeRequests struct {
	mu       sync.Mutex
	login    string
	reqs     []model.CreationRequest
	exported map[string]string // path → id
	n        int
}

func newFakeRequests(login string) *fakeRequests {
	return &fakeRequests{login: login, exported: map[string]string{}}
}

func (f *fakeRequests) Login() string { return f.login }

func (f *fakeRequests) Requests(ctx context.Context) ([]model.CreationRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.reqs)
	slices.Reverse(out)
	return out, nil
}

func (f *fakeRequests) FileRequest(ctx context.Context, r model.NewRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Purpose == "" || r.Reason == "" {
		return "", errors.New("purpose and reason are required")
	}
	f.n++
	id := "WCR-2026-03-14-00" + common.Itoa(f.n)
	f.reqs = append(f.reqs, model.CreationRequest{NewRequest: r, ID: id, RequestedBy: f.login, RequestDate: t0,
		RequiredApprovals: model.RequiredApprovals(r.Environment, r.RiskLevel), Status: "pending"})
	return id, nil
}

func (f *fakeRequests) DecideRequest(ctx context.Context, id, role, decision, reason string) (model.CreationRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.reqs {
		q := &f.reqs[i]
		if q.ID != id {
			continue
		}
		if q.RequestedBy == f.login {
			return *q, errors.New("two-person rule: " + f.login + " filed request " + id + " and cannot approve it")
		}
		q.Approvals = append(q.Approvals, model.Approval{Role: role, Approver: f.login, Decision: decision, Reason: reason, DecidedAt: t0})
		if decision == "rejected" {
			q.Status = "rejected"
		} else if len(q.WaitingFor()) == 0 {
			q.Status, q.ApprovalID, q.ValidUntil = "approved", "WAP-20260314093000", t0.Add(7*24*time.Hour)
		}
		return *q, nil
	}
	return model.CreationRequest{}, errors.New("there is no creation request " + id)
}

func (f *fakeRequests) ExportRequest(ctx context.Context, id, path string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.exported[path]; ok {
		return "", errors.New(path + " already exists and is never overwritten; choose another file name")
	}
	f.exported[path] = id
	return "wrote " + path + ": request " + id + ", 3 witnesses, next version v6", nil
}

// fakeCeremony plays the ceremony's steps; a signature "bad" is refused, a
// request path "expired" is refused, and it remembers every secret it was
// given so tests can check none reaches the screen.
type fakeCeremony struct {
	mu       sync.Mutex
	calls    []string
	secrets  []string
	witness  int
	closing  int
	keyMade  bool
	finished bool
	aborted  string // step and reason
}

func (f *fakeCeremony) log(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }

func (f *fakeCeremony) ID() string { return "WKC-20260314-093000-abc123" }
func (f *fakeCeremony) Steps() []CeremonyStep {
	var out []CeremonyStep
	for _, n := range []string{"request", "offline", "hsm", "witnesses", "entropy", "key", "backup", "close"} {
		out = append(out, CeremonyStep{Name: n, Title: strings.ToUpper(n[:1]) + n[1:], Describe: "this step does " + n + "."})
	}
	return out
}
func (f *fakeCeremony) LoadRequest(path string) (string, error) {
	f.log("request " + path)
	if strings.Contains(path, "expired") {
		return "", errors.New("approval WAP-20260301000000 expired at 2026-03-08 00:00; have the request approved again")
	}
	return "request WCR-2026-03-14-001 approved as WAP-20260314093000; wallet v6", nil
}
func (f *fakeCeremony) CheckOffline(override string) (string, error) {
	f.log("offline " + override)
	return "offline: only lo is up, no default route", nil
}
func (f *fakeCeremony) OpenHSM(pin []byte) (string, error) {
	f.mu.Lock()
	f.secrets = append(f.secrets, string(pin))
	f.mu.Unlock()
	f.log("hsm")
	return "logged in to token ceremony", nil
}
func (f *fakeCeremony) Challenge() (string, string, error) {
	return "wallet-ceremony challenge\nceremony: WKC-20260314-093000-abc123\n", "/media/usb/challenge.txt", nil
}
func (f *fakeCeremony) sig(s string, n *int) (Progress, error) {
	if strings.Contains(s, "bad") {
		return Progress{}, errors.New("signed with key SHA256:xyz which is not on the roster of request WCR-2026-03-14-001")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	*n++
	return Progress{Name: "w" + common.Itoa(*n), Done: *n, Need: 3}, nil
}
func (f *fakeCeremony) AddWitness(s string) (Progress, error) {
	f.log("witness " + s)
	return f.sig(s, &f.witness)
}
func (f *fakeCeremony) MixEntropy(e []byte) (string, error) {
	f.mu.Lock()
	f.secrets = append(f.secrets, string(e))
	f.mu.Unlock()
	f.log("entropy")
	return "mixed " + common.Itoa(len(e)) + " bytes", nil
}
func (f *fakeCeremony) GenerateKey() (string, error) {
	f.log("key")
	f.mu.Lock()
	f.keyMade = true
	f.mu.Unlock()
	return "plings_master_key_v6 fingerprint ab12", nil
}
func (f *fakeCeremony) Backup(token string, pin []byte) (string, error) {
	f.log("backup " + token)
	return "out-of-band backup recorded; proof pending", nil
}
func (f *fakeCeremony) FinalMessage() (string, string, error) {
	return "wallet-ceremony final\nfinal: 00ff\n", "/media/usb/final.txt", nil
}
func (f *fakeCeremony) AddClosingSignature(s string) (Progress, error) {
	f.log("closing " + s)
	return f.sig(s, &f.closing)
}
func (f *fakeCeremony) Close() (string, error) {
	f.log("close")
	f.mu.Lock()
	f.finished = true
	f.mu.Unlock()
	return "/media/usb/WKC-20260314-093000-abc123.json", nil
}
func (f *fakeCeremony) Abort(step, reason string) (string, error) {
	f.log("abort " + step)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished, f.aborted = true, step+": "+reason
	what := "no key had been made"
	if f.keyMade {
		what = "key plings_master_key_v6 destroyed"
		f.keyMade = false
	}
	return "aborted at " + step + " (" + reason + "); " + what + "; transcript /media/usb/x.json", nil
}
func (f *fakeCeremony) Finished() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.finished }
