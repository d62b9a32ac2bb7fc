package ops

// This file: the migration worker (`console migration run`, or a
// background job of the console): batches in a loop, their size adapted
// to a target batch time (pt-online-schema-change's --chunk-time), held
// back while the database is loaded or allocations are slow, with the
// reason recorded where every screen reads it. Several workers may run;
// the database gives each batch its own rows (SKIP LOCKED).

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/plings/walletconsole/store"
)

// MigrationWorker is the loop's settings. The zero value of a limit turns
// that throttle off.
type MigrationWorker struct {
	// ID is the migration to work on; 0: every one running or rolling back.
	ID int64
	// ChunkTime is the batch time aimed at (default 0.5 s).
	ChunkTime time.Duration
	// Batch is the first batch's size (default: the migration's own).
	Batch              int
	MinBatch, MaxBatch int // default 100 and 50,000
	// MaxActive: throttle while more other sessions run a statement.
	MaxActive int
	// MaxWaiting: throttle while more sessions wait for a lock (default 8).
	MaxWaiting int
	// OwnLoad: MaxActive and MaxWaiting were given for this worker; without
	// it a migration's own limits (console migration start --max-load),
	// where it has them, come first.
	OwnLoad bool
	// MaxAllocationMs: throttle while the identifier service reports
	// allocations slower than this in either wallet (its last minute).
	MaxAllocationMs float64
	// MaxProbe: throttle while a probe of the target's index takes longer.
	MaxProbe time.Duration
	// Workers is how many loops run side by side (default 1).
	Workers int
	// Follow keeps the worker waiting for work when none is left (systemd).
	Follow bool
	// Poll is the wait while paused, throttled or idle (default 1 s).
	Poll time.Duration
	// OnEvent is told of each batch, throttle and wait (may be nil).
	OnEvent func(WorkerEvent)
}

// WorkerEvent is one thing the worker did.
type WorkerEvent struct {
	Migration int64
	Batch     store.BatchResult // zero unless a batch ran
	Size      int               // the batch size asked for
	Took      time.Duration
	Throttle  string // the reason the worker held back, when it did
	Wait      string // why it waits (paused, the operator's throttle)
	Err       error  // a batch failed and will be retried
}

// DefaultChunkTime is the batch time the worker aims at.
const DefaultChunkTime = 500 * time.Millisecond

func (w *MigrationWorker) defaults() {
	if w.ChunkTime <= 0 {
		w.ChunkTime = DefaultChunkTime
	}
	if w.MinBatch <= 0 {
		w.MinBatch = 100
	}
	if w.MaxBatch <= 0 {
		w.MaxBatch = 50000
	}
	if w.Poll <= 0 {
		w.Poll = time.Second
	}
}

func (w *MigrationWorker) emit(e WorkerEvent) {
	if w.OnEvent != nil {
		w.OnEvent(e)
	}
}

// RunMigrations runs the worker until its work is done: migration w.ID
// moved (or rolled back), or, without an ID, none left running (with
// Follow, until ctx ends). A refusal of the database (the target went bad,
// the migration is gone) ends it with that error; a batch that failed on a
// lock or a lost connection is retried with a smaller size, up to ten
// times in a row. With Workers > 1, that many loops run side by side, each
// on its own connection and batches (the database gives each its rows);
// the first decides when to hold back, for all of them, and the others run
// only while no other session is busy.
func (s *Service) RunMigrations(ctx context.Context, w MigrationWorker) error {
	w.defaults()
	var mu sync.Mutex
	if on := w.OnEvent; on != nil {
		w.OnEvent = func(e WorkerEvent) { mu.Lock(); defer mu.Unlock(); on(e) }
	}
	pool := &workerPool{throttled: map[int64]string{}}
	if w.Workers <= 1 {
		return s.workLoop(ctx, &w, pool, true)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, w.Workers)
	for i := range w.Workers {
		go func() {
			err := s.workLoop(ctx, &w, pool, i == 0)
			if err != nil {
				cancel() // a refusal stops every loop: the others would only meet it too
			}
			errs <- err
		}()
	}
	var first error
	for range w.Workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// workerPool is what the loops of one worker share: the reason each
// migration is held back, decided by the first loop.
type workerPool struct {
	mu        sync.Mutex
	throttled map[int64]string
}

func (p *workerPool) reason(id int64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled[id]
}

func (p *workerPool) set(id int64, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if reason == "" {
		delete(p.throttled, id)
	} else {
		p.throttled[id] = reason
	}
}

// workLoop is one loop of batches; the leader also checks the load and
// records a throttle's reason where every screen reads it.
func (s *Service) workLoop(ctx context.Context, w *MigrationWorker, pool *workerPool, leader bool) error {
	sizes := map[int64]int{}
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil // stopped by the operator: the batch in flight committed or rolled back whole
		}
		todo, done, err := s.migrationsToRun(ctx, w.ID)
		if err != nil {
			if failures++; failures > 10 {
				return err
			}
			w.emit(WorkerEvent{Migration: w.ID, Err: err})
			_ = sleep(ctx, w.Poll)
			continue
		}
		if done {
			return nil
		}
		if len(todo) == 0 {
			if !w.Follow && w.ID == 0 {
				return nil
			}
			_ = sleep(ctx, w.Poll)
			continue
		}
		progressed := false
		for _, m := range todo {
			if !m.Moving() {
				if leader {
					w.emit(WorkerEvent{Migration: m.ID, Wait: m.Shown()})
				}
				continue
			}
			if !leader {
				if pool.reason(m.ID) != "" || s.busy(ctx, w.Workers) {
					continue
				}
			} else if reason := s.overloaded(ctx, *w, m); reason != "" {
				if pool.reason(m.ID) != reason {
					if _, err := s.DB.WorkerThrottle(ctx, m.ID, reason, s.Actor); err != nil {
						w.emit(WorkerEvent{Migration: m.ID, Err: err})
					}
					pool.set(m.ID, reason)
				}
				w.emit(WorkerEvent{Migration: m.ID, Throttle: reason})
				continue
			} else if pool.reason(m.ID) != "" {
				if _, err := s.DB.WorkerThrottle(ctx, m.ID, "", s.Actor); err != nil {
					w.emit(WorkerEvent{Migration: m.ID, Err: err})
				}
				pool.set(m.ID, "")
			}
			size := sizes[m.ID]
			if size == 0 {
				size = w.Batch
				if size == 0 {
					size = m.BatchSize
				}
				size = clampInt(size, w.MinBatch, w.MaxBatch)
			}
			t0 := time.Now()
			r, err := s.DB.MigrationBatch(ctx, m.ID, size, s.Actor)
			took := time.Since(t0)
			if err != nil {
				var rule *store.RuleError
				if errors.As(err, &rule) && rule.Code == "WLMIG" {
					return err
				}
				if ctx.Err() != nil {
					return nil
				}
				if failures++; failures > 10 {
					return fmt.Errorf("%w (ten batches in a row failed; the migration is as the last good batch left it, run again to carry on)", err)
				}
				sizes[m.ID] = clampInt(size/2, w.MinBatch, w.MaxBatch)
				w.emit(WorkerEvent{Migration: m.ID, Size: size, Took: took, Err: err})
				_ = sleep(ctx, w.Poll)
				continue
			}
			failures = 0
			if r.BatchNo > 0 {
				progressed = true
				sizes[m.ID] = nextBatchSize(size, r.Moved, took, w.ChunkTime, w.MinBatch, w.MaxBatch)
			}
			if r.State == "throttled" || r.State == "paused" {
				w.emit(WorkerEvent{Migration: m.ID, Batch: r, Wait: r.State})
				continue
			}
			w.emit(WorkerEvent{Migration: m.ID, Batch: r, Size: size, Took: took})
		}
		if !progressed {
			_ = sleep(ctx, w.Poll)
		}
	}
}

