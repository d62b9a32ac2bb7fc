package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// HealthInput is what the database knows for one wallet's health checks: the
// latest daily metrics (seed 001's wallet_health_metrics) and open alerts.
type HealthInput struct {
	Version        int
	Name           string
	Status         string
	MetricDate     *time.Time // nil: no metrics recorded yet
	AllocationAvg  *time.Duration
	SignatureAvg   *time.Duration
	HSMResponseAvg *time.Duration
	Errors         int64
	Requests       int64
	OpenWarnings   int
	OpenCritical   int
}

// HealthInputs returns the inputs of every wallet that is not retired.
func (db *DB) HealthInputs(ctx context.Context) ([]HealthInput, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT w.version_id, w.version_name, w.status,
		       m.metric_date::timestamptz, m.path_allocation_avg_ms::float8, m.signature_avg_ms::float8,
		       m.hsm_response_avg_ms::float8, coalesce(m.error_count, 0), coalesce(m.request_count, 0),
		       (SELECT count(*) FROM security_alerts a WHERE a.wallet_version = w.version_id
		           AND a.status IN ('open', 'acknowledged') AND a.severity = 'warning')::int,
		       (SELECT count(*) FROM security_alerts a WHERE a.wallet_version = w.version_id
		           AND a.status IN ('open', 'acknowledged') AND a.severity = 'critical')::int
		  FROM wallet_versions w
		  LEFT JOIN LATERAL (SELECT * FROM wallet_health_metrics hm WHERE hm.wallet_version = w.version_id
		                      ORDER BY hm.metric_date DESC LIMIT 1) m ON true
		 WHERE w.status <> 'retired'
		 ORDER BY w.version_id`)
	if err != nil {
		return nil, fmt.Errorf("health inputs: %w", explain(err))
	}
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
		err := r.Scan(&h.Version, &h.Name, &h.Status, &h.MetricDate, &alloc, &sig, &hsmAvg, &h.Errors, &h.Requests,
			&h.OpenWarnings, &h.OpenCritical)
		h.AllocationAvg, h.SignatureAvg, h.HSMResponseAvg = ms(alloc), ms(sig), ms(hsmAvg)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("health inputs: %w", explain(err))
	}
	return out, nil
}
