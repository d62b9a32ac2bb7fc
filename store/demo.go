package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/plings/walletconsole/model"
)

// DemoSummary says what LoadDemo put into the database.
type DemoSummary struct {
	Wallets       int
	Manufacturers int   // registrations, over all wallets
	Paths         int64 // allocation rows, whatever their status
	LivePaths     int64 // active or migrating
	Identifiers   int64 // in live paths
	Operations    int64 // rows in the operations log
	HealthChecks  int
	MetricDays    int // wallet_health_metrics rows
	Alerts        int
	Incidents     int
	Requests      int // wallet creation requests (0 when not a superuser)
	Approvals     int
	Elapsed       time.Duration
	Notes         []string
}

func (s DemoSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "demo data loaded in %s\n", s.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "  wallets        %d (v1 active default production, v2 deprecated migrating to v1, v3 testing, v4 development, v5 retired, v6 created with its ceremony and backup proof)\n", s.Wallets)
	fmt.Fprintf(&b, "  manufacturers  %d registrations\n", s.Manufacturers)
	fmt.Fprintf(&b, "  paths          %s allocations, %s live, %s identifiers live\n",
		demoThousands(s.Paths), demoThousands(s.LivePaths), demoThousands(s.Identifiers))
	fmt.Fprintf(&b, "  operations     %s audit rows\n", demoThousands(s.Operations))
	fmt.Fprintf(&b, "  monitoring     %s health checks, %d daily metric rows, %d security alerts, %d incident(s)\n",
		demoThousands(int64(s.HealthChecks)), s.MetricDays, s.Alerts, s.Incidents)
	fmt.Fprintf(&b, "  requests       %d wallet creation request(s), %d approval(s)", s.Requests, s.Approvals)
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "\n  note: %s", n)
	}
	return b.String()
}

// demoLock serialises demo loads (pg_advisory_lock(int4, int4) key space).
const demoLockA, demoLockB = 20251113, 90

// People of the demo: the Plings operations team.
var demoPeople = []struct{ key, email, name string }{
	{"ops", "maria.svensson@plings.io", "Maria Svensson"},
	{"security", "erik.lindberg@plings.io", "Erik Lindberg"},
	{"oncall", "sofia.nilsson@plings.io", "Sofia Nilsson"},
	{"capacity", "johan.berg@plings.io", "Johan Berg"},
	{"engineer", "amir.haddad@plings.io", "Amir Haddad"},
}

// demoMfr is a manufacturer of the demo; its index is the same in every
// wallet it is registered in (seed 000's migration keeps the index).
type demoMfr struct {
	index   int
	name    string
	org     string // organizations.name; "" for Plings
	orgType string
	goods   string  // for allocation purposes
	weight  float64 // share of v1's allocations
	since   int     // registered in v1 this many days ago
}

var demoMfrs = []demoMfr{
	{1, "Plings", "", "", "identifier tags", 3, 415},
	{2, "IKEA", "IKEA", "Company", "furniture", 16, 400},
	{3, "Coca-Cola", "Coca-Cola", "Company", "beverage crates", 12, 380},
	{4, "Volvo", "Volvo", "Company", "vehicle parts", 3, 42}, // migrating from v2
	{5, "H&M", "H&M", "Company", "apparel", 10, 360},
	{6, "Spotify", "Spotify", "Company", "merchandise", 2, 70},
	{7, "Electrolux", "Electrolux", "Company", "appliances", 7, 340},
	{8, "Ericsson", "Ericsson", "Company", "radio units", 3, 42}, // migrating from v2
	{9, "Lego", "Lego", "Company", "toy sets", 9, 330},
	{10, "Nestlé", "Nestlé", "Company", "food packaging", 8, 320},
	{11, "Unilever", "Unilever", "Company", "household goods", 7, 300},
	{12, "Philips", "Philips", "Company", "lighting", 6, 260},
	{13, "Siemens", "Siemens", "Company", "industrial components", 6, 240},
	{14, "Bosch", "Bosch", "Company", "power tools", 6, 200},
	{15, "Samsung", "Samsung", "Company", "electronics", 5, 50},
	{16, "KTH Prototype Lab", "KTH Royal Institute of Technology", "Institution", "research prototypes", 0, 0},
	{17, "Anna Lindqvist Keramik", "Anna Lindqvist", "Individual", "handmade ceramics", 0, 0},
}

func demoMfrByIndex(i int) demoMfr {
	for _, m := range demoMfrs {
		if m.index == i {
			return m
		}
	}
	panic(fmt.Sprintf("demo manufacturer %d", i))
}

// demoPath is one allocation to load.
type demoPath struct {
	wallet      int
	path        string
	mfr         string
	org         pgtype.UUID
	typ         string
	qty         int
	purpose     string
	by          pgtype.UUID
	at          time.Time
	status      string
	completedAt *time.Time
}

// demoStamps are the moments of a wallet's lifecycle, written at the end
// (the status changes themselves are stamped with the time of the load).
type demoStamps struct {
	created, validated, deployed, activated, deprecated, retired *time.Time
	deprecationReason                                            string
}

type demoLoader struct {
	db     *DB
	ctx    context.Context
	now    time.Time
	rng    *rand.Rand
	days   *demoDays
	users  map[string]pgtype.UUID // key -> users.id
	orgs   map[string]pgtype.UUID // organizations.name -> id
	stamps map[int]*demoStamps
	regs   []demoReg // registration moments
	// New allocations per wallet and UTC day (identifiers), for the metrics.
	daily map[int]map[string]int64
	sum   DemoSummary
	// The month's security alerts; the health history shows their windows.
	alerts []demoAlert
	// The wallets' master keys, and the first error making one.
	keys   DemoKeys
	keyErr error
}

type demoReg struct {
	wallet, index int
	at            time.Time
}

type demoAlert struct {
	wallet          int
	severity, typ   string
	message, status string
	raised          time.Time
	resolved        *time.Time
}

// LoadDemo fills an empty database with a realistic inventory matching seed
// 000's monthly operations review: v1 active and default in production with
// 15 manufacturers and ~50,000 identifiers a day; v2 deprecated with 3
// manufacturers, 85 % migrated to v1; v3 active in testing; v4 deployed in
// development; v5 a retired experimental wallet. It adds the people and
// organisations, the migrations and their queue, 14 days of health checks, 90
// days of daily metrics, a month of security alerts, one resolved incident,
// creation requests with approvals (when the login is a superuser and can act
// as the separate requester and approvers), and the audit rows of all of it.
// now anchors every date; the audit rows themselves carry the time of the load.
func (db *DB) LoadDemo(ctx context.Context, now time.Time) (DemoSummary, error) {
	return db.LoadDemoWith(ctx, now, nil)
}

// LoadDemoWith is LoadDemo with the wallets' master keys made by keys (nil:
// in memory, see DemoKeys).
func (db *DB) LoadDemoWith(ctx context.Context, now time.Time, keys DemoKeys) (DemoSummary, error) {
	if keys == nil {
		keys = memoryDemoKeys{}
	}
	start := time.Now()
	// The owner's long job: no statement_timeout or lock_timeout on its
	// connections (another demo load may hold the demo lock).
	ctx = withoutTimeouts(ctx, true)
	// One demo load at a time; the lock is the session's, on a connection of its own.
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return DemoSummary{}, fmt.Errorf("demo: %w", explain(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", demoLockA, demoLockB); err != nil {
		return DemoSummary{}, fmt.Errorf("demo: %w", explain(err))
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, $2)", demoLockA, demoLockB)
	}()
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM wallet_versions").Scan(&n); err != nil {
		return DemoSummary{}, fmt.Errorf("demo: %w", explain(err))
	}
	if n > 0 {
		return DemoSummary{}, fmt.Errorf("demo: the database %s already has %d wallet versions; demo data goes only into an empty database — use a new --data-dir", db.where, n)
	}

	l := &demoLoader{
		db: db, ctx: ctx, now: now, keys: keys,
		rng:    rand.New(rand.NewPCG(20250713, 1)),
		days:   newDemoDays(now, 91),
		users:  map[string]pgtype.UUID{},
		orgs:   map[string]pgtype.UUID{},
		stamps: map[int]*demoStamps{},
		daily:  map[int]map[string]int64{},
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"people and organisations", l.people},
		{"v1", l.walletV1},
		{"v2", l.walletV2},
		{"v2 migration to v1", l.migrationV2},
		{"v1 allocations", l.pathsV1},
		{"v3", l.walletV3Step},
		{"v4", l.walletV4},
		{"v5", l.walletV5},
		{"v6", l.walletV6},
		{"monitoring history", l.monitoring},
		{"recorded operations", l.recorded},
		{"timeline", l.timeline},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return l.sum, fmt.Errorf("demo: %s: %w (the database now holds part of the demo; start again with a new --data-dir)", s.name, err)
		}
	}
	// Statistics for what was loaded: without them the overlap trigger's
	// cached plans (made while path_registry was empty) stay slow on every
	// pooled connection until autovacuum gets round to it.
	if _, err := db.pool.Exec(ctx, `ANALYZE path_registry, manufacturer_registry, path_migration_queue,
		wallet_health_checks, wallet_health_metrics, wallet_operations_log, wallet_path_stats`); err != nil {
		return l.sum, fmt.Errorf("demo: analyze: %w", explain(err))
	}
	if err := l.count(); err != nil {
		return l.sum, fmt.Errorf("demo: %w", err)
	}
	l.sum.Elapsed = time.Since(start)
	return l.sum, nil
}

