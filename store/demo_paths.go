package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/plings/walletconsole/model"
)

// Path shapes for demo data and benchmarks. Both must never produce two live
// paths where one is a prefix of the other, so that the overlap trigger (which
// stays on) accepts every row:
//   - the demo takes the leaves of a tree per manufacturer: no leaf of a tree is
//     an ancestor of another leaf, whatever the depths;
//   - GeneratePaths takes distinct paths of one fixed depth under a manufacturer
//     that has no paths yet: equal-depth distinct paths cannot overlap.

// demoLeaves returns n base paths under manufacturer index mfr, of depth 2 to
// 5 (<mfr>.<category>.<subcategory>.<class>.<batch>), using categories from
// firstCat on. The paths are leaves of one tree, so none is an ancestor of
// another. It also returns the first category it left unused, so that a later
// call for the same manufacturer stays clear of these paths.
func demoLeaves(rng *rand.Rand, mfr, firstCat, n int) ([]string, int) {
	out := make([]string, 0, n)
	emit := func(comps ...int) {
		b := make([]byte, 0, 32)
		b = strconv.AppendInt(b, int64(mfr), 10)
		for _, c := range comps {
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(c), 10)
		}
		out = append(out, string(b))
	}
	cat := firstCat
	for len(out) < n {
		c := cat
		cat++
		// The deepest level used in this category.
		var maxDepth int
		switch r := rng.Float64(); {
		case r < 0.04:
			emit(c) // a whole category in one allocation
			continue
		case r < 0.22:
			maxDepth = 3
		case r < 0.60:
			maxDepth = 4
		default:
			maxDepth = 5
		}
		nsub := 2 + rng.IntN(6)
		for s := 1; s <= nsub && len(out) < n; s++ {
			depth := 3 + rng.IntN(maxDepth-2)
			if depth == 3 {
				emit(c, s)
				continue
			}
			nclass := 1 + rng.IntN(6)
			// Class numbers look like product-line codes: 10, 20, ... or 101, 102, ...
			step, base := 10, 0
			if rng.IntN(2) == 0 {
				step, base = 1, 100
			}
			for k := 1; k <= nclass && len(out) < n; k++ {
				class := base + k*step
				if depth == 4 {
					emit(c, s, class)
					continue
				}
				nbatch := 1 + rng.IntN(8)
				for b := 1; b <= nbatch && len(out) < n; b++ {
					emit(c, s, class, b)
				}
			}
		}
	}
	return out, cat
}

// demoQuantity draws a realistic number of identifiers for one allocation.
func demoQuantity(rng *rand.Rand, typ string) int {
	pick := func(vs ...int) int { return vs[rng.IntN(len(vs))] }
	switch typ {
	case "test":
		return pick(100, 200, 250, 500, 1000)
	case "development":
		return pick(100, 150, 200, 300, 500)
	case "reserved":
		return pick(5000, 10000, 20000, 25000, 50000)
	}
	// Production runs: mostly small and medium batches, now and then a big one.
	switch r := rng.Float64(); {
	case r < 0.20:
		return pick(100, 150, 200)
	case r < 0.42:
		return pick(250, 400, 500)
	case r < 0.66:
		return pick(750, 1000, 1200)
	case r < 0.84:
		return pick(1500, 2000, 2500)
	case r < 0.94:
		return pick(3000, 4000, 5000)
	case r < 0.985:
		return pick(7500, 10000)
	case r < 0.997:
		return 25000
	default:
		return 50000
	}
}

// demoType draws an allocation type: mostly production, some test and
// reserved, a little development. Plings itself mostly tests and reserves.
func demoType(rng *rand.Rand, plings bool) string {
	r := rng.Float64()
	if plings {
		switch {
		case r < 0.25:
			return "production"
		case r < 0.65:
			return "test"
		case r < 0.85:
			return "reserved"
		default:
			return "development"
		}
	}
	switch {
	case r < 0.88:
		return "production"
	case r < 0.95:
		return "test"
	case r < 0.975:
		return "reserved"
	default:
		return "development"
	}
}

// demoDays samples days before now with recent days busier (12 % growth a
// month) and weekends quieter.
type demoDays struct {
	now time.Time
	cum []float64 // cumulative weight of days 0 (today) .. len-1
}

