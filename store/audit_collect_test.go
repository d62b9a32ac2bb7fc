package store_test

import (
	"context"
	"testing"

	"github.com/plings/walletconsole/store"
)

// TestCollectAuditNamesTheRows: a change made under CollectAudit lists the
// operations-log rows it wrote — the very rows the log holds — and a refused
// change lists nothing that the log kept.
func TestCollectAuditNamesTheRows(t *testing.T) {
	l := openLogins(t)
	ctx, seqs := store.CollectAudit(context.Background())
	id, err := l.alice.FileRequest(ctx, testingRequest(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	got := seqs()
	if len(got) != 1 {
		t.Fatalf("filing wrote %v audit rows, want one", got)
	}
	var typ, detail string
	if err := l.alice.Pool().QueryRow(context.Background(),
		`SELECT operation_type, operation_details->>'request_id' FROM wallet_operations_log WHERE seq = $1`, got[0]).Scan(&typ, &detail); err != nil {
		t.Fatal(err)
	}
	if typ != "creation_request" || detail != id {
		t.Fatalf("row #%d is %s for %s, want creation_request for %s", got[0], typ, detail, id)
	}
	// A call outside the collector is not listed.
	if _, err := l.alice.FileRequest(context.Background(), testingRequest(), "alice"); err != nil {
		t.Fatal(err)
	}
	if len(seqs()) != 1 {
		t.Fatalf("a write outside the collector was listed: %v", seqs())
	}
}