func (l *demoLoader) ago(days float64) time.Time {
	return l.now.Add(-time.Duration(days * float64(24*time.Hour)))
}

func demoAt(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (l *demoLoader) email(key string) string {
	for _, p := range demoPeople {
		if p.key == key {
			return p.email
		}
	}
	return "console"
}

func (l *demoLoader) stamp(v int) *demoStamps {
	s := l.stamps[v]
	if s == nil {
		s = &demoStamps{}
		l.stamps[v] = s
	}
	return s
}

// people inserts the organisations and the operations team, with the demo
// load's first audit row.
func (l *demoLoader) people() error {
	op := Op{Type: "demo_data_load", Status: "started", Actor: l.email("ops"), Details: map[string]any{
		"demo": true, "anchor": demoAt(l.now),
		"note": "demo inventory for the monthly operations review; lifecycle dates are in details.at, audit timestamps are the load time",
	}}
	return l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		for i, m := range demoMfrs {
			if m.org == "" {
				continue
			}
			var id pgtype.UUID
			if err := tx.QueryRow(l.ctx, `INSERT INTO organizations (name, type, created_at) VALUES ($1, $2, $3) RETURNING id`,
				m.org, m.orgType, l.ago(float64(430-i*3))).Scan(&id); err != nil {
				return err
			}
			l.orgs[m.org] = id
		}
		for i, p := range demoPeople {
			var id pgtype.UUID
			if err := tx.QueryRow(l.ctx, `INSERT INTO users (email, display_name, created_at) VALUES ($1, $2, $3) RETURNING id`,
				p.email, p.name, l.ago(float64(440-i*20))).Scan(&id); err != nil {
				return err
			}
			l.users[p.key] = id
		}
		op.Details["organizations"] = len(l.orgs)
		op.Details["users"] = len(l.users)
		return nil
	})
}

// walk moves a wallet through statuses, one audited transaction each.
func (l *demoLoader) walk(v int, actor string, steps ...demoStep) error {
	s := l.stamp(v)
	for _, st := range steps {
		at := st.at
		from := ""
		_ = l.db.pool.QueryRow(l.ctx, "SELECT status FROM wallet_versions WHERE version_id = $1", v).Scan(&from)
		action, err := model.CheckTransition(model.Status(from), st.to)
		if err != nil {
			return err
		}
		details := map[string]any{"from": from, "to": string(st.to), "action": action, "at": demoAt(at), "demo": true}
		for k, val := range st.details {
			details[k] = val
		}
		if err := l.db.SetStatus(l.ctx, v, st.to, Op{Type: demoOpType(st.to), Actor: actor, Details: details}); err != nil {
			return err
		}
		switch st.to {
		case model.StatusValidated:
			s.validated = &at
		case model.StatusDeployed:
			s.deployed = &at
		case model.StatusActive:
			s.activated = &at
		case model.StatusDeprecated:
			s.deprecated = &at
		case model.StatusRetired:
			s.retired = &at
		}
	}
	return nil
}

type demoStep struct {
	to      model.Status
	at      time.Time
	details map[string]any
}

func demoOpType(to model.Status) string {
	switch to {
	case model.StatusValidated:
		return "wallet_validation"
	case model.StatusDeployed:
		return "wallet_deployment"
	case model.StatusActive:
		return "wallet_activation"
	case model.StatusDeprecated:
		return "wallet_deprecation"
	case model.StatusRetired:
		return "wallet_retirement"
	}
	return "wallet_status_change"
}

func (l *demoLoader) create(w NewWallet, at time.Time, actor string) error {
	if l.keyErr != nil {
		return l.keyErr
	}
	if err := l.db.CreateWallet(l.ctx, w, actor); err != nil {
		return err
	}
	l.stamp(w.Version).created = &at
	return nil
}

func (l *demoLoader) register(v, index int, at time.Time, status string, from *int) error {
	m := demoMfrByIndex(index)
	org := ""
	if m.org != "" {
		u := l.orgs[m.org]
		org = fmt.Sprintf("%x-%x-%x-%x-%x", u.Bytes[0:4], u.Bytes[4:6], u.Bytes[6:8], u.Bytes[8:10], u.Bytes[10:16])
	}
	if err := l.db.RegisterManufacturer(l.ctx, NewManufacturer{
		Wallet: v, Index: index, Name: m.name, OrgID: org, Status: status, MigratedFrom: from,
	}, l.email("ops")); err != nil {
		return err
	}
	l.regs = append(l.regs, demoReg{wallet: v, index: index, at: at})
	return nil
}

// fingerprint is wallet v's master key's fingerprint (the key made by
// l.keys; an error making it is kept for the step to return).
func (l *demoLoader) fingerprint(v int) string {
	pub, _, err := l.keys.Key(v)
	if err != nil {
		l.keyErr = fmt.Errorf("master key of v%d: %w", v, err)
		return ""
	}
	return model.Fingerprint(pub)
}

// walletV1 is the production wallet: active, default, Plings and twelve more
// manufacturers (Volvo and Ericsson join later, migrating from v2).
func (l *demoLoader) walletV1() error {
	ops := l.email("ops")
	if err := l.create(NewWallet{Version: 1, Fingerprint: l.fingerprint(1),
		Description: "Production wallet: the default for all manufacturers",
		Environment: model.EnvironmentProduction, SecurityLevel: model.SecurityLevelStandard}, l.ago(420), ops); err != nil {
		return err
	}
	if err := l.walk(1, ops,
		demoStep{to: model.StatusValidated, at: l.ago(418), details: map[string]any{"tests_passed": 7}},
		demoStep{to: model.StatusDeployed, at: l.ago(417)},
		demoStep{to: model.StatusActive, at: l.ago(415), details: map[string]any{"set_as_default": true}},
	); err != nil {
		return err
	}
	one := 1
	op := Op{Type: "default_wallet_change", Wallet: &one, Actor: ops, Details: map[string]any{
		"previous_default": nil, "new_default": 1, "at": demoAt(l.ago(415)), "demo": true}}
	if err := l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		_, err := tx.Exec(l.ctx, "UPDATE wallet_versions SET is_default = true WHERE version_id = 1")
		return err
	}); err != nil {
		return err
	}
	for _, m := range demoMfrs {
		if m.index == 4 || m.index == 8 || m.weight == 0 {
			continue
		}
		if err := l.register(1, m.index, l.ago(float64(m.since)), "active", nil); err != nil {
			return err
		}
	}
	// Lineage: each manufacturer's first home.
	op = Op{Type: "manufacturer_lineage_update", Wallet: &one, Actor: ops, Details: map[string]any{
		"migration_reason": "initial_setup", "demo": true}}
	return l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		var names []string
		for _, m := range demoMfrs {
			if m.index == 4 || m.index == 8 || m.weight == 0 {
				continue
			}
			if _, err := tx.Exec(l.ctx, `INSERT INTO manufacturer_lineage
				(canonical_name, current_wallet_version, current_manufacturer_index, migration_reason,
				 migration_date, migration_status, migration_completion_percentage)
				VALUES ($1, 1, $2, 'initial_setup', $3, 'active', 100)`, m.name, m.index, l.ago(float64(m.since))); err != nil {
				return err
			}
			names = append(names, m.name)
		}
		op.Details["manufacturers"] = names
		return nil
	})
}