func newDemoDays(now time.Time, days int) *demoDays {
	g := math.Log(1.12) / 30
	d := &demoDays{now: now, cum: make([]float64, days)}
	total := 0.0
	for i := range days {
		w := math.Exp(-g * float64(i))
		switch now.AddDate(0, 0, -i).UTC().Weekday() {
		case time.Saturday, time.Sunday:
			w *= 0.35
		}
		if i == 0 {
			// Today is not over yet.
			w *= float64(now.UTC().Hour()+1) / 24
		}
		total += w
		d.cum[i] = total
	}
	return d
}

// at draws a moment on one of the days [0, maxDay) before now, in working
// hours (UTC), never after now.
func (d *demoDays) at(rng *rand.Rand, maxDay int) time.Time {
	if maxDay > len(d.cum) {
		maxDay = len(d.cum)
	}
	if maxDay < 1 {
		maxDay = 1
	}
	x := rng.Float64() * d.cum[maxDay-1]
	day := 0
	for day < maxDay-1 && d.cum[day] < x {
		day++
	}
	start := d.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -day)
	t := start.Add(6*time.Hour + time.Duration(rng.Int64N(int64(12*time.Hour))))
	if !t.Before(d.now) {
		t = d.now.Add(-time.Duration(1+rng.IntN(90)) * time.Minute)
	}
	return t
}

// GenerateResult says what GeneratePaths did.
type GenerateResult struct {
	Wallet            int
	ManufacturerIndex int
	ManufacturerName  string
	Rows              int64 // path allocations written
	Batches           int   // transactions committed
	Elapsed           time.Duration
}

// RowsPerSecond is the load rate, including the triggers' work.
func (r GenerateResult) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Rows) / r.Elapsed.Seconds()
}

func (r GenerateResult) String() string {
	return fmt.Sprintf("generated %s path allocations in %s under manufacturer %d (%s) in %d batch(es): %s, %s rows/s",
		demoThousands(r.Rows), model.VersionName(r.Wallet), r.ManufacturerIndex, r.ManufacturerName, r.Batches,
		r.Elapsed.Round(time.Millisecond), demoThousands(int64(r.RowsPerSecond())))
}

// genBatchRows is the number of rows per transaction in GeneratePaths, and the
// size of the path space under one batch's two-component prefix.
const genBatchRows = 200_000

// genMinIndex is where benchmark manufacturers start, clear of real ones.
const genMinIndex = 100