// busy says whether sessions other than the worker's own loops are running
// a statement: the loops beyond the first use only spare capacity, so that
// allocations keep the cores they need (on two cores, a second loop beside
// eight allocators put their p99 from 24 ms to 81 ms).
func (s *Service) busy(ctx context.Context, workers int) bool {
	l, err := s.DB.Load(ctx)
	return err != nil || l.Active > workers-1
}

// migrationsToRun reads the migrations to work on. done is true when the
// one asked for has nothing more to do in its direction.
func (s *Service) migrationsToRun(ctx context.Context, id int64) ([]Migration, bool, error) {
	if id != 0 {
		m, err := s.Migration(ctx, id)
		if err != nil {
			return nil, false, err
		}
		switch m.State {
		case "moved", "completed", "rolled_back", "failed":
			return nil, true, nil
		}
		return []Migration{m}, false, nil
	}
	all, err := s.Migrations(ctx)
	if err != nil {
		return nil, false, err
	}
	var out []Migration
	for _, m := range all {
		if m.Moving() {
			out = append(out, m)
		}
	}
	return out, false, nil
}

// overloaded says why the worker should hold back now ("" : it need not).
func (s *Service) overloaded(ctx context.Context, w MigrationWorker, m Migration) string {
	if !w.OwnLoad {
		if m.MaxWaiting != nil {
			w.MaxWaiting = *m.MaxWaiting
		}
		if m.MaxActive != nil {
			w.MaxActive = *m.MaxActive
		}
	}
	if w.MaxActive > 0 || w.MaxWaiting > 0 {
		l, err := s.DB.Load(ctx)
		if err == nil {
			if w.MaxWaiting > 0 && l.Waiting >= w.MaxWaiting {
				return fmt.Sprintf("database load: %d sessions wait for a lock (limit %d)", l.Waiting, w.MaxWaiting)
			}
			if w.MaxActive > 0 && l.Active >= w.MaxActive {
				return fmt.Sprintf("database load: %d sessions running a statement (limit %d)", l.Active, w.MaxActive)
			}
		}
	}
	if w.MaxAllocationMs > 0 {
		if v, ms, err := s.DB.SlowestRecentAllocation(ctx, []int{m.Source, m.Target}); err == nil && ms > w.MaxAllocationMs {
			return fmt.Sprintf("allocation latency: %.0f ms in v%d over the last minute (limit %.0f ms)", ms, v, w.MaxAllocationMs)
		}
	}
	if w.MaxProbe > 0 {
		if took, err := s.DB.ProbeAllocationIndex(ctx, m.Target); err == nil && took > w.MaxProbe {
			return fmt.Sprintf("allocation latency: a probe of v%d's paths took %s (limit %s)", m.Target, took.Round(time.Millisecond), w.MaxProbe)
		}
	}
	return ""
}

// nextBatchSize aims the next batch at the target time: the rate of this
// one times the target, moving at most by half or double per batch (a
// batch that found fewer rows than asked says nothing about time per row
// beyond those).
func nextBatchSize(size, moved int, took, target time.Duration, lo, hi int) int {
	if took <= 0 || moved <= 0 {
		return size
	}
	want := int(float64(moved) * float64(target) / float64(took))
	want = clampInt(want, size/2, size*2)
	return clampInt(want, lo, hi)
}

func clampInt(n, lo, hi int) int {
	return max(lo, min(hi, n))
}