// walletV2 is the high-security production wallet now being given up: its
// manufacturers Volvo and Ericsson move to v1.
func (l *demoLoader) walletV2() error {
	ops := l.email("ops")
	if err := l.create(NewWallet{Version: 2, Fingerprint: l.fingerprint(2),
		Description: "High-security production wallet on the first-generation HSM cluster (being retired: HSM end of life)",
		Environment: model.EnvironmentProduction, SecurityLevel: model.SecurityLevelHigh}, l.ago(300), ops); err != nil {
		return err
	}
	if err := l.walk(2, ops,
		demoStep{to: model.StatusValidated, at: l.ago(298), details: map[string]any{"tests_passed": 7}},
		demoStep{to: model.StatusDeployed, at: l.ago(297)},
		demoStep{to: model.StatusActive, at: l.ago(295)},
	); err != nil {
		return err
	}
	for _, r := range []struct {
		index int
		days  float64
	}{{1, 295}, {4, 294}, {8, 290}} {
		if err := l.register(2, r.index, l.ago(r.days), "active", nil); err != nil {
			return err
		}
	}
	// 320 allocations each for Volvo and Ericsson, from activation until shortly
	// before deprecation.
	var rows []demoPath
	for _, idx := range []int{4, 8} {
		m := demoMfrByIndex(idx)
		paths, _ := demoLeaves(l.rng, idx, 1, 320)
		times := make([]time.Time, len(paths))
		for i := range times {
			times[i] = l.ago(50 + l.rng.Float64()*235)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		for i, p := range paths {
			typ := demoType(l.rng, false)
			rows = append(rows, demoPath{wallet: 2, path: p, mfr: m.name, org: l.orgs[m.org], typ: typ,
				qty: demoQuantity(l.rng, typ), purpose: l.purpose(m, typ), by: l.users["ops"], at: times[i], status: "active"})
			if l.now.Sub(times[i]) < 91*24*time.Hour {
				l.addDaily(2, times[i], rows[len(rows)-1].qty)
			}
		}
	}
	if err := l.loadPaths(2, rows, "v2 allocations (high-security production)"); err != nil {
		return err
	}
	return l.walk(2, ops, demoStep{to: model.StatusDeprecated, at: l.ago(45), details: map[string]any{
		"reason": "HSM cluster end of life; manufacturers consolidate on v1", "target_retirement_date": l.now.AddDate(0, 2, 0).Format(time.DateOnly)}})
}

func (l *demoLoader) purpose(m demoMfr, typ string) string {
	switch typ {
	case "test":
		return m.name + " " + m.goods + ": label trial run"
	case "reserved":
		return m.name + " " + m.goods + ": reserved for the next season"
	case "development":
		return m.name + " " + m.goods + ": integration development"
	}
	return m.name + " " + m.goods + ": production batch"
}

// loadPaths copies allocations into path_registry in one transaction (the
// triggers check every row and keep the counters), with one audit row.
func (l *demoLoader) loadPaths(v int, rows []demoPath, what string) error {
	var ids int64
	for _, r := range rows {
		ids += int64(r.qty)
	}
	wallet := v
	op := Op{Type: "path_bulk_allocation", Wallet: &wallet, Actor: l.email("ops"), Details: map[string]any{
		"what": what, "rows": len(rows), "identifiers": ids, "demo": true}}
	if len(rows) > 0 {
		first, last := rows[0].at, rows[0].at
		for _, r := range rows {
			first = demoMinTime(first, r.at)
			last = demoMaxTime(last, r.at)
		}
		op.Details["from"], op.Details["to"] = demoAt(first), demoAt(last)
	}
	cols := []string{"wallet_version", "base_path", "manufacturer_name", "organization_id", "allocation_type",
		"quantity", "allocated_range_start", "allocated_range_end", "purpose", "allocated_by", "allocated_at",
		"status", "completed_at"}
	return l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		i := 0
		_, err := tx.CopyFrom(l.ctx, pgx.Identifier{"path_registry"}, cols, pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(rows) {
				return nil, nil
			}
			r := rows[i]
			i++
			return []any{int32(r.wallet), r.path, r.mfr, r.org, r.typ, int32(r.qty), int32(1), int32(r.qty),
				r.purpose, r.by, r.at, r.status, r.completedAt}, nil
		}))
		return err
	})
}

func demoMinTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func demoMaxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// migrationV2 registers Volvo and Ericsson in v1 as migrating, plans their
// migrations, queues their v2 paths (seed 000, "Manufacturer Migration") and
// moves 80 % of Volvo's and 90 % of Ericsson's: 85 % overall.
func (l *demoLoader) migrationV2() error {
	ops := l.email("ops")
	two := 2
	plans := []struct {
		index      int
		started    float64
		done       int // of 320 paths
		inProgress int
		priority   string
		complexity string
	}{
		{4, 42, 256, 8, "high", "medium"},
		{8, 40, 288, 6, "medium", "high"},
	}
	for _, p := range plans {
		m := demoMfrByIndex(p.index)
		startedAt := l.ago(p.started)
		if err := l.register(1, p.index, l.ago(p.started+0.2), "migrating", &two); err != nil {
			return err
		}
		one := 1
		op := Op{Type: "manufacturer_migration_started", Wallet: &one, Status: "in_progress", Actor: ops, Details: map[string]any{
			"source_wallet": 2, "manufacturer_name": m.name, "migration_reason": "wallet_deprecation",
			"at": demoAt(startedAt), "demo": true}}
		err := l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
			// The namespace moves (018): allocations under it go to v1, and
			// v1's are checked against v2's live paths too.
			if _, err := tx.Exec(l.ctx, `UPDATE manufacturer_registry SET status = 'migrating', allocations_go_to = 1
				WHERE wallet_version = 2 AND manufacturer_index = $1`, p.index); err != nil {
				return err
			}
			if _, err := tx.Exec(l.ctx, `UPDATE manufacturer_registry SET overlap_also_in = 2
				WHERE wallet_version = 1 AND manufacturer_index = $1`, p.index); err != nil {
				return err
			}
			if _, err := tx.Exec(l.ctx, `INSERT INTO manufacturer_lineage
				(canonical_name, current_wallet_version, current_manufacturer_index, predecessor_wallet,
				 predecessor_index, migration_reason, migration_date, migration_status, migration_completion_percentage)
				VALUES ($1, 1, $2, 2, $2, 'wallet_deprecation', $3, 'in_progress', 0)`, m.name, p.index, startedAt); err != nil {
				return err
			}
			var id int64
			if err := tx.QueryRow(l.ctx, `INSERT INTO manufacturer_migrations
				(manufacturer_name, source_wallet_version, target_wallet_version, migration_reason, priority,
				 complexity, phase, total_phases, state, started_at, batch_size)
				VALUES ($1, 2, 1, 'wallet_deprecation', $2, $3, 1, 3, 'running', $4, 50) RETURNING id`,
				m.name, p.priority, p.complexity, startedAt).Scan(&id); err != nil {
				return err
			}
			// Seed 000's queue: newest first, priority by age when queued;
			// phase 1 high, 2 medium, 3 low.
			tag, err := tx.Exec(l.ctx, `INSERT INTO path_migration_queue
				(migration_id, source_wallet_version, target_wallet_version, manufacturer_name, base_path, priority, phase, queued_at)
				SELECT $3, 2, 1, manufacturer_name, base_path, pr, CASE pr WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, $2
				  FROM (SELECT manufacturer_name, base_path, allocated_at,
				               CASE WHEN allocated_at > $2::timestamptz - interval '30 days' THEN 'high'
				                    WHEN allocated_at > $2::timestamptz - interval '90 days' THEN 'medium'
				                    ELSE 'low' END AS pr
				          FROM path_registry
				         WHERE wallet_version = 2 AND manufacturer_index = $1 AND status = 'active') q
				 ORDER BY CASE pr WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, allocated_at DESC`,
				p.index, startedAt, id)
			if err != nil {
				return err
			}
			op.Details["total_paths_queued"] = tag.RowsAffected()
			op.Details["migration_id"] = id
			_, err = tx.Exec(l.ctx, "UPDATE manufacturer_migrations SET total_paths = $2 WHERE id = $1", id, tag.RowsAffected())
			return err
		})
		if err != nil {
			return err
		}

		// Progress so far: the first `done` queue rows moved in batches since
		// the start, the next `inProgress` under way, the rest queued.
		pct := p.done * 100 / 320
		op = Op{Type: "path_migration_progress", Wallet: &one, Status: "in_progress", Actor: ops, Details: map[string]any{
			"source_wallet": 2, "manufacturer_name": m.name, "completed": p.done, "in_progress": p.inProgress,
			"queued": 320 - p.done - p.inProgress, "completion_percentage": pct, "at": demoAt(l.ago(0.1)), "demo": true}}
		err = l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
			// Completion times run evenly from the start to a few hours ago.
			if _, err := tx.Exec(l.ctx, `
				WITH q AS (
				  SELECT id, base_path, row_number() OVER (ORDER BY id) AS n
				    FROM path_migration_queue
				   WHERE source_wallet_version = 2 AND manufacturer_name = $1)
				UPDATE path_migration_queue m
				   SET migration_status = CASE WHEN q.n <= $2 THEN 'completed'
				                               WHEN q.n <= $2 + $3 THEN 'in_progress' ELSE 'queued' END,
				       started_at = CASE WHEN q.n <= $2 + $3
				                         THEN $4::timestamptz + ($5::timestamptz - $4::timestamptz) * (q.n::float8 / ($2 + $3)) - interval '2 minutes' END,
				       completed_at = CASE WHEN q.n <= $2
				                           THEN $4::timestamptz + ($5::timestamptz - $4::timestamptz) * (q.n::float8 / ($2 + $3)) END
				  FROM q WHERE m.id = q.id`,
				m.name, p.done, p.inProgress, startedAt, l.ago(0.15)); err != nil {
				return err
			}
			if _, err := tx.Exec(l.ctx, `UPDATE path_registry p
				   SET status = CASE q.migration_status WHEN 'completed' THEN 'migrated' ELSE 'migrating' END,
				       migrated_to_wallet = CASE WHEN q.migration_status = 'completed' THEN 1 END,
				       migrated_at = q.completed_at
				  FROM path_migration_queue q
				 WHERE q.source_wallet_version = 2 AND q.manufacturer_name = $1
				   AND q.migration_status IN ('completed', 'in_progress')
				   AND p.wallet_version = 2 AND p.base_path = q.base_path`, m.name); err != nil {
				return err
			}
			// The engine's switch (018), as the engine's functions set it:
			// these rows are the engine's copies, already checked in v2.
			if _, err := tx.Exec(l.ctx, "SET LOCAL wallet.engine = 'on'"); err != nil {
				return err
			}
			// The moved paths, copied as the engine copies them (same base
			// path, the index is kept), in v1; the counters as the engine
			// keeps them.
			if _, err := tx.Exec(l.ctx, `INSERT INTO path_registry
				(wallet_version, base_path, manufacturer_name, organization_id, allocation_type, quantity,
				 allocated_range_start, allocated_range_end, purpose, allocated_by, allocated_at, status, migrated_from_wallet)
				SELECT 1, base_path, manufacturer_name, organization_id, allocation_type, quantity,
				       allocated_range_start, allocated_range_end, purpose, allocated_by, allocated_at, 'active', 2
				  FROM path_registry
				 WHERE wallet_version = 2 AND manufacturer_index = $1 AND status = 'migrated'
				 ORDER BY base_path`, p.index); err != nil {
				return err
			}
			if _, err := tx.Exec(l.ctx, `UPDATE manufacturer_migrations SET moved_paths = $2, last_batch_at = $3
				WHERE manufacturer_name = $1 AND state = 'running'`, m.name, p.done, l.ago(0.15)); err != nil {
				return err
			}
			phase := 1
			if err := tx.QueryRow(l.ctx, `SELECT coalesce(min(phase), 3) FROM path_migration_queue
				WHERE source_wallet_version = 2 AND manufacturer_name = $1 AND migration_status <> 'completed'`, m.name).Scan(&phase); err != nil {
				return err
			}
			if _, err := tx.Exec(l.ctx, `UPDATE manufacturer_migrations SET phase = $2
				WHERE manufacturer_name = $1 AND source_wallet_version = 2 AND state = 'running'`, m.name, phase); err != nil {
				return err
			}
			_, err := tx.Exec(l.ctx, `UPDATE manufacturer_lineage SET migration_completion_percentage = $2
				WHERE canonical_name = $1`, m.name, pct)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pathsV1 loads v1's own allocations: a sparse history (mostly exhausted) and
