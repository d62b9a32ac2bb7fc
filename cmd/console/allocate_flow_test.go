package main

import (
	"context"
	"testing"
)

// TestAllocationFlowOnTheDatabase walks the allocation flow of the console
// over the demo database through ops: a production allocation into the
// deployed v4 is blocked at its checks and writes nothing; one into the
// active v1 asks, then writes the path and its audit row, and the result
// names that row.
func TestAllocationFlowOnTheDatabase(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, demoDSN(t), false)
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Pool().QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	head := func() int { return count(`SELECT coalesce(max(seq), 0)::int FROM wallet_operations_log`) }

	d := consoleOver(t, db, false)

	// Blocked: production into the deployed v4.
	before := head()
	d.colon("allocate v4")
	d.press("tab")
	d.typeText("1.777.1")
	d.press("ctrl+s")
	d.mustShow("FAIL", "v4 is deployed", "blocked")
	d.press("enter")
	d.press("y")
	if head() != before || count(`SELECT count(*)::int FROM path_registry WHERE base_path = '1.777.1'`) != 0 {
		t.Fatal("a blocked allocation wrote something")
	}
	d.press("esc")
	d.press("esc")
	d.press("y") // discard the typed form

	// Allowed: the same path into the active v1, confirmed.
	d.colon("allocate v1")
	d.press("tab")
	d.typeText("1.777.1")
	d.press("ctrl+s")
	d.mustShow("PASS", "enter: continue")
	d.press("enter")
	d.mustShow("go ahead? y/N")
	d.press("n")
	if head() != before {
		t.Fatal("n at the confirmation allocated")
	}
	d.press("enter")
	d.press("y")
	d.mustShow("[result]", "audit rows: #")
	if count(`SELECT count(*)::int FROM path_registry WHERE base_path = '1.777.1' AND wallet_version = 1`) != 1 {
		t.Fatal("the path is not in v1")
	}
	if got := count(`SELECT count(*)::int FROM wallet_operations_log WHERE seq > $1`, before); got != 1 {
		t.Fatalf("%d audit rows for one allocation, want 1", got)
	}
	seq := head()
	d.mustShow("#" + itoa(seq))
}
