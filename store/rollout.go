package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// This file: the rollout (the deployment's state machine) through the
// schema's wallet_rollout_* functions, which check, change and write the
// audit row in one transaction; console roles have no table grants.

// RolloutPlan is what `deploy start` asks for.
type RolloutPlan struct {
	Steps        []model.RolloutStep
	Interval     time.Duration // between measurements
	FailureLimit int           // failed measurements of one metric in a step that fail it
	OnFailure    string        // "rollback" or "pause"
	GateTimeout  time.Duration // a gate left waiting longer aborts the rollout
	Thresholds   model.Thresholds
}

// StartRollout makes wallet deployed (from validated) and its rollout,
// waiting for the go gate.
func (db *DB) StartRollout(ctx context.Context, version int, p RolloutPlan, actor string) (int64, error) {
	weights := make([]int32, len(p.Steps))
	dwells := make([]time.Duration, len(p.Steps))
	for i, s := range p.Steps {
		weights[i], dwells[i] = int32(s.Weight), s.Dwell
	}
	var id int64
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT wallet_rollout_start($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			version, weights, dwells, p.Interval, p.FailureLimit, p.OnFailure, p.GateTimeout,
			p.Thresholds.ErrorRateWarning, float64(p.Thresholds.PathAllocation)/float64(time.Millisecond),
			float64(p.Thresholds.Signature)/float64(time.Millisecond), actor).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("deploy start %s: %w", model.VersionName(version), err)
	}
	return id, nil
}

// rolloutCall runs one of the state-changing functions, which return the
// rollout's state after it.
func (db *DB) rolloutCall(ctx context.Context, what string, version int, sql string, args ...any) (model.RolloutState, error) {
	var st string
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, sql, args...).Scan(&st)
	})
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, model.VersionName(version), err)
	}
	return model.RolloutState(st), nil
}

// ApproveGate passes gate ("go" or "promotion") as this login; the
// database refuses the login that started the rollout. A gate past its
// deadline aborts the rollout instead (the returned state says so).
func (db *DB) ApproveGate(ctx context.Context, version int, gate, reason, actor string) (model.RolloutState, error) {
	return db.rolloutCall(ctx, "deploy approve", version, "SELECT wallet_rollout_approve($1, $2, $3, $4)", version, gate, reason, actor)
}

// PauseRollout, ResumeRollout, PromoteRollout and AbortRollout are the
// operator's controls; each is refused where it makes no sense.
func (db *DB) PauseRollout(ctx context.Context, version int, reason, actor string) (model.RolloutState, error) {
	return db.rolloutCall(ctx, "deploy pause", version, "SELECT wallet_rollout_pause($1, $2, $3)", version, reason, actor)
}

func (db *DB) ResumeRollout(ctx context.Context, version int, reason, actor string) (model.RolloutState, error) {
	return db.rolloutCall(ctx, "deploy resume", version, "SELECT wallet_rollout_resume($1, $2, $3)", version, reason, actor)
}

func (db *DB) PromoteRollout(ctx context.Context, version int, reason, actor string) (model.RolloutState, error) {
	return db.rolloutCall(ctx, "deploy promote", version, "SELECT wallet_rollout_promote($1, $2, $3)", version, reason, actor)
}

func (db *DB) AbortRollout(ctx context.Context, version int, reason, actor string) (model.RolloutState, error) {
	return db.rolloutCall(ctx, "deploy abort", version, "SELECT wallet_rollout_abort($1, $2, $3)", version, reason, actor)
}

// ExpireGate aborts the rollout when its gate waited past the deadline.
func (db *DB) ExpireGate(ctx context.Context, version int, actor string) (model.RolloutState, error) {
	return db.rolloutCall(ctx, "deploy run", version, "SELECT wallet_rollout_expire($1, $2)", version, actor)
}

// Measure takes one measurement round of step (the database reads the
// per-minute metrics and applies the failure limit); probe is the
// controller's live HSM signature time, when it made one.
func (db *DB) Measure(ctx context.Context, version, step int, probe *time.Duration, probeErr error, actor string) (model.RolloutState, error) {
	var ms *float64
	if probe != nil {
		v := float64(*probe) / float64(time.Millisecond)
		ms = &v
	}
	var perr *string
	if probeErr != nil {
		s := probeErr.Error()
		perr = &s
	}
	return db.rolloutCall(ctx, "deploy run", version, "SELECT wallet_rollout_measure($1, $2, $3, $4, $5)", version, step, ms, perr, actor)
}

// Advance ends step: the next step, the promotion gate, or done. A
// *RuleError says why the step is not done yet.
func (db *DB) Advance(ctx context.Context, version, step int, actor string) (model.RolloutState, error) {
	return db.rolloutCall(ctx, "deploy run", version, "SELECT wallet_rollout_advance($1, $2, $3)", version, step, actor)
}

// ErrRolloutNotFound is returned (wrapped) for a wallet without a rollout.
var ErrRolloutNotFound = errors.New("no rollout")

