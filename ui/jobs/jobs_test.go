package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// drive runs the manager's commands the way the Bubble Tea loop does, until
// the job is no longer running, and returns every message it saw.
func drive(t *testing.T, m *Manager, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var seen []tea.Msg
	deadline := time.After(10 * time.Second)
	for cmd != nil {
		ch := make(chan tea.Msg, 1)
		go func() { ch <- cmd() }()
		select {
		case msg := <-ch:
			seen = append(seen, msg)
			cmd = m.Update(msg)
		case <-deadline:
			t.Fatal("the job never finished")
		}
	}
	return seen
}

func TestJobReportsProgressAndResult(t *testing.T) {
	m := NewManager(context.Background(), nil)
	step := make(chan struct{})
	j, cmd := m.Start("count", func(ctx context.Context, report func(Progress)) (any, error) {
		for i := int64(1); i <= 3; i++ {
			<-step
			report(Progress{Done: i, Total: 3, Note: "counting"})
		}
		return "three", nil
	})
	if len(m.Running()) != 1 || j.ID != 1 || j.Title != "count" {
		t.Fatalf("started job: %+v, running %d", j, len(m.Running()))
	}
	go func() {
		for range 3 {
			step <- struct{}{}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	seen := drive(t, m, cmd)
	last, ok := seen[len(seen)-1].(DoneMsg)
	if !ok || last.State != Done || last.Result != "three" {
		t.Fatalf("last message %#v, want done with its result", seen[len(seen)-1])
	}
	if j.State != Done || j.Result != "three" || len(m.Running()) != 0 {
		t.Fatalf("job after: %+v", j)
	}
	progress := 0
	for _, msg := range seen {
		if p, ok := msg.(ProgressMsg); ok {
			progress++
			if p.Progress.Total != 3 {
				t.Fatalf("progress %+v", p)
			}
		}
	}
	if progress == 0 {
		t.Fatal("no progress reached the UI")
	}
}

func TestCancelStopsTheJob(t *testing.T) {
	m := NewManager(context.Background(), nil)
	started := make(chan struct{})
	j, cmd := m.Start("wait", func(ctx context.Context, report func(Progress)) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, errors.New("stopped: " + ctx.Err().Error())
	})
	<-started
	if !m.Cancel(j.ID) {
		t.Fatal("Cancel refused a running job")
	}
	drive(t, m, cmd)
	if j.State != Cancelled {
		t.Fatalf("state %v, want cancelled", j.State)
	}
	if m.Cancel(j.ID) {
		t.Fatal("Cancel accepted a finished job")
	}
}

func TestFailureAndPanicAreFailures(t *testing.T) {
	m := NewManager(context.Background(), nil)
	j1, c1 := m.Start("fail", func(context.Context, func(Progress)) (any, error) { return nil, errors.New("boom") })
	drive(t, m, c1)
	j2, c2 := m.Start("panic", func(context.Context, func(Progress)) (any, error) { panic("bug") })
	drive(t, m, c2)
	if j1.State != Failed || j1.Err.Error() != "boom" {
		t.Fatalf("j1 %+v", j1)
	}
	if j2.State != Failed || j2.Err == nil {
		t.Fatalf("j2 %+v: a panic must end the job as failed, not the console", j2)
	}
	if j2.ID != 2 {
		t.Fatalf("ids: %d", j2.ID)
	}
}

func TestManyReportsCoalesce(t *testing.T) {
	m := NewManager(context.Background(), nil)
	_, cmd := m.Start("flood", func(ctx context.Context, report func(Progress)) (any, error) {
		for i := int64(1); i <= 100000; i++ {
			report(Progress{Done: i, Total: 100000})
		}
		return nil, nil
	})
	seen := drive(t, m, cmd)
	if len(seen) > 10000 {
		t.Fatalf("%d messages for 100,000 reports: reports must coalesce", len(seen))
	}
}

// A tagged job is found by its tag while it runs; Wait returns once the
// work of every cancelled job has returned, and says when it did not.
func TestTaggedAndWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := NewManager(ctx, nil)
	returned := make(chan struct{})
	j, cmd := m.Start("worker", func(ctx context.Context, report func(Progress)) (any, error) {
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // the batch in flight ends
		close(returned)
		return nil, ctx.Err()
	})
	j.Tag = "migration-worker/3"
	if m.Tagged("migration-worker/3") != j || m.Tagged("migration-worker/4") != nil || m.Tagged("") != nil {
		t.Fatal("Tagged does not find the running job by its tag only")
	}
	if m.Wait(10 * time.Millisecond) {
		t.Fatal("Wait reported a running job as returned")
	}
	cancel()
	if !m.Wait(5 * time.Second) {
		t.Fatal("Wait timed out after the cancel")
	}
	select {
	case <-returned:
	default:
		t.Fatal("Wait returned before the work did")
	}
	drive(t, m, cmd)
	if m.Tagged("migration-worker/3") != nil {
		t.Fatal("a finished job is still found by its tag")
	}
	var none *Manager
	if none.Tagged("x") != nil {
		t.Fatal("a nil manager has jobs")
	}
}
