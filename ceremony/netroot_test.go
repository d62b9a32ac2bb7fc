package ceremony

import (
	"errors"
	"os"
	"testing"
)

// TestFixtureRootIsARehearsal: outside this package's tests, an offline
// check that reads files somewhere else than / (console ceremony run
// --net-root) proves nothing about the machine: the ceremony goes on only
// as a rehearsal, and its transcript cannot create a wallet.
func TestFixtureRootIsARehearsal(t *testing.T) {
	netRootIsMachine = false
	defer func() { netRootIsMachine = true }()
	e := newEnv(t, nil)
	must(e.c.LoadRequest(writeRequest(t, nil)))(t)
	rep, err := e.c.CheckOffline("")
	if err != nil {
		t.Fatalf("the fixture check refused outright: %v", err)
	}
	if !rep.Offline || !e.c.Rehearsal() {
		t.Fatalf("a fixture root was not made a rehearsal (offline %v, rehearsal %v)", rep.Offline, e.c.Rehearsal())
	}
	if last := e.lastEntry(); last.Event != EventOfflineOverride {
		t.Errorf("recorded %s, want %s", last.Event, EventOfflineOverride)
	}
	path, err := e.c.Abort("", "test over")
	if err != nil {
		t.Fatal(err)
	}
	_ = path
}

// TestVerifyRefusesACheckOfAnotherRoot: a transcript whose offline check read
// another root without being marked a rehearsal is refused.
func TestVerifyRefusesACheckOfAnotherRoot(t *testing.T) {
	e := newEnv(t, nil)
	must(e.c.LoadRequest(writeRequest(t, nil)))(t)
	must(e.c.CheckOffline(""))(t) // the test hook takes the fixture as the machine
	path, err := e.c.Abort("", "test over")
	if err != nil {
		t.Fatal(err)
	}
	data := must(os.ReadFile(path))(t)
	netRootIsMachine = false
	defer func() { netRootIsMachine = true }()
	_, err = Verify(data)
	if err == nil || !errors.Is(err, ErrEvidence) && !errors.Is(err, ErrHeaderMismatch) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("Verify accepted an offline check of another root: %v", err)
	}
	t.Log(err)
}