// GeneratePaths adds n path allocations to a wallet, for benchmarks (1 M, 10 M
// paths). It registers a new manufacturer "Bench Manufacturing N" at the next
// free index N ≥ 100 and loads depth-5 paths <N>.<batch>.<a>.<b>.<c> under it
// with COPY, genBatchRows per transaction (after warm-up batches of 2,000 and
// 20,000 rows when path_registry is small). The overlap and counter triggers
// stay on, and each batch writes its path_bulk_generation audit row in the
// same transaction. The wallet must take allocations
// (model.AllocationTypesFor): a deployed wallet gets test allocations only.
// Batches committed before an error stay; the result counts them.
func (db *DB) GeneratePaths(ctx context.Context, wallet int, n int, seed int64) (GenerateResult, error) {
	res := GenerateResult{Wallet: wallet}
	name := model.VersionName(wallet)
	if n < 1 {
		return res, fmt.Errorf("generate paths in %s: the number of paths must be 1 or more, not %d", name, n)
	}
	start := time.Now()
	// A bulk job: a batch's COPY may take longer than statement_timeout.
	ctx = withoutTimeouts(ctx, false)

	var status string
	err := db.pool.QueryRow(ctx, "SELECT status FROM wallet_versions WHERE version_id = $1", wallet).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("generate paths in %s: wallet %s: %w (see `console status` for the wallets that exist)", name, name, ErrNotFound)
	}
	if err != nil {
		return res, fmt.Errorf("generate paths in %s: %w", name, explain(err))
	}
	// The types this wallet takes (model.AllocationAllowed; the database
	// refuses the others): every one in an active wallet, test in a deployed one.
	takes := model.AllocationTypesFor(model.Status(status), model.NoRollout)
	if len(takes) == 0 {
		return res, fmt.Errorf("generate paths in %s: %w", name,
			model.AllocationAllowed(wallet, model.Status(status), model.AllocationTest, model.NoRollout))
	}
	drawType := func(rng *rand.Rand) string {
		if t := demoType(rng, false); slices.Contains(takes, t) {
			return t
		}
		return model.AllocationTest
	}

	// A manufacturer of its own, so that nothing already allocated can overlap.
	// Two generators racing for the same index: the loser takes the next one.
	for attempt := 0; ; attempt++ {
		if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(manufacturer_index) + 1, $2)
			FROM manufacturer_registry WHERE wallet_version = $1 AND manufacturer_index >= $2`,
			wallet, genMinIndex).Scan(&res.ManufacturerIndex); err != nil {
			return res, fmt.Errorf("generate paths in %s: %w", name, explain(err))
		}
		res.ManufacturerName = fmt.Sprintf("Bench Manufacturing %d", res.ManufacturerIndex)
		err := db.RegisterManufacturer(ctx, NewManufacturer{
			Wallet: wallet, Index: res.ManufacturerIndex, Name: res.ManufacturerName,
		}, "bench")
		if err == nil {
			break
		}
		var pg *pgconn.PgError
		if attempt < 5 && errors.As(err, &pg) && pg.Code == "23505" {
			continue
		}
		return res, fmt.Errorf("generate paths in %s: %w", name, err)
	}

	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	by := demoUUID(SystemUserID)
	window := int64(90 * 24 * time.Hour)
	cols := []string{"wallet_version", "base_path", "manufacturer_name", "allocation_type", "quantity",
		"allocated_range_start", "allocated_range_end", "purpose", "allocated_by", "allocated_at", "status"}

	for batch := 1; res.Rows < int64(n); batch++ {
		if err := ctx.Err(); err != nil {
			res.Elapsed = time.Since(start)
			return res, fmt.Errorf("generate paths in %s: stopped after %d rows: %w", name, res.Rows, err)
		}
		size := min(genBatchRows, n-int(res.Rows))
		purpose := fmt.Sprintf("benchmark batch %d (seed %d)", batch, seed)
		now := time.Now()
		prefix := strconv.Itoa(res.ManufacturerIndex) + "." + strconv.Itoa(batch) + "."
		// Counter k in mixed radix 20·100·100 = genBatchRows; each digit picks
		// from a strictly increasing random sequence, so the components look
		// arbitrary, no tuple repeats, and rows arrive nearly in index order
		// (about 15 % faster than a scattered order).
		as, bs, cs := genSequence(rng, 20), genSequence(rng, 100), genSequence(rng, 100)
		i := 0
		var first, last string
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i >= size {
				return nil, nil
			}
			k := i
			i++
			b := make([]byte, 0, 32)
			b = append(b, prefix...)
			b = strconv.AppendInt(b, int64(as[k/10000]), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(bs[k/100%100]), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(cs[k%100]), 10)
			path := string(b)
			if first == "" {
				first = path
			}
			last = path
			typ := drawType(rng)
			q := demoQuantity(rng, typ)
			at := now.Add(-time.Duration(rng.Int64N(window)))
			return []any{int32(wallet), path, res.ManufacturerName, typ, int32(q), int32(1), int32(q),
				purpose, by, at, "active"}, nil
		})
		var copied int64
		err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
			var err error
			copied, err = tx.CopyFrom(ctx, pgx.Identifier{"path_registry"}, cols, src)
			if err != nil {
				return err
			}
			w := wallet
			return writeOp(ctx, tx, &Op{Type: "path_bulk_generation", Wallet: &w, Actor: "bench", Details: map[string]any{
				"manufacturer_index": res.ManufacturerIndex, "manufacturer_name": res.ManufacturerName,
				"batch": batch, "rows": copied, "first_path": first, "last_path": last, "seed": seed,
			}})
		})
		if err != nil {
			res.Elapsed = time.Since(start)
			return res, fmt.Errorf("generate paths in %s: batch %d (after %d rows): %w", name, batch, res.Rows, err)
		}
		res.Rows += copied
		res.Batches++
	}
	// Fresh statistics for the queries that follow (the overlap trigger's
	// probes do not depend on them). A login that does not own the table gets
	// a warning only, and autovacuum catches up.
	if _, err := db.pool.Exec(ctx, "ANALYZE path_registry"); err != nil {
		res.Elapsed = time.Since(start)
		return res, fmt.Errorf("generate paths in %s: %w", name, explain(err))
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// genSequence draws n strictly increasing components, starting at 1 to 4
// with gaps of 1 to 4.
func genSequence(rng *rand.Rand, n int) []int {
	out := make([]int, n)
	v := 0
	for i := range out {
		v += 1 + rng.IntN(4)
		out[i] = v
	}
	return out
}

// demoUUID parses a uuid known to be valid.
func demoUUID(s string) pgtype.UUID {
	var u pgtype.UUID
	if err := u.Scan(s); err != nil {
		panic(err)
	}
	return u
}

// demoThousands writes n with thin groups: 1,234,567.
func demoThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
