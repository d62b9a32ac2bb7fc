// Package jobs runs the console's long work: a job has an id, a title,
// progress and a cancel, and belongs to the App, not to the screen that
// started it, so it keeps running (and reporting in the header) while the
// operator looks at other screens. There is no overall timeout: the work
// bounds each of its own calls.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Progress is what a job reports as it goes. Total 0 means the amount of
// work is not known (the header shows the note only).
type Progress struct {
	Done, Total int64
	Note        string
}

// Percent is Done as a share of Total, or -1 when Total is unknown.
func (p Progress) Percent() int {
	if p.Total <= 0 {
		return -1
	}
	return int(min(p.Done*100/p.Total, 100))
}

// State is where a job stands.
type State int

const (
	Running State = iota
	Done
	Failed
	Cancelled
)

func (s State) String() string {
	return [...]string{"running", "done", "failed", "cancelled"}[s]
}

// Func is a job's work. It reports progress through report (cheap to call
// often: only the latest report reaches the screen) and returns its result.
// It must return soon after ctx is cancelled.
type Func func(ctx context.Context, report func(Progress)) (any, error)

// Job is one piece of running or finished work.
type Job struct {
	ID       int
	Title    string
	Started  time.Time
	Finished time.Time
	State    State
	Progress Progress
	Result   any
	Err      error
	// Tag says what the job is to the screens that look for it (a
	// migration's worker); "" for none. Set by the starter, UI goroutine only.
	Tag string

	cancel   context.CancelFunc
	stopping bool // Cancel was asked (UI goroutine only)
	mu       sync.Mutex
	latest   Progress
	kick     chan struct{} // a report is waiting
	done     chan doneMsg
}

// Messages the App routes back to the Manager (and on to every screen, so
// the one that started a job can show its result).
type (
	// ProgressMsg says a job reported progress.
	ProgressMsg struct {
		ID       int
		Progress Progress
	}
	// DoneMsg says a job finished (its State says how).
	DoneMsg struct {
		ID     int
		State  State
		Result any
		Err    error
	}
)

type doneMsg struct {
	result any
	err    error
}

// Manager holds the App's jobs. It is used from the UI goroutine only (the
// work runs in its own goroutine and talks back through messages).
type Manager struct {
	ctx    context.Context
	now    func() time.Time
	nextID int
	jobs   []*Job
	// live counts the jobs' goroutines still running their work.
	live sync.WaitGroup
}

// NewManager returns a manager whose jobs are cancelled with ctx.
func NewManager(ctx context.Context, now func() time.Time) *Manager {
	if now == nil {
		now = time.Now
	}
	return &Manager{ctx: ctx, now: now}
}

// Start runs fn as a new job and returns it with the command that delivers
// its messages.
func (m *Manager) Start(title string, fn Func) (*Job, tea.Cmd) {
	m.nextID++
	ctx, cancel := context.WithCancel(m.ctx)
	j := &Job{ID: m.nextID, Title: title, Started: m.now(), cancel: cancel,
		kick: make(chan struct{}, 1), done: make(chan doneMsg, 1)}
	m.jobs = append(m.jobs, j)
	report := func(p Progress) {
		j.mu.Lock()
		j.latest = p
		j.mu.Unlock()
		select {
		case j.kick <- struct{}{}:
		default: // a report is already waiting: it will carry this one
		}
	}
	m.live.Add(1)
	go func() {
		defer m.live.Done()
		var d doneMsg
		func() {
			defer func() {
				// A job's bug must not take the console down with it.
				if r := recover(); r != nil {
					slog.Error("job panicked", "job", j.ID, "title", j.Title, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					d = doneMsg{err: errors.New("the job stopped on an internal error (see the log)")}
				}
			}()
			d.result, d.err = fn(ctx, report)
		}()
		j.done <- d
	}()
	return j, m.wait(j)
}

// wait delivers a job's next message.
func (m *Manager) wait(j *Job) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-j.kick:
			j.mu.Lock()
			p := j.latest
			j.mu.Unlock()
			return ProgressMsg{ID: j.ID, Progress: p}
		case d := <-j.done:
			st := Done
			if d.err != nil {
				st = Failed
			}
			return DoneMsg{ID: j.ID, State: st, Result: d.result, Err: d.err}
		}
	}
}

// Update takes a job message and returns the command for the next one.
func (m *Manager) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ProgressMsg:
		j := m.Get(msg.ID)
		if j == nil || j.State != Running {
			return nil
		}
		j.Progress = msg.Progress
		return m.wait(j)
	case DoneMsg:
		j := m.Get(msg.ID)
		if j == nil {
			return nil
		}
		// Work that ends in an error after a cancel was cancelled, whatever
		// the error says; work that finished despite a cancel is done.
		if msg.State == Failed && (j.stopping || errors.Is(msg.Err, context.Canceled)) {
			msg.State = Cancelled
		}
		j.State = msg.State
		j.Result, j.Err, j.Finished = msg.Result, msg.Err, m.now()
		j.cancel()
		// The report that may still be waiting is stale now.
		select {
		case <-j.kick:
		default:
		}
	}
	return nil
}

// Get returns the job with id, or nil.
func (m *Manager) Get(id int) *Job {
	for _, j := range m.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// Running returns the jobs still running, oldest first.
func (m *Manager) Running() []*Job {
	var out []*Job
	for _, j := range m.jobs {
		if j.State == Running {
			out = append(out, j)
		}
	}
	return out
}

// Tagged returns the running job with tag, or nil.
func (m *Manager) Tagged(tag string) *Job {
	if m == nil {
		return nil
	}
	for _, j := range m.jobs {
		if j.State == Running && j.Tag == tag && tag != "" {
			return j
		}
	}
	return nil
}

// Wait waits, at most timeout, for the work of every job to return (after
// a cancel: quitting lets a batch in flight commit or roll back before the
// process ends). It reports whether all returned.
func (m *Manager) Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		m.live.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Cancel asks a running job to stop; its DoneMsg follows.
func (m *Manager) Cancel(id int) bool {
	j := m.Get(id)
	if j == nil || j.State != Running {
		return false
	}
	j.stopping = true
	j.cancel()
	return true
}