// the last 90 days, busier towards today, about 50,000 identifiers a day.
func (l *demoLoader) pathsV1() error {
	const recent = 1750 // allocations in the last 90 days
	const history = 380 // before that
	total := 0.0
	for _, m := range demoMfrs {
		total += m.weight
	}
	// Volvo and Ericsson continue in v1 after their v2 categories.
	nextCat := map[int]int{}
	for _, idx := range []int{4, 8} {
		var maxCat int
		if err := l.db.pool.QueryRow(l.ctx, `SELECT coalesce(max(split_part(base_path, '.', 2)::int), 0)
			FROM path_registry WHERE wallet_version = 2 AND manufacturer_index = $1`, idx).Scan(&maxCat); err != nil {
			return err
		}
		nextCat[idx] = maxCat + 1
	}
	var rows []demoPath
	for _, m := range demoMfrs {
		if m.weight == 0 {
			continue
		}
		nRecent := int(float64(recent)*m.weight/total + 0.5)
		nHist := 0
		if m.since > 120 {
			nHist = int(float64(history)*m.weight/total*float64(m.since-90)/300 + 0.5)
		}
		first := nextCat[m.index]
		if first == 0 {
			first = 1
		}
		paths, _ := demoLeaves(l.rng, m.index, first, nRecent+nHist)
		times := make([]time.Time, 0, len(paths))
		window := min(m.since, 91)
		for range nRecent {
			times = append(times, l.days.at(l.rng, window))
		}
		for range nHist {
			times = append(times, l.ago(91+l.rng.Float64()*float64(m.since-95)))
		}
		// Paths are numbered in the order they were allocated.
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		for i, p := range paths {
			typ := demoType(l.rng, m.index == 1)
			r := demoPath{wallet: 1, path: p, mfr: m.name, org: l.orgs[m.org], typ: typ,
				qty: demoQuantity(l.rng, typ), purpose: l.purpose(m, typ), at: times[i], status: "active"}
			r.by = l.users[[]string{"ops", "capacity", "engineer"}[l.rng.IntN(3)]]
			age := l.now.Sub(r.at).Hours() / 24
			// Older runs are used up.
			if typ != "reserved" && ((age > 90 && l.rng.Float64() < 0.7) || (age > 45 && l.rng.Float64() < 0.08)) {
				done := r.at.Add(time.Duration((10 + l.rng.Float64()*30) * float64(24*time.Hour)))
				if done.Before(l.now) {
					r.status, r.completedAt = "exhausted", &done
				}
			}
			if age <= 91 {
				l.addDaily(1, r.at, r.qty)
			}
			rows = append(rows, r)
		}
	}
	return l.loadPaths(1, rows, "v1 allocations (production)")
}

func (l *demoLoader) addDaily(v int, at time.Time, qty int) {
	d := l.daily[v]
	if d == nil {
		d = map[string]int64{}
		l.daily[v] = d
	}
	d[at.UTC().Format(time.DateOnly)] += int64(qty)
}

// demoRoles are the database roles that stand for the separate requester and
// approvers of the demo's creation requests (two-person rule).
var demoRoles = []struct{ name, member string }{
	{"demo_requester", "wallet_operator"},
	{"demo_security", "wallet_approver"},
	{"demo_operations", "wallet_approver"},
}

// ensureRoles creates the demo's requester and approver roles when the login
// is a superuser; without them it skips the creation requests.
func (l *demoLoader) ensureRoles() (bool, error) {
	var super bool
	var who string
	if err := l.db.pool.QueryRow(l.ctx, `SELECT r.rolsuper, session_user FROM pg_roles r WHERE r.rolname = session_user`).Scan(&super, &who); err != nil {
		return false, err
	}
	if !super {
		l.sum.Notes = append(l.sum.Notes, fmt.Sprintf(
			"wallet creation requests skipped: the login %s is not a superuser, so the demo cannot act as a separate requester and approvers (two-person rule)", who))
		return false, nil
	}
	for _, r := range demoRoles {
		// NOLOGIN: the roles only ever act through SET SESSION AUTHORIZATION
		// here, and nobody can log in as an approver the demo invented.
		if _, err := l.db.pool.Exec(l.ctx, fmt.Sprintf(`DO $$ BEGIN
			CREATE ROLE %s NOLOGIN;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
		END $$`, r.name)); err != nil {
			return false, err
		}
		var member bool
		if err := l.db.pool.QueryRow(l.ctx, "SELECT pg_has_role($1, $2, 'MEMBER')", r.name, r.member).Scan(&member); err != nil {
			return false, err
		}
		if !member {
			if _, err := l.db.pool.Exec(l.ctx, fmt.Sprintf("GRANT %s TO %s", r.member, r.name)); err != nil {
				return false, err
			}
		}
	}
	// The demo files its history with named, backdated ids, which no
	// console role may (013: they write only through the schema's
	// functions). These roles cannot log in and no login is a member of
	// them, so only a superuser's SET SESSION AUTHORIZATION acts as them.
	if _, err := l.db.pool.Exec(l.ctx, `GRANT INSERT ON wallet_creation_requests, wallet_creation_approvals,
		wallet_operations_log TO demo_requester, demo_security, demo_operations`); err != nil {
		return false, err
	}
	return true, nil
}