// Rollout reads the wallet's latest rollout, its measurements and the
// traffic shares, with the database's clock.
func (db *DB) Rollout(ctx context.Context, version int) (*model.Rollout, error) {
	r := &model.Rollout{Shares: map[int]float64{}}
	var weights []int32
	var dwellMs []int64
	var intervalMs, gateMs int64
	var gate, goBy, promBy *string
	err := db.pool.QueryRow(ctx, `
		SELECT id, wallet_version, from_wallet, step_weights,
		       ARRAY(SELECT (extract(epoch FROM d) * 1000)::bigint FROM unnest(step_dwells) d),
		       (extract(epoch FROM measure_interval) * 1000)::bigint, failure_limit, on_failure,
		       (extract(epoch FROM gate_timeout) * 1000)::bigint, max_error_rate::float8, max_allocation_ms::float8,
		       max_signature_ms::float8, current_step, step_started_at, analysis_since, paused_at, state, reason,
		       gate, gate_deadline, go_approved_by, go_approved_at, promotion_approved_by, promotion_approved_at,
		       started_by, started_at, finished_at, now()
		  FROM wallet_rollouts WHERE wallet_version = $1 ORDER BY id DESC LIMIT 1`, version).Scan(
		&r.ID, &r.Wallet, &r.From, &weights, &dwellMs, &intervalMs, &r.FailureLimit, &r.OnFailure, &gateMs,
		&r.MaxErrorRate, &r.MaxAllocMs, &r.MaxSigMs, &r.Step, &r.StepStarted, &r.AnalysisFrom, &r.PausedAt,
		&r.State, &r.Reason, &gate, &r.GateDeadline, &goBy, &r.GoAt, &promBy, &r.PromotionAt,
		&r.StartedBy, &r.StartedAt, &r.FinishedAt, &r.Now)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", model.VersionName(version), ErrRolloutNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read the rollout of %s: %w", model.VersionName(version), explain(err))
	}
	for i := range weights {
		r.Steps = append(r.Steps, model.RolloutStep{Weight: int(weights[i]), Dwell: time.Duration(dwellMs[i]) * time.Millisecond})
	}
	r.Interval, r.GateTimeout = time.Duration(intervalMs)*time.Millisecond, time.Duration(gateMs)*time.Millisecond
	r.Gate, r.GoBy, r.PromotionBy = deref(gate), deref(goBy), deref(promBy)
	rows, err := db.pool.Query(ctx, `SELECT measured_at, step, weight, metric, value::float8, threshold::float8, passed, detail
		FROM wallet_rollout_measurements WHERE rollout_id = $1 ORDER BY id`, r.ID)
	if err != nil {
		return nil, fmt.Errorf("read the measurements of %s: %w", model.VersionName(version), explain(err))
	}
	for rows.Next() {
		var m model.RolloutMeasurement
		if err := rows.Scan(&m.At, &m.Step, &m.Weight, &m.Metric, &m.Value, &m.Threshold, &m.Passed, &m.Detail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the measurements of %s: %w", model.VersionName(version), err)
		}
		r.Measurements = append(r.Measurements, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the measurements of %s: %w", model.VersionName(version), explain(err))
	}
	if r.Shares, err = db.TrafficShares(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// TrafficShares is wallet_traffic_share: wallet → percent.
func (db *DB) TrafficShares(ctx context.Context) (map[int]float64, error) {
	out := map[int]float64{}
	rows, err := db.pool.Query(ctx, "SELECT wallet_version, traffic_percentage::float8 FROM wallet_traffic_share")
	if err != nil {
		return nil, fmt.Errorf("read the traffic shares: %w", explain(err))
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var p float64
		if err := rows.Scan(&v, &p); err != nil {
			return nil, fmt.Errorf("read the traffic shares: %w", err)
		}
		out[v] = p
	}
	return out, rows.Err()
}

// deref is *s, or "" for nil (a NULL column).
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ControllerLock is a rollout controller's hold on one rollout: a
// session-level lock on a connection of its own, released by Release or
// when the process dies (the database drops its session).
type ControllerLock struct {
	conn    *pgx.Conn
	version int
}

// ErrControllerHeld is returned (wrapped) when another controller drives
// the rollout.
var ErrControllerHeld = errors.New("another controller drives this rollout")

// LockController takes the rollout's controller lock, or says who holds it.
func (db *DB) LockController(ctx context.Context, version int) (*ControllerLock, error) {
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploy run %s: %w", model.VersionName(version), explain(err))
	}
	// Out of the pool: the lock belongs to this session alone, and no other
	// caller may be handed the connection while it is held.
	conn := pc.Hijack()
	var holder *string
	if err := conn.QueryRow(ctx, "SELECT wallet_rollout_lock($1)", version).Scan(&holder); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("deploy run %s: %w", model.VersionName(version), explain(err))
	}
	if holder != nil {
		conn.Close(context.WithoutCancel(ctx))
		vn := model.VersionName(version)
		return nil, fmt.Errorf("deploy run %s: %w: %s holds its controller lock; nothing was done. "+
			"Watch it with console deploy status %s, or stop that controller first", vn, ErrControllerHeld, *holder, vn)
	}
	return &ControllerLock{conn: conn, version: version}, nil
}

// Release gives the lock back (closing its session).
func (l *ControllerLock) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.conn.Exec(ctx, "SELECT wallet_rollout_unlock($1)", l.version)
	_ = l.conn.Close(ctx)
	l.conn = nil
}

// MinuteMetric is one per-minute row as the identifier service writes it.
type MinuteMetric struct {
	Minute       time.Time `json:"minute"`
	Requests     int64     `json:"requests"`
	Errors       int64     `json:"errors"`
	AllocationMs float64   `json:"allocation_ms"`
	SignatureMs  float64   `json:"signature_ms"`
}

// RecordMinuteMetrics writes per-minute metrics of wallet (upserting each
// minute), marked simulated when they are; one audit row.
func (db *DB) RecordMinuteMetrics(ctx context.Context, version int, rows []MinuteMetric, simulated bool, actor string) (int64, error) {
	body, err := json.Marshal(rows)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", model.VersionName(version), err)
	}
	var seq int64
	err = db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT wallet_record_minute_metrics($1, $2, $3, $4)", version, body, simulated, actor).Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record metrics of %s: %w", model.VersionName(version), err)
	}
	return seq, nil
}
