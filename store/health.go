package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// HealthInput is one wallet's stored health inputs (model.HealthInput).
type HealthInput = model.HealthInput

// HealthInputs returns the inputs of every wallet in service: not retired,
// and past created and validated (a wallet before its rollout serves nothing
// whose health could be measured).
func (db *DB) HealthInputs(ctx context.Context) ([]HealthInput, error) {
	rows, err := db.pool.Query(ctx, healthInputsSQL)
	if err != nil {
		return nil, fmt.Errorf("health inputs: %w", explain(err))
	}
	return scanHealthInputs(rows)
}

// healthInputsSQL reads every monitored wallet's latest daily metrics and
// open alerts.
const healthInputsSQL = `
		SELECT w.version_id, w.version_name, w.status, w.environment,
		       m.metric_date::timestamptz, m.path_allocation_avg_ms::float8, m.signature_avg_ms::float8,
		       m.hsm_response_avg_ms::float8, coalesce(m.error_count, 0), coalesce(m.request_count, 0),
		       (SELECT count(*) FROM security_alerts a WHERE a.wallet_version = w.version_id
		           AND a.status IN ('open', 'acknowledged') AND a.severity = 'warning')::int,
		       (SELECT count(*) FROM security_alerts a WHERE a.wallet_version = w.version_id
		           AND a.status IN ('open', 'acknowledged') AND a.severity = 'critical')::int
		  FROM wallet_versions w
		  LEFT JOIN LATERAL (SELECT * FROM wallet_health_metrics hm WHERE hm.wallet_version = w.version_id
		                      ORDER BY hm.metric_date DESC LIMIT 1) m ON true
		 WHERE w.status NOT IN ('retired', 'created', 'validated')
		 ORDER BY w.version_id`

func scanHealthInputs(rows pgx.Rows) ([]HealthInput, error) {
	ms := func(f *float64) *time.Duration {
		if f == nil {
			return nil
		}
		d := time.Duration(*f * float64(time.Millisecond))
		return &d
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HealthInput, error) {
		var h HealthInput
		var alloc, sig, hsmAvg *float64
		err := r.Scan(&h.Version, &h.Name, &h.Status, &h.Environment, &h.MetricDate, &alloc, &sig, &hsmAvg, &h.Errors, &h.Requests,
			&h.OpenWarnings, &h.OpenCritical)
		h.AllocationAvg, h.SignatureAvg, h.HSMResponseAvg = ms(alloc), ms(sig), ms(hsmAvg)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("health inputs: %w", explain(err))
	}
	return out, nil
}

// HealthPoint is one stored check result (model.HealthPoint).
type HealthPoint = model.HealthPoint

// HealthHistory returns, for every wallet that is not retired, the latest n
// stored results of each of the six checks, oldest first within a wallet and
// check (ordered by wallet, then check in model.AllChecks order). Each
// (wallet, check) pair is one short index scan, so the cost does not grow
// with the length of the history.
func (db *DB) HealthHistory(ctx context.Context, n int) ([]HealthPoint, error) {
	if n < 1 {
		return nil, nil
	}
	names := make([]string, len(model.AllChecks))
	for i, c := range model.AllChecks {
		names[i] = string(c)
	}
	rows, err := db.pool.Query(ctx, `
		SELECT w.version_id, k.name, c.checked_at, c.state, c.value::float8
		  FROM wallet_versions w
		 CROSS JOIN unnest($1::text[]) WITH ORDINALITY AS k(name, ord)
		 CROSS JOIN LATERAL (
		        SELECT hc.checked_at, hc.state, hc.value FROM wallet_health_checks hc
		         WHERE hc.wallet_version = w.version_id AND hc.check_name = k.name
		         ORDER BY hc.checked_at DESC LIMIT $2) c
		 WHERE w.status <> 'retired'
		 ORDER BY w.version_id, k.ord, c.checked_at`, names, n)
	if err != nil {
		return nil, fmt.Errorf("health history: %w", explain(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HealthPoint, error) {
		var p HealthPoint
		var name, state string
		err := r.Scan(&p.Wallet, &name, &p.At, &state, &p.Value)
		p.Check, p.State = model.CheckName(name), model.HealthState(state)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("health history: %w", explain(err))
	}
	return out, nil
}