type demoRequest struct {
	version      int
	requested    time.Time
	approved     time.Time
	environment  string
	purpose      string
	level        string
	lifespan     string
	reason       string
	impact       string
	risk         string
	requestID    string
	approvalID   string
	performance  string
	storage      string
	backup       string
	hsm          string
	riskIfDelays string
}

// request files a creation request as demo_requester and approves it as
// demo_security and demo_operations, in one transaction on a connection of
// its own. SET LOCAL SESSION AUTHORIZATION ends with the transaction, so the
// connection goes back to the pool as the login it came as.
func (l *demoLoader) request(r *demoRequest) error {
	r.requestID = fmt.Sprintf("WCR-%s-%03d", r.requested.UTC().Format(time.DateOnly), 1)
	r.approvalID = "WAP-" + r.approved.UTC().Format("20060102150405")
	conn, err := l.db.pool.Acquire(l.ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	tx, err := conn.Begin(l.ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(l.ctx))
	as := func(role string) error {
		_, err := tx.Exec(l.ctx, "SET LOCAL SESSION AUTHORIZATION "+role)
		return err
	}
	if err := as("demo_requester"); err != nil {
		return err
	}
	if _, err := tx.Exec(l.ctx, `INSERT INTO wallet_creation_requests
		(request_id, requester_email, request_date, priority, environment, purpose, security_level,
		 estimated_lifespan, reason, business_impact, risk_if_delayed, risk_level, hsm_requirements,
		 performance_requirements, storage_requirements, backup_requirements, required_approvals)
		VALUES ($1, $2, $3, 'standard', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '{security,operations}')`,
		r.requestID, l.email("engineer"), r.requested, r.environment, r.purpose, r.level, r.lifespan, r.reason,
		r.impact, r.riskIfDelays, r.risk, r.hsm, r.performance, r.storage, r.backup); err != nil {
		return err
	}
	if err := writeOp(l.ctx, tx, &Op{Type: "wallet_creation_request", Actor: l.email("engineer"), Details: map[string]any{
		"request_id": r.requestID, "environment": r.environment, "purpose": r.purpose, "security_level": r.level,
		"at": demoAt(r.requested), "demo": true}}); err != nil {
		return err
	}
	for i, a := range []struct{ role, login, actor string }{
		{"security", "demo_security", l.email("security")},
		{"operations", "demo_operations", l.email("ops")},
	} {
		decided := r.approved.Add(-time.Duration(1-i) * 3 * time.Hour)
		if err := as(a.login); err != nil {
			return err
		}
		if _, err := tx.Exec(l.ctx, `INSERT INTO wallet_creation_approvals (request_id, approver_role, approver, decision, reason)
			VALUES ($1, $2, '', 'approved', $3)`, r.requestID, a.role, "reviewed: "+r.purpose); err != nil {
			return err
		}
		details := map[string]any{"request_id": r.requestID, "approver_role": a.role, "decision": "approved",
			"at": demoAt(decided), "demo": true}
		op := Op{Type: "wallet_creation_approval", Actor: a.actor, Details: details}
		if i == 1 {
			// The last required approval approves the request: the database
			// derives that itself. Back as the owner, date the request and
			// its decisions where the demo's history puts them (the console
			// roles could not; the owner may).
			if err := as("DEFAULT"); err != nil {
				return err
			}
			var status string
			if err := tx.QueryRow(l.ctx, `UPDATE wallet_creation_requests
				SET request_date = $2, approval_id = $3, approved_at = $4, valid_until = $4::timestamptz + interval '7 days'
				WHERE request_id = $1 RETURNING status`, r.requestID, r.requested, r.approvalID, r.approved).Scan(&status); err != nil {
				return err
			}
			if status != "approved" {
				return fmt.Errorf("request %s is %s after both approvals", r.requestID, status)
			}
			if _, err := tx.Exec(l.ctx, "SET LOCAL session_replication_role = replica"); err != nil {
				return err
			}
			if _, err := tx.Exec(l.ctx, `UPDATE wallet_creation_approvals
				SET decided_at = $2::timestamptz - (interval '3 hours' * (approver_role = 'security')::int),
				    valid_until = $2::timestamptz - (interval '3 hours' * (approver_role = 'security')::int) + interval '7 days'
				WHERE request_id = $1`, r.requestID, r.approved); err != nil {
				return err
			}
			if _, err := tx.Exec(l.ctx, "SET LOCAL session_replication_role = origin"); err != nil {
				return err
			}
			op.ApprovalID = r.approvalID
			details["request_status"] = "approved"
		}
		if err := writeOp(l.ctx, tx, &op); err != nil {
			return err
		}
	}
	if err := tx.Commit(l.ctx); err != nil {
		return err
	}
	// Belt and braces: the transaction's end already undid SET LOCAL.
	if _, err := conn.Exec(l.ctx, "RESET SESSION AUTHORIZATION"); err != nil {
		_ = conn.Conn().Close(context.WithoutCancel(l.ctx))
		return err
	}
	l.sum.Requests++
	l.sum.Approvals += 2
	return nil
}

// fulfil marks a request used by the wallet created from it.
func (l *demoLoader) fulfil(r *demoRequest) error {
	v := r.version
	op := Op{Type: "wallet_creation_request_used", Wallet: &v, Actor: l.email("ops"), ApprovalID: r.approvalID,
		Details: map[string]any{"request_id": r.requestID, "demo": true}}
	return l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		_, err := tx.Exec(l.ctx, `UPDATE wallet_creation_requests SET status = 'used', wallet_version = $2 WHERE request_id = $1`,
			r.requestID, r.version)
		return err
	})
}

