package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
)

type importCase struct{ model.CeremonyImport }

// The request file is plain JSON on removable media: an import is bound to
// what this database exported (version, roster), not to what the file says.
func TestImportIsBoundToTheExport(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma", "xavier")
	r := approved(t, l)
	req, _, next, head, err := l.alice.ExportRequest(ctx, r.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	before := counts(t, l.admin)
	refuse := func(what, want string, mutate func(*importCase)) {
		t.Helper()
		in := importCase{ceremonyFor(req, next, what)}
		in.AuditHead = head
		mutate(&in)
		if _, err := l.alice.ImportCeremony(ctx, in.CeremonyImport, "alice"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", what, err, want)
		}
	}
	refuse("one witness", "1 witnesses attested; a ceremony needs 3", func(in *importCase) { in.Signers = in.Signers[:1] })
	refuse("another version", "was never exported from this database for v9", func(in *importCase) {
		in.Version, in.KeyLabel = 9, "plings_master_key_v9"
	})
	refuse("a witness not exported", "were not all on the roster exported", func(in *importCase) {
		in.Signers = []string{"wanda", "walter", "mallory"}
	})
	refuse("another export", "which is not an export of request", func(in *importCase) {
		in.AuditHead = strings.Repeat("ab", 32)
	})
	refuse("another key", "signed with key SHA256:", func(in *importCase) {
		in.Roster = append([]model.Witness{{Name: "wanda", PublicKey: witnessKey("impostor")}}, in.Roster[1:]...)
	})
	if after := counts(t, l.admin); after != before {
		t.Errorf("refused imports changed rows: %v → %v", before, after)
	}
	in := ceremonyFor(req, next, "the real one")
	in.AuditHead = head
	if created, err := l.alice.ImportCeremony(ctx, in, "alice"); err != nil || !created {
		t.Fatalf("the genuine import: %v %v", created, err)
	}
	auditOK(t, l.admin)
}
