package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// logins opens database name as the superuser (for setting dates back and
// counting) and as the test cluster's real logins.
type logins struct {
	name                     string
	admin, alice, bob, carol *store.DB
	viewer                   *store.DB
}

func openLogins(t *testing.T) *logins {
	t.Helper()
	l := &logins{name: pgtest.NewDatabase(t)}
	l.admin = openAs(t, l.name, "")
	l.alice = openAs(t, l.name, "alice")
	l.bob = openAs(t, l.name, "bob")
	l.carol = openAs(t, l.name, "carol")
	l.viewer = openAs(t, l.name, "viewer")
	return l
}

// openAs opens database name as login ("" for the superuser).
func openAs(t *testing.T, name, login string) *store.DB {
	t.Helper()
	dsn := pgtest.DSN(t, name)
	if login != "" {
		dsn = pgtest.DSNAs(t, name, login)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: dsn + " pool_max_conns=12"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// extraApprover makes another approver login (cluster-wide, once) for the
// roles beyond bob's and carol's: each login decides one role of a request.
func extraApprover(t *testing.T, l *logins, login string) *store.DB {
	t.Helper()
	mustExec(t, l.admin, fmt.Sprintf(`DO $$ BEGIN
		CREATE ROLE %s LOGIN IN ROLE wallet_approver;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
	END $$`, login))
	return openAs(t, l.name, login)
}

func testingRequest() model.NewRequest {
	return model.NewRequest{
		RequesterEmail: "alice@plings.io", Environment: model.EnvironmentTesting, Purpose: "capacity_expansion",
		SecurityLevel: model.SecurityLevelHigh, EstimatedLifespan: "2 years", Reason: "v3 is 80% allocated",
		RiskLevel: "medium", HSMRequirements: "SoftHSM2 for testing",
	}
}

// approved files a testing request as alice and has bob (security) and
// carol (operations) approve it.
func approved(t *testing.T, l *logins) model.CreationRequest {
	t.Helper()
	ctx := context.Background()
	id, err := l.alice.FileRequest(ctx, testingRequest(), "alice@plings.io")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.bob.DecideRequest(ctx, id, "security", "approved", "", "bob@plings.io"); err != nil {
		t.Fatal(err)
	}
	r, err := l.carol.DecideRequest(ctx, id, "operations", "approved", "capacity reviewed", "carol@plings.io")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "approved" {
		t.Fatalf("request %s is %s after security and operations approved", id, r.Status)
	}
	return r
}

// sshKey makes an Ed25519 public key line as ssh-keygen writes it.
func sshKey(t *testing.T, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var blob []byte
	for _, part := range [][]byte{[]byte("ssh-ed25519"), pub} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(part)))
		blob = append(blob, part...)
	}
	line := "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob)
	if comment != "" {
		line += " " + comment
	}
	return line
}

// witnessKey is a witness's key line, the same for the same name (so a
// ceremony fixture can name the keys addWitnesses put on the roster).
func witnessKey(name string) string {
	seed := sha256.Sum256([]byte("witness " + name))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	var blob []byte
	for _, part := range [][]byte{[]byte("ssh-ed25519"), pub} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(part)))
		blob = append(blob, part...)
	}
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + name
}

func addWitnesses(t *testing.T, db *store.DB, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := db.AddWitness(context.Background(), model.Witness{Name: n, PublicKey: witnessKey(n)}, "alice@plings.io"); err != nil {
			t.Fatal(err)
		}
	}
}

// ceremonyFor is what a ceremony on request r, making wallet version v, would import.
func ceremonyFor(r model.CreationRequest, v int, transcript string) model.CeremonyImport {
	seed := sha256.Sum256([]byte("master key of " + transcript))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	fp := sha256.Sum256(pub)
	sum := sha256.Sum256([]byte(transcript))
	return model.CeremonyImport{
		CeremonyID: "CER-" + r.ID + "-" + transcript, RequestID: r.ID, ApprovalID: r.ApprovalID, Version: v,
		KeyLabel:         fmt.Sprintf("plings_master_key_v%d", v),
		PublicKey:        model.PublicKeyPEM(pub),
		Fingerprint:      hex.EncodeToString(fp[:]),
		TranscriptSHA256: hex.EncodeToString(sum[:]),
		WitnessCount:     3, BackupProven: true,
		TokenSerial: "ceremony-serial-1", TokenModel: "SoftHSM v2",
		BackupProof: fixtureProof(seed[:], pub, v, "backup", "backup-serial-1"),
		// The witnesses the import tests put on the roster before exporting.
		Signers: []string{"wanda", "walter", "wilma"},
		Roster: []model.Witness{{Name: "wanda", PublicKey: witnessKey("wanda")},
			{Name: "walter", PublicKey: witnessKey("walter")}, {Name: "wilma", PublicKey: witnessKey("wilma")}},
	}
}

func auditOK(t *testing.T, db *store.DB) {
	t.Helper()
	rep, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("audit chain broken at row %d: %s", rep.BrokenAt, rep.Problem)
	}
}

// expire sets the approval of request id back past its 7 days, as the
// owner (as the demo dates its history).
func expire(t *testing.T, l *logins, id string) {
	t.Helper()
	ctx := context.Background()
	tx, err := l.admin.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, sql := range []string{
		`UPDATE wallet_creation_requests SET approved_at = now() - interval '8 days',
		        valid_until = now() - interval '1 day' WHERE request_id = $1`,
		"SET LOCAL session_replication_role = replica",
		`UPDATE wallet_creation_approvals SET decided_at = now() - interval '8 days',
		        valid_until = now() - interval '1 day' WHERE request_id = $1`,
	} {
		var args []any
		if sql[0] == 'U' {
			args = []any{id}
		}
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// fixtureProof is a backup proof made with the master key's seed: what a
// backup token holding the key would sign.
func fixtureProof(seed []byte, pub ed25519.PublicKey, v int, token, serial string) *model.BackupProof {
	challenge := sha256.Sum256([]byte(fmt.Sprintf("challenge for v%d from %s", v, token)))
	return &model.BackupProof{Token: token, TokenSerial: serial, TokenModel: "SoftHSM v2",
		Label: fmt.Sprintf("plings_master_key_v%d", v), Fingerprint: model.Fingerprint(pub),
		Challenge: challenge[:], Signature: ed25519.Sign(ed25519.NewKeyFromSeed(seed), challenge[:])}
}