// smallPaths loads n allocations of the given types for manufacturers in a
// wallet, between fromDays and toDays ago.
func (l *demoLoader) smallPaths(v int, idxs []int, n int, types []string, fromDays, toDays float64, what string) error {
	var rows []demoPath
	for _, idx := range idxs {
		m := demoMfrByIndex(idx)
		paths, _ := demoLeaves(l.rng, idx, 1, n)
		times := make([]time.Time, len(paths))
		for i := range times {
			times[i] = l.ago(toDays + l.rng.Float64()*(fromDays-toDays))
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		for i, p := range paths {
			typ := types[l.rng.IntN(len(types))]
			rows = append(rows, demoPath{wallet: v, path: p, mfr: m.name, org: l.orgs[m.org], typ: typ,
				qty: demoQuantity(l.rng, typ), purpose: l.purpose(m, typ), by: l.users["engineer"], at: times[i], status: "active"})
			if v != 5 && toDays < 91 {
				l.addDaily(v, times[i], rows[len(rows)-1].qty)
			}
		}
	}
	return l.loadPaths(v, rows, what)
}

// walletV3 is the testing wallet: requested and approved, active in testing.
func (l *demoLoader) walletV3(roles bool) error {
	ops := l.email("ops")
	req := &demoRequest{version: 3, requested: l.ago(80), approved: l.ago(78.8), environment: "testing",
		purpose: "integration_testing", level: "standard", lifespan: "12 months",
		reason:       "Integration testing of manufacturer onboarding and the migration tooling against a wallet of its own",
		impact:       "Manufacturer integrations can be tested without touching production identifiers",
		riskIfDelays: "Onboarding of Q3 manufacturers is tested against production", risk: "low",
		hsm: "SoftHSM2 acceptable", performance: "100 allocations/s", storage: "10 GB", backup: "daily"}
	w := NewWallet{Version: 3, Fingerprint: l.fingerprint(3),
		Description: "Testing wallet for manufacturer onboarding and migration rehearsals",
		Environment: model.EnvironmentTesting, SecurityLevel: model.SecurityLevelStandard}
	if roles {
		if err := l.request(req); err != nil {
			return err
		}
		w.RequestID, w.ApprovalID = req.requestID, req.approvalID
	}
	if err := l.create(w, l.ago(76), ops); err != nil {
		return err
	}
	if roles {
		if err := l.fulfil(req); err != nil {
			return err
		}
	}
	if err := l.walk(3, ops,
		demoStep{to: model.StatusValidated, at: l.ago(74), details: map[string]any{"tests_passed": 7}},
		demoStep{to: model.StatusDeployed, at: l.ago(72)},
		demoStep{to: model.StatusActive, at: l.ago(70)},
	); err != nil {
		return err
	}
	for _, idx := range []int{1, 2, 9, 16, 17} {
		if err := l.register(3, idx, l.ago(69-float64(idx)/4), "active", nil); err != nil {
			return err
		}
	}
	three := 3
	op := Op{Type: "manufacturer_lineage_update", Wallet: &three, Actor: ops, Details: map[string]any{
		"migration_reason": "initial_setup", "manufacturers": []string{"KTH Prototype Lab", "Anna Lindqvist Keramik"}, "demo": true}}
	if err := l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		for _, idx := range []int{16, 17} {
			if _, err := tx.Exec(l.ctx, `INSERT INTO manufacturer_lineage
				(canonical_name, current_wallet_version, current_manufacturer_index, migration_reason,
				 migration_date, migration_status, migration_completion_percentage)
				VALUES ($1, 3, $2, 'initial_setup', $3, 'active', 100)`, demoMfrByIndex(idx).name, idx, l.ago(65)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return l.smallPaths(3, []int{1, 2, 9, 16, 17}, 32, []string{"test", "test", "test", "development"}, 68, 0.2,
		"v3 allocations (testing)")
}

func (l *demoLoader) walletV3Step() error {
	roles, err := l.ensureRoles()
	if err != nil {
		return err
	}
	return l.walletV3(roles)
}

// walletV4 is the development wallet: requested, approved, deployed.
func (l *demoLoader) walletV4() error {
	ops := l.email("ops")
	roles := l.sum.Requests > 0
	req := &demoRequest{version: 4, requested: l.ago(24), approved: l.ago(23.2), environment: "development",
		purpose: "feature_development", level: "standard", lifespan: "6 months",
		reason:       "Development of delegated manufacturer keys (key_delegation_level verification)",
		impact:       "Developers get a wallet whose identifiers never reach customers",
		riskIfDelays: "Delegation work slips a quarter", risk: "low",
		hsm: "SoftHSM2", performance: "none", storage: "5 GB", backup: "weekly"}
	w := NewWallet{Version: 4, Fingerprint: l.fingerprint(4),
		Description: "Development wallet for delegated manufacturer keys",
		Environment: model.EnvironmentDevelopment, SecurityLevel: model.SecurityLevelStandard}
	if roles {
		if err := l.request(req); err != nil {
			return err
		}
		w.RequestID, w.ApprovalID = req.requestID, req.approvalID
	}
	if err := l.create(w, l.ago(21), ops); err != nil {
		return err
	}
	if roles {
		if err := l.fulfil(req); err != nil {
			return err
		}
	}
	if err := l.walk(4, ops,
		demoStep{to: model.StatusValidated, at: l.ago(19), details: map[string]any{"tests_passed": 7}},
		demoStep{to: model.StatusDeployed, at: l.ago(17)},
	); err != nil {
		return err
	}
	if err := l.register(4, 1, l.ago(17), "active", nil); err != nil {
		return err
	}
	// Deployed, not active: it takes test allocations only (model.AllocationAllowed).
	return l.smallPaths(4, []int{1}, 12, []string{"test"}, 16, 1, "v4 allocations (test, while deployed)")
}

// walletV5 is an experimental wallet that lived two weeks for an HSM firmware
// rehearsal and was retired.
func (l *demoLoader) walletV5() error {
	ops := l.email("ops")
	if err := l.create(NewWallet{Version: 5, Fingerprint: l.fingerprint(5),
		Description: "Experimental wallet for the HSM firmware upgrade rehearsal (retired)",
		Environment: model.EnvironmentDevelopment, SecurityLevel: model.SecurityLevelExperimental}, l.ago(16), ops); err != nil {
		return err
	}
	if err := l.walk(5, ops,
		demoStep{to: model.StatusValidated, at: l.ago(15.6), details: map[string]any{"tests_passed": 7}},
		demoStep{to: model.StatusDeployed, at: l.ago(15.2)},
		demoStep{to: model.StatusActive, at: l.ago(15)},
	); err != nil {
		return err
	}
	if err := l.register(5, 1, l.ago(15), "active", nil); err != nil {
		return err
	}
	if err := l.smallPaths(5, []int{1}, 24, []string{"test", "development"}, 14.5, 9, "v5 allocations (rehearsal)"); err != nil {
		return err
	}
	five := 5
	closed := l.ago(8.5)
	op := Op{Type: "wallet_wind_down", Wallet: &five, Actor: ops, Details: map[string]any{
		"paths": "retired", "manufacturers": "retired", "at": demoAt(closed), "demo": true}}
	if err := l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(l.ctx, `UPDATE path_registry SET status = 'retired', completed_at = $1
			WHERE wallet_version = 5 AND status IN ('active', 'migrating')`, closed); err != nil {
			return err
		}
		_, err := tx.Exec(l.ctx, `UPDATE manufacturer_registry SET status = 'retired' WHERE wallet_version = 5`)
		return err
	}); err != nil {
		return err
	}
	if err := l.walk(5, ops, demoStep{to: model.StatusDeprecated, at: l.ago(8), details: map[string]any{
		"reason": "rehearsal finished"}}); err != nil {
		return err
	}
	retired := l.ago(4)
	l.stamp(5).deprecationReason = "HSM firmware rehearsal finished"
	archive := sha256.Sum256([]byte("plings demo archive v5"))
	cert := fmt.Sprintf("RETIREMENT CERTIFICATE\nWallet: v5 (plings_master_key_v5)\nRetired: %s\nArchive: sha256 %s\nKey: destroyed in the HSM, witnessed by %s and %s\nRetention until: %s\n",
		demoAt(retired), hex.EncodeToString(archive[:]), l.email("security"), l.email("ops"),
		retired.AddDate(0, 0, 2555).Format(time.DateOnly))
	op = Op{Type: "wallet_archive", Wallet: &five, Actor: l.email("security"), Details: map[string]any{
		"archive_sha256": hex.EncodeToString(archive[:]), "key_disposition": "destroyed", "at": demoAt(retired), "demo": true}}
	if err := l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		_, err := tx.Exec(l.ctx, `INSERT INTO retirement_records
			(wallet_version, archive_location, archive_sha256, key_disposition, certificate, retired_by, retired_at)
			VALUES (5, $1, $2, 'destroyed', $3, $4, $5)`,
			"/srv/wallet-archive/v5/wallet-v5-archive.tar.zst", hex.EncodeToString(archive[:]), cert, l.email("security"), retired)
		return err
	}); err != nil {
		return err
	}
	return l.walk(5, ops, demoStep{to: model.StatusRetired, at: retired, details: map[string]any{
		"key_disposition": "destroyed", "retention_days": 2555}})
}

