package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
)

// This file: what the validation suite (ops.Validate) reads and rehearses in
// the database, and the one call that records a passed run (migration
// "validation": wallet_record_validation).

// ValidationFacts is what the suite checks a wallet against.
type ValidationFacts struct {
	Version     int
	Name        string
	Status      model.Status
	CreatedAt   time.Time
	KeyLabel    string // wallet_versions.master_key_id
	Fingerprint string // wallet_versions.public_key_fingerprint ("" when none)

	HasCeremony         bool
	CeremonyID          string
	CeremonyFingerprint string
	CeremonyTokenSerial string // "" when the import did not record it
	BackupProven        bool
	Proofs              []ProofFact

	RequestID   string // "" when the wallet has no creation request (the demo's)
	RequestedBy string
	Required    []string
	Approvals   []ApprovalFact
}

// ProofFact is one backup proof of the wallet's ceremony.
type ProofFact struct {
	Token, Serial, Model string
}

// ApprovalFact is one decision on the wallet's creation request.
type ApprovalFact struct {
	Role, Approver, Decision string
}

// ValidationFacts reads the wallet, its ceremony and proofs, and the
// request and decisions behind it. A wallet that does not exist wraps
// ErrNotFound.
func (db *DB) ValidationFacts(ctx context.Context, version int) (ValidationFacts, error) {
	f := ValidationFacts{Version: version, Name: model.VersionName(version)}
	var status string
	var req, by *string
	var ceremony, cfp, cserial *string
	var proven *bool
	err := db.pool.QueryRow(ctx, `
		SELECT w.status, w.created_at, w.master_key_id, coalesce(w.public_key_fingerprint, ''),
		       k.ceremony_id, k.public_key_fingerprint, k.ceremony_token_serial, k.backup_proven,
		       w.creation_request_id, r.requested_by, coalesce(r.required_approvals, '{}')
		  FROM wallet_versions w
		  LEFT JOIN key_ceremonies k ON k.wallet_version = w.version_id
		  LEFT JOIN wallet_creation_requests r ON r.request_id = w.creation_request_id
		 WHERE w.version_id = $1`, version).Scan(&status, &f.CreatedAt, &f.KeyLabel, &f.Fingerprint,
		&ceremony, &cfp, &cserial, &proven, &req, &by, &f.Required)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("wallet %s is not in this database: %w (see `console status` for the wallets that exist)", f.Name, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("read %s for its validation: %w", f.Name, explain(err))
	}
	f.Status = model.Status(status)
	f.HasCeremony = ceremony != nil
	f.CeremonyID, f.CeremonyFingerprint, f.CeremonyTokenSerial = deref(ceremony), deref(cfp), deref(cserial)
	f.BackupProven = proven != nil && *proven
	f.RequestID, f.RequestedBy = deref(req), deref(by)

	rows, err := db.pool.Query(ctx, `SELECT p.backup_token, coalesce(p.backup_token_serial, ''), coalesce(p.backup_token_model, '')
		FROM key_ceremony_backup_proofs p JOIN key_ceremonies k ON k.ceremony_id = p.ceremony_id
		WHERE k.wallet_version = $1 ORDER BY p.backup_token`, version)
	if err != nil {
		return f, fmt.Errorf("read %s's backup proofs: %w", f.Name, explain(err))
	}
	var p ProofFact
	if _, err := pgx.ForEachRow(rows, []any{&p.Token, &p.Serial, &p.Model}, func() error {
		f.Proofs = append(f.Proofs, p)
		return nil
	}); err != nil {
		return f, fmt.Errorf("read %s's backup proofs: %w", f.Name, explain(err))
	}
	if f.RequestID != "" {
		rows, err := db.pool.Query(ctx, `SELECT approver_role, approver, decision FROM wallet_creation_approvals
			WHERE request_id = $1 ORDER BY approver_role`, f.RequestID)
		if err != nil {
			return f, fmt.Errorf("read the decisions on %s: %w", f.RequestID, explain(err))
		}
		var a ApprovalFact
		if _, err := pgx.ForEachRow(rows, []any{&a.Role, &a.Approver, &a.Decision}, func() error {
			f.Approvals = append(f.Approvals, a)
			return nil
		}); err != nil {
			return f, fmt.Errorf("read the decisions on %s: %w", f.RequestID, explain(err))
		}
	}
	return f, nil
}

// SchemaVersion is the schema version the database is at and the one this
// console carries (its embedded migrations).
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int32, err error) {
	if latest, err = latestVersion(); err != nil {
		return 0, 0, fmt.Errorf("schema: %w", err)
	}
	if err := db.pool.QueryRow(ctx, "SELECT version FROM "+versionTable).Scan(&current); err != nil {
		return 0, latest, fmt.Errorf("read the schema version: %w", explain(err))
	}
	return current, latest, nil
}

// PrefixSample is one allocation's stored HD derivation prefix.
type PrefixSample struct {
	Wallet int
	Path   string
	Prefix string
}

// SampleAllocations returns up to n of the wallet's allocations and up to
// 2n from the whole registry, from a random point of the random uuid key on
// (and round from its start): a random sample that reads only a few rows of
// the primary key's index however large the registry is.
func (db *DB) SampleAllocations(ctx context.Context, version, n int) ([]PrefixSample, error) {
	rows, err := db.pool.Query(ctx, `
		(SELECT wallet_version, base_path, hd_derivation_prefix FROM path_registry WHERE wallet_version = $1 ORDER BY id LIMIT $2)
		UNION
		(SELECT wallet_version, base_path, hd_derivation_prefix FROM path_registry WHERE id >= $3::uuid ORDER BY id LIMIT $2)
		UNION -- wrapping round when the random start is near the end
		(SELECT wallet_version, base_path, hd_derivation_prefix FROM path_registry WHERE id < $3::uuid ORDER BY id LIMIT $2)`,
		version, n, randomUUID())
	if err != nil {
		return nil, fmt.Errorf("sample allocations: %w", explain(err))
	}
	var out []PrefixSample
	var s PrefixSample
	_, err = pgx.ForEachRow(rows, []any{&s.Wallet, &s.Path, &s.Prefix}, func() error {
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sample allocations: %w", explain(err))
	}
	return out, nil
}

func randomUUID() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// CounterMismatch is a group whose counters (wallet_path_stats) differ from
// a recount of path_registry.
type CounterMismatch struct {
	Manufacturer             int
	Type, Status             string
	CountedPaths, CountedIDs int64
	CounterPaths, CounterIDs int64
}

// RecountPaths compares the wallet's counters with a recount of its paths,
// in one snapshot; it returns the groups recounted and those that differ.
func (db *DB) RecountPaths(ctx context.Context, version int) (groups int, bad []CounterMismatch, err error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, nil, fmt.Errorf("recount paths: %w", explain(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, err := tx.Query(ctx, `
		WITH c AS (SELECT manufacturer_index m, allocation_type t, status s, count(*) p, sum(quantity) i
		             FROM path_registry WHERE wallet_version = $1 GROUP BY 1, 2, 3),
		     k AS (SELECT manufacturer_index m, allocation_type t, status s, sum(paths) p, sum(identifiers) i
		             FROM wallet_path_stats WHERE wallet_version = $1 GROUP BY 1, 2, 3)
		SELECT coalesce(c.m, k.m), coalesce(c.t, k.t), coalesce(c.s, k.s),
		       coalesce(c.p, 0)::bigint, coalesce(c.i, 0)::bigint, coalesce(k.p, 0)::bigint, coalesce(k.i, 0)::bigint
		  FROM c FULL JOIN k ON (c.m, c.t, c.s) = (k.m, k.t, k.s)`, version)
	if err != nil {
		return 0, nil, fmt.Errorf("recount paths: %w", explain(err))
	}
	var m CounterMismatch
	_, err = pgx.ForEachRow(rows, []any{&m.Manufacturer, &m.Type, &m.Status, &m.CountedPaths, &m.CountedIDs, &m.CounterPaths, &m.CounterIDs}, func() error {
		// Groups emptied by moves keep a zero counter row: that is no difference.
		if m.CountedPaths == 0 && m.CounterPaths == 0 && m.CounterIDs == 0 {
			return nil
		}
		groups++
		if m.CountedPaths != m.CounterPaths || m.CountedIDs != m.CounterIDs {
			bad = append(bad, m)
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("recount paths: %w", explain(err))
	}
	return groups, bad, nil
}

// ViewerWrites lists every way the viewer role could change the schema's
// data, read from the catalog: a write privilege on a table or sequence, or
// EXECUTE on a SECURITY DEFINER function (which would run as the owner).
// Functions that are not SECURITY DEFINER run as the viewer, and trigger
// functions cannot be called: neither is listed.
func (db *DB) ViewerWrites(ctx context.Context) (checked int, found []string, err error) {
	rows, err := db.pool.Query(ctx, `
		SELECT 'table', c.relname, p.priv, has_table_privilege('wallet_viewer', c.oid, p.priv)
		  FROM pg_class c CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
		 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
		UNION ALL
		SELECT 'sequence', c.relname, p.priv, has_sequence_privilege('wallet_viewer', c.oid, p.priv)
		  FROM pg_class c CROSS JOIN unnest(ARRAY['USAGE', 'UPDATE']) p(priv)
		 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
		UNION ALL
		SELECT 'function', f.oid::regprocedure::text, 'EXECUTE', has_function_privilege('wallet_viewer', f.oid, 'EXECUTE')
		  FROM pg_proc f
		 -- A definer function that only reads (STABLE, as the activation's
		 -- checks) writes nothing: PostgreSQL refuses writes in it.
		 WHERE f.pronamespace = 'public'::regnamespace AND f.prosecdef AND f.prorettype <> 'trigger'::regtype
		   AND f.provolatile = 'v'
		UNION ALL
		SELECT 'schema', 'public', 'CREATE', has_schema_privilege('wallet_viewer', 'public', 'CREATE')`)
	if err != nil {
		return 0, nil, fmt.Errorf("read the viewer's privileges: %w", explain(err))
	}
	var kind, name, priv string
	var has bool
	_, err = pgx.ForEachRow(rows, []any{&kind, &name, &priv, &has}, func() error {
		checked++
		if has {
			found = append(found, fmt.Sprintf("%s on %s %s", priv, kind, name))
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("read the viewer's privileges: %w", explain(err))
	}
	sort.Strings(found)
	return checked, found, nil
}

// AllocationRehearsal is what RehearseAllocation saw; nothing of it stays.
type AllocationRehearsal struct {
	// RuleRefusal is the database's refusal of an allocation in the wallet
	// under validation ("" if it was accepted, which is a failure).
	RuleRefusal string
	RuleCode    string
	// OtherWallet is the wallet an allocation was made in (0: none takes
	// allocations, so the overlap rule was not exercised).
	OtherWallet int
	Path        string
	AuditSeq    int64 // the audit row the allocation wrote, inside the transaction
	AuditFound  bool
	// OverlapRefusal is the overlap rule's refusal of a child of Path.
	OverlapRefusal string
	OverlapCode    string
	// Remaining counts the rehearsal's paths found after the rollback.
	Remaining int
}

// RehearseAllocation makes allocations in one transaction and rolls it
// back: in the wallet under validation (the status rule must refuse it,
// in a savepoint), and in an allocatable wallet if there is one, where a
// fresh path and its audit row are made and a child of it is refused by
// the overlap rule. Afterwards it checks that nothing remains.
func (db *DB) RehearseAllocation(ctx context.Context, version int, actor string) (AllocationRehearsal, error) {
	var r AllocationRehearsal
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return r, fmt.Errorf("rehearse an allocation: %w", explain(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	token := rand.Int32N(1<<30) + 1<<30 // a component nobody allocates by hand
	alloc := func(wallet int, path string) (int64, error) {
		var seq int64
		err := tx.QueryRow(ctx, `SELECT seq FROM wallet_allocate_path($1, $2, 'test', 1, 1, 1, 'validation rehearsal (rolled back)', $3, NULL, $4)`,
			wallet, path, SystemUserID, actor).Scan(&seq)
		return seq, err
	}
	refusal := func(err error) (string, string) {
		var pg *pgconn.PgError
		if errors.As(err, &pg) {
			return pg.Message, pg.Code
		}
		return err.Error(), ""
	}
	inSavepoint := func(fn func() error) error {
		if _, err := tx.Exec(ctx, "SAVEPOINT rehearsal"); err != nil {
			return err
		}
		ferr := fn()
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT rehearsal"); err != nil {
			return err
		}
		return ferr
	}
	path := "1." + strconv.Itoa(int(token))
	if err := inSavepoint(func() error {
		_, aerr := alloc(version, path)
		if aerr != nil {
			r.RuleRefusal, r.RuleCode = refusal(aerr)
		}
		return nil
	}); err != nil {
		return r, fmt.Errorf("rehearse an allocation in %s: %w", model.VersionName(version), explain(err))
	}

	// An allocatable wallet with a manufacturer: the default first.
	var other, mfr int
	err = tx.QueryRow(ctx, `SELECT w.version_id, m.manufacturer_index FROM wallet_versions w
		JOIN manufacturer_registry m ON m.wallet_version = w.version_id
		WHERE w.status = 'active' AND w.version_id <> $1
		ORDER BY w.is_default DESC, w.version_id DESC, m.manufacturer_index LIMIT 1`, version).Scan(&other, &mfr)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return r, nil
	case err != nil:
		return r, fmt.Errorf("rehearse an allocation: %w", explain(err))
	}
	r.OtherWallet = other
	r.Path = fmt.Sprintf("%d.%d.%d", mfr, token, rand.Int32N(1<<30)+1)
	seq, err := alloc(other, r.Path)
	if err != nil {
		return r, fmt.Errorf("rehearse an allocation of %s in %s: %w", r.Path, model.VersionName(other), explain(err))
	}
	r.AuditSeq = seq
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM wallet_operations_log WHERE seq = $1
		AND operation_type = 'path_allocation' AND operation_details->>'base_path' = $2)`, seq, r.Path).Scan(&r.AuditFound); err != nil {
		return r, fmt.Errorf("rehearse an allocation: %w", explain(err))
	}
	if err := inSavepoint(func() error {
		if _, aerr := alloc(other, r.Path+".1"); aerr != nil {
			r.OverlapRefusal, r.OverlapCode = refusal(aerr)
		}
		return nil
	}); err != nil {
		return r, fmt.Errorf("rehearse an overlap in %s: %w", model.VersionName(other), explain(err))
	}
	if err := tx.Rollback(ctx); err != nil {
		return r, fmt.Errorf("roll the rehearsal back: %w", explain(err))
	}
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM path_registry WHERE wallet_version IN ($1, $2)
		AND (base_path = $3 OR base_path LIKE $3 || '.%' OR base_path = $4)`, version, other, r.Path, path).Scan(&r.Remaining); err != nil {
		return r, fmt.Errorf("check the rehearsal left nothing: %w", explain(err))
	}
	return r, nil
}

// CodeAllocationRule and CodeOverlap are the SQLSTATEs of the status rule
// and the overlap rule, for the suite's evidence.
const (
	CodeAllocationRule = codeAllocation
	CodeOverlap        = codeOverlap
)

// TimeAllocations times n allocations (each through wallet_allocate_path,
// with its overlap check and audit row) in one transaction that is rolled
// back. The wallet under validation takes none before it is deployed, so
// they are made in an allocatable wallet; 0 and no times when there is none.
func (db *DB) TimeAllocations(ctx context.Context, version, n int, actor string) (int, []time.Duration, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return 0, nil, fmt.Errorf("time allocations: %w", explain(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var other, mfr int
	err = tx.QueryRow(ctx, `SELECT w.version_id, m.manufacturer_index FROM wallet_versions w
		JOIN manufacturer_registry m ON m.wallet_version = w.version_id
		WHERE w.status = 'active' AND w.version_id <> $1
		ORDER BY w.is_default DESC, w.version_id DESC, m.manufacturer_index LIMIT 1`, version).Scan(&other, &mfr)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("time allocations: %w", explain(err))
	}
	base := rand.Int32N(1<<30) + 1<<30
	out := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if _, err := tx.Exec(ctx, `SELECT FROM wallet_allocate_path($1, $2, 'test', 1, 1, 1, 'validation timing (rolled back)', $3, NULL, $4)`,
			other, fmt.Sprintf("%d.%d.%d", mfr, base, i+1), SystemUserID, actor); err != nil {
			return other, out, fmt.Errorf("time allocations in %s: %w", model.VersionName(other), explain(err))
		}
		out = append(out, time.Since(start))
	}
	return other, out, nil
}

// ValidationRun is a run of the suite that passed, as it is recorded.
type ValidationRun struct {
	RunID      string
	StartedAt  time.Time
	FinishedAt time.Time
	Baseline   any
	Tests      []ValidationTestRecord
	// Signature is the wallet key's over model.ValidationMessage.
	Signature []byte
}

// ValidationTestRecord is one test's stored result.
type ValidationTestRecord struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Passed   bool   `json:"passed"`
	Details  any    `json:"details"`
}

// RecordValidation records a passed run with its results and baseline,
// moves the wallet created → validated and writes the audit row, in one
// transaction (wallet_record_validation, which refuses a run that is not
// all seven tests passed).
func (db *DB) RecordValidation(ctx context.Context, version int, run ValidationRun, actor string) (int64, error) {
	body, err := json.Marshal(map[string]any{
		"run_id": run.RunID, "started_at": run.StartedAt.UTC().Format(time.RFC3339Nano),
		"finished_at": run.FinishedAt.UTC().Format(time.RFC3339Nano), "baseline": run.Baseline, "tests": run.Tests,
		"signature": hex.EncodeToString(run.Signature)})
	if err != nil {
		return 0, fmt.Errorf("record the validation of %s: %w", model.VersionName(version), err)
	}
	var seq int64
	err = db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT wallet_record_validation($1, $2, $3)", version, body, actor).Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record the validation of %s: %w", model.VersionName(version), err)
	}
	return seq, nil
}

// LastValidation is the wallet's latest recorded run.
type LastValidation struct {
	RunID       string          `json:"run_id"`
	FinishedAt  time.Time       `json:"finished_at"`
	ValidatedBy string          `json:"validated_by"`
	Baseline    json.RawMessage `json:"baseline"`
}

// LastValidation returns the wallet's latest recorded validation run, or
// nil when it has none.
func (db *DB) LastValidation(ctx context.Context, version int) (*LastValidation, error) {
	var v LastValidation
	var baseline []byte
	err := db.pool.QueryRow(ctx, `SELECT run_id::text, finished_at, validated_by, baseline::text FROM validation_runs
		WHERE wallet_version = $1 ORDER BY finished_at DESC LIMIT 1`, version).Scan(&v.RunID, &v.FinishedAt, &v.ValidatedBy, &baseline)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s's last validation: %w", model.VersionName(version), explain(err))
	}
	v.Baseline = baseline
	return &v, nil
}