// monitoring loads 14 days of health checks (six checks every 6 hours for v1,
// v2 and v3), 90 days of daily metrics, a month of security alerts, one
// resolved incident, the validation runs and the traffic share.
func (l *demoLoader) monitoring() error {
	l.alerts = []demoAlert{
		{1, "warning", "unusual_allocation_volume", "allocation volume for IKEA 3.4x the 30-day average", "false_positive", l.ago(25.3), demoPtr(l.ago(25.1))},
		{1, "info", "failed_login_attempts", "5 failed console logins from ops-host-2 within 10 minutes", "resolved", l.ago(18.6), demoPtr(l.ago(18.4))},
		{2, "warning", "hsm_latency_spike", "HSM response above 100 ms for 15 minutes on hsm-a2", "resolved", l.ago(12.2), demoPtr(l.ago(11.1))},
		{1, "warning", "api_key_usage_anomaly", "manufacturer API key used from a new network (Coca-Cola)", "false_positive", l.ago(6.4), demoPtr(l.ago(6.1))},
		{3, "warning", "unexpected_signing_request", "signing request for a path outside any registered manufacturer schema", "open", l.ago(2.3), nil},
	}
	th := model.DefaultThresholds()
	type check struct {
		wallet int
		at     time.Time
		name   model.CheckName
		state  model.HealthState
		value  float64
		msg    string
	}
	var checks []check
	latest := l.now.UTC().Truncate(6 * time.Hour)
	ms := func(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }
	for _, w := range []int{1, 2, 3} {
		for k := 55; k >= 0; k-- {
			at := latest.Add(-time.Duration(k) * 6 * time.Hour).Add(time.Duration(l.rng.IntN(90)) * time.Second)
			spike := k > 0 && l.rng.Float64() < 0.02 // an occasional slow moment, never in the latest run
			hsm := 12 + l.rng.NormFloat64()*1.8
			sig := 8.2 + l.rng.NormFloat64()*0.5
			alloc := 245 + l.rng.NormFloat64()*30
			dbms := 5 + l.rng.Float64()*15
			if w == 2 {
				// The old HSM cluster is slower.
				hsm += 9
				sig += 0.9
			}
			if spike {
				switch l.rng.IntN(4) {
				case 0:
					hsm = 110 + l.rng.Float64()*60
				case 1:
					sig = 10.5 + l.rng.Float64()*2
				case 2:
					alloc = 520 + l.rng.Float64()*150
				default:
					dbms = 55 + l.rng.Float64()*30
				}
			}
			// Alert 3 (v2, HSM latency) shows in the checks of its window.
			if w == 2 && !at.Before(l.alerts[2].raised) && at.Before(*l.alerts[2].resolved) {
				hsm = 104 + l.rng.Float64()*20
			}
			total := int64(8000 + l.rng.IntN(4000))
			if w == 3 {
				total /= 4
			}
			errs := int64(l.rng.IntN(int(total/2000) + 2))
			if k > 0 && l.rng.Float64() < 0.015 {
				errs = total / 700 // 0.14 %
			}
			openWarn, openCrit := 0, 0
			for _, a := range l.alerts {
				if a.wallet == w && !at.Before(a.raised) && (a.resolved == nil || at.Before(*a.resolved)) {
					switch a.severity {
					case "warning":
						openWarn++
					case "critical":
						openCrit++
					}
				}
			}
			for _, r := range []struct {
				res model.CheckResult
				val float64
			}{
				{th.HSMConnectivity(ms(hsm), nil), hsm},
				{th.SignaturePerformance(ms(sig), nil), sig},
				{th.PathAllocationRate(ms(alloc)), alloc},
				{th.DatabaseResponse(ms(dbms), nil), dbms},
				{th.ErrorRate(errs, total), float64(errs) * 100 / float64(total)},
				{th.SecurityAlerts(openWarn, openCrit), float64(openWarn + openCrit)},
			} {
				checks = append(checks, check{w, at, r.res.Name, r.res.State, r.val, r.res.Message})
			}
		}
	}

	type metric struct {
		wallet                      int
		date                        time.Time
		allocs, verifs, errs, reqs  int32
		avgResp                     int32
		allocMs, sigMs, hsmMs, upPc float64
	}
	var metrics []metric
	v3From := l.ago(70).UTC().Truncate(24 * time.Hour)
	for _, w := range []int{1, 2, 3} {
		for d := 90; d >= 1; d-- {
			date := l.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -d)
			if w == 3 && date.Before(v3From) {
				continue
			}
			allocs := l.daily[w][date.Format(time.DateOnly)]
			verifs := int64(0)
			switch w {
			case 1:
				verifs = 160_000 + int64(l.rng.IntN(60_000))
			case 2:
				verifs = 9_000 + int64(l.rng.IntN(3_000)) // identifiers from v2 are still verified
			case 3:
				verifs = 500 + int64(l.rng.IntN(400))
			}
			reqs := verifs + allocs/500 + int64(l.rng.IntN(200))
			errs := reqs * int64(1+l.rng.IntN(4)) / 10_000
			up := 100.0
			if l.rng.Float64() < 0.25 {
				up = 99.7 + l.rng.Float64()*0.29 // a short outage that day
			}
			hsm := 12 + l.rng.NormFloat64()*0.8
			sig := 8.2 + l.rng.NormFloat64()*0.3
			if w == 2 {
				hsm += 9
				sig += 0.9
			}
			metrics = append(metrics, metric{w, date, int32(allocs), int32(verifs), int32(errs), int32(reqs),
				int32(30 + l.rng.IntN(15)), 245 + l.rng.NormFloat64()*12, sig, hsm, up})
		}
	}

	op := Op{Type: "monitoring_history_load", Actor: l.email("oncall"), Details: map[string]any{
		"health_checks": len(checks), "metric_days": len(metrics), "security_alerts": len(l.alerts), "incidents": 1,
		"from": demoAt(l.ago(90)), "demo": true}}
	err := l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		i := 0
		if _, err := tx.CopyFrom(l.ctx, pgx.Identifier{"wallet_health_checks"},
			[]string{"wallet_version", "checked_at", "check_name", "state", "value", "message"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if i >= len(checks) {
					return nil, nil
				}
				c := checks[i]
				i++
				return []any{int32(c.wallet), c.at, string(c.name), string(c.state), c.value, c.msg}, nil
			})); err != nil {
			return err
		}
		i = 0
		if _, err := tx.CopyFrom(l.ctx, pgx.Identifier{"wallet_health_metrics"},
			[]string{"wallet_version", "metric_date", "allocations_count", "verifications_count", "error_count",
				"request_count", "average_response_time_ms", "path_allocation_avg_ms", "signature_avg_ms",
				"hsm_response_avg_ms", "uptime_percentage"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if i >= len(metrics) {
					return nil, nil
				}
				m := metrics[i]
				i++
				return []any{int32(m.wallet), m.date, m.allocs, m.verifs, m.errs, m.reqs, m.avgResp,
					m.allocMs, m.sigMs, m.hsmMs, m.upPc}, nil
			})); err != nil {
			return err
		}
		for _, a := range l.alerts {
			if _, err := tx.Exec(l.ctx, `INSERT INTO security_alerts (wallet_version, severity, alert_type, message, status, raised_at, resolved_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.wallet, a.severity, a.typ, a.message, a.status, a.raised, a.resolved); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(l.ctx, `INSERT INTO incidents (wallet_version, severity, title, description, status, opened_by, opened_at, resolved_at)
			VALUES (2, 'medium', 'HSM latency degradation on hsm-a2',
			        'HSM response times above 100 ms for v2 signing; failover to hsm-a1, firmware fault confirmed by vendor',
			        'resolved', $1, $2, $3)`, l.email("oncall"), l.ago(12.15), l.ago(11.1)); err != nil {
			return err
		}
		// Each validated wallet's suite run (seed 000's seven tests), an hour
		// before its validation.
		for _, v := range l.versions() {
			s := l.stamps[v]
			if s.validated == nil {
				continue
			}
			run := l.uuid()
			for _, t := range []struct{ name, sev string }{
				{"hsm_connectivity", "critical"}, {"cryptographic_operations", "critical"},
				{"path_derivation", "critical"}, {"database_integration", "high"},
				{"performance_baseline", "medium"}, {"security_controls", "high"}, {"backup_recovery", "high"},
			} {
				if _, err := tx.Exec(l.ctx, `INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed, details, ran_at)
					VALUES ($1, $2, $3, $4, true, $5, $6)`, run, v, t.name, t.sev,
					map[string]any{"demo": true}, s.validated.Add(-time.Hour)); err != nil {
					return err
				}
			}
		}
		_, err := tx.Exec(l.ctx, `INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage, updated_at)
			VALUES (1, 100, $1), (2, 0, $2)`, l.ago(415), l.ago(45))
		return err
	})
	if err != nil {
		return err
	}
	l.sum.HealthChecks, l.sum.MetricDays, l.sum.Alerts, l.sum.Incidents = len(checks), len(metrics), len(l.alerts), 1
	return nil
}

func demoPtr[T any](v T) *T { return &v }

// versions lists the wallets with lifecycle dates, in order.
func (l *demoLoader) versions() []int {
	var vs []int
	for v := range l.stamps {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// uuid draws a version-4 uuid from the demo's random source.
func (l *demoLoader) uuid() pgtype.UUID {
	u := pgtype.UUID{Valid: true}
	for i := range u.Bytes {
		u.Bytes[i] = byte(l.rng.IntN(256))
	}
	u.Bytes[6] = u.Bytes[6]&0x0f | 0x40
	u.Bytes[8] = u.Bytes[8]&0x3f | 0x80
	return u
}

// recorded writes the operations that change nothing else: the daily
// checklist of the last week, the latest health check runs, last month's review.
func (l *demoLoader) recorded() error {
	for d := 7; d >= 1; d-- {
		at := l.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -d).Add(7*time.Hour + 30*time.Minute)
		details := map[string]any{"at": demoAt(at), "checks": 7, "passed": 7, "capacity_utilization_percent": 66 + (7-d)/3,
			"alert_threshold_percent": 70, "demo": true}
		if d == 2 {
			details["passed"] = 6
			details["warnings"] = []string{"v3: 1 open security warning (unexpected_signing_request)"}
		}
		if err := l.db.Record(l.ctx, Op{Type: "daily_checklist", Actor: l.email("oncall"), Details: details}); err != nil {
			return err
		}
	}
	for _, w := range []int{1, 2, 3} {
		v := w
		overall := "healthy"
		if w == 3 {
			overall = "warning"
		}
		if err := l.db.Record(l.ctx, Op{Type: "health_check", Wallet: &v, Actor: l.email("oncall"), Details: map[string]any{
			"at": demoAt(l.now.UTC().Truncate(6 * time.Hour)), "overall": overall, "checks": 6, "demo": true}}); err != nil {
			return err
		}
	}
	// Last month's review, held on the 13th (seed 000: 2025-07-13 for June);
	// before the 13th the latest review is the one of the month before.
	now := l.now.UTC()
	held := time.Date(now.Year(), now.Month(), 13, 10, 0, 0, 0, time.UTC)
	if !held.Before(now) {
		held = held.AddDate(0, -1, 0)
	}
	period := held.AddDate(0, -1, 0)
	return l.db.Record(l.ctx, Op{Type: "monthly_review", Actor: l.email("ops"), Details: map[string]any{
		"period": period.Format("2006-01"), "at": demoAt(held),
		"uptime_percentage": 99.97, "total_alerts": 5, "critical_alerts": 0, "false_positives": 2, "incidents_resolved": 1,
		"demo": true}})
}

// timeline puts the lifecycle dates where they belong (the status changes
// stamped the time of the load) and closes the load with its audit row.
func (l *demoLoader) timeline() error {
	op := Op{Type: "demo_data_load", Actor: l.email("ops"), Details: map[string]any{
		"demo": true, "note": "lifecycle and registration dates set to the demo timeline"}}
	return l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		for _, v := range l.versions() {
			s := l.stamps[v]
			var retention *time.Time
			if s.retired != nil {
				retention = demoPtr(s.retired.AddDate(0, 0, 2555))
			}
			var reason *string
			if s.deprecated != nil {
				r := s.deprecationReason
				if r == "" {
					r = "HSM cluster end of life; manufacturers consolidate on v1"
				}
				reason = &r
			}
			var target *time.Time
			if v == 2 {
				target = demoPtr(l.now.AddDate(0, 2, 0))
			}
			if _, err := tx.Exec(l.ctx, `UPDATE wallet_versions SET
				created_at = coalesce($2, created_at), validated_at = coalesce($3, validated_at),
				deployed_at = coalesce($4, deployed_at), activated_at = coalesce($5, activated_at),
				deprecated_at = coalesce($6, deprecated_at), retired_at = coalesce($7, retired_at),
				retention_until = coalesce($8::date, retention_until),
				deprecation_reason = coalesce($9, deprecation_reason),
				target_retirement_date = coalesce($10::date, target_retirement_date)
				WHERE version_id = $1`,
				v, s.created, s.validated, s.deployed, s.activated, s.deprecated, s.retired, retention, reason, target); err != nil {
				return err
			}
		}
		for _, r := range l.regs {
			if _, err := tx.Exec(l.ctx, `UPDATE manufacturer_registry SET registered_at = $3
				WHERE wallet_version = $1 AND manufacturer_index = $2`, r.wallet, r.index, r.at); err != nil {
				return err
			}
		}
		var wallets, paths int64
		if err := tx.QueryRow(l.ctx, `SELECT (SELECT count(*) FROM wallet_versions), (SELECT count(*) FROM path_registry)`).Scan(&wallets, &paths); err != nil {
			return err
		}
		op.Details["wallets"], op.Details["paths"] = wallets, paths
		return nil
	})
}

// count fills the summary from the database.
func (l *demoLoader) count() error {
	s := &l.sum
	return l.db.pool.QueryRow(l.ctx, `SELECT
		(SELECT count(*) FROM wallet_versions),
		(SELECT count(*) FROM manufacturer_registry),
		(SELECT count(*) FROM path_registry),
		(SELECT coalesce(sum(paths), 0)::bigint FROM wallet_path_stats WHERE status IN ('active', 'migrating')),
		(SELECT coalesce(sum(identifiers), 0)::bigint FROM wallet_path_stats WHERE status IN ('active', 'migrating')),
		(SELECT count(*) FROM wallet_operations_log)`).Scan(&s.Wallets, &s.Manufacturers, &s.Paths, &s.LivePaths,
		&s.Identifiers, &s.Operations)
}

// walletV6 is a wallet fresh from its key ceremony: created in testing, its
// request used, its ceremony imported and its backup proven, so that the
// validation, the deployment and the activation can be walked on the demo.
// Its master key is l.keys' (on the HSM token with `console demo --token`).
// The demo has no second HSM: the backup proof is the same key's signature,
// recorded under a backup token of its own serial and marked demo.
func (l *demoLoader) walletV6() error {
	ops := l.email("ops")
	roles := l.sum.Requests > 0
	req := &demoRequest{version: 6, requested: l.ago(3), approved: l.ago(2.5), environment: "testing",
		purpose: "capacity_expansion", level: "high", lifespan: "2 years",
		reason:       "v3 is 80% allocated; a successor for the testing environment",
		impact:       "Testing keeps allocating when v3 fills up",
		riskIfDelays: "Integration tests stall when v3 is full", risk: "medium",
		hsm: "SoftHSM2", performance: "100 signatures/s", storage: "10 GB", backup: "daily"}
	pub, sign, err := l.keys.Key(6)
	if err != nil {
		return fmt.Errorf("master key of v6: %w", err)
	}
	fp := model.Fingerprint(pub)
	w := NewWallet{Version: 6, Fingerprint: fp, MasterKeyID: "plings_master_key_v6",
		Description: "Testing successor to v3, fresh from its key ceremony",
		Environment: model.EnvironmentTesting, SecurityLevel: model.SecurityLevelHigh}
	if roles {
		if err := l.request(req); err != nil {
			return err
		}
		w.RequestID, w.ApprovalID = req.requestID, req.approvalID
	}
	if err := l.create(w, l.ago(1), ops); err != nil {
		return err
	}
	if !roles {
		return nil // no request, so no ceremony record (it names its request)
	}
	if err := l.fulfil(req); err != nil {
		return err
	}
	label, serial, tokModel := l.keys.Token()
	ceremony := "WKC-demo-v6"
	transcript := sha256.Sum256([]byte("demo transcript of " + ceremony + " " + fp))
	challenge := append([]byte("walletconsole backup proof\n"), make([]byte, 32)...)
	for i := range 32 {
		challenge[len(challenge)-32+i] = byte(l.rng.Uint32())
	}
	sig, err := sign(challenge)
	if err != nil {
		return fmt.Errorf("v6's backup proof: %w", err)
	}
	v := 6
	op := Op{Type: "key_ceremony_import", Wallet: &v, Actor: ops, ApprovalID: req.approvalID, Details: map[string]any{
		"ceremony_id": ceremony, "request_id": req.requestID, "public_key_fingerprint": fp, "witness_count": 3,
		"key_label": w.MasterKeyID, "ceremony_token": label, "ceremony_token_serial": serial, "demo": true}}
	err = l.db.inTx(l.ctx, &op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(l.ctx, `INSERT INTO key_ceremonies (ceremony_id, request_id, wallet_version, transcript_sha256,
			master_public_key, public_key_fingerprint, witness_count, approval_id, key_label, completed_at,
			ceremony_token_serial, ceremony_token_model)
			VALUES ($1, $2, 6, $3, $4, $5, 3, $6, $7, $8, $9, $10)`,
			ceremony, req.requestID, hex.EncodeToString(transcript[:]), model.PublicKeyPEM(pub), fp, req.approvalID,
			w.MasterKeyID, l.ago(1), serial, tokModel); err != nil {
			return err
		}
		if _, err := tx.Exec(l.ctx, `INSERT INTO key_ceremony_backup_proofs (ceremony_id, wallet_version, backup_token,
			key_label, public_key_fingerprint, challenge, signature, backup_token_serial, backup_token_model)
			VALUES ($1, 6, 'demo-backup', $2, $3, $4, $5, $6, $7)`,
			ceremony, w.MasterKeyID, fp, challenge, sig, serial+"-backup", tokModel); err != nil {
			return err
		}
		_, err := tx.Exec(l.ctx, "UPDATE key_ceremonies SET backup_proven = true WHERE ceremony_id = $1", ceremony)
		return err
	})
	if err != nil {
		return fmt.Errorf("v6's key ceremony: %w", err)
	}
	return nil
}
