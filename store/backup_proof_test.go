package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// realKey makes an Ed25519 key and gives its PEM and fingerprint as a
// ceremony records them.
func realKey(t *testing.T) (ed25519.PrivateKey, string, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pub)
	return priv, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), hex.EncodeToString(sum[:])
}

// signedProof is what a backup token holding priv would give: a fresh
// challenge and its signature.
func signedProof(t *testing.T, priv ed25519.PrivateKey, fingerprint string) model.BackupProof {
	t.Helper()
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	challenge := append([]byte("walletconsole backup proof\n"), nonce...)
	return model.BackupProof{Token: "backup", TokenSerial: "backup-serial-9", TokenModel: "SoftHSM v2",
		Label: "plings_master_key_v1", Fingerprint: fingerprint,
		Challenge: challenge, Signature: ed25519.Sign(priv, challenge)}
}

// A ceremony imported with its backup not proven (out of band): its wallet
// walks to deployed but not to active; a proof for another key, a forged
// one, an incomplete one and one from the viewer are refused and change
// nothing; the direct update of backup_proven is refused; the right proof is
// recorded with its audit row, and then the wallet activates; proving again
// changes nothing. Wallets without a ceremony (the demo's) and ceremonies
// proven by their transcript activate as before.
func TestBackupProofGatesActivation(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	req, _, next, head, err := l.alice.ExportRequest(ctx, approved(t, l).ID, "alice")
	if err != nil || next != 1 {
		t.Fatalf("export: next %d, %v", next, err)
	}
	priv, pubPEM, fp := realKey(t)
	in := ceremonyFor(req, 1, "out of band backup")
	in.PublicKey, in.Fingerprint, in.BackupProven, in.BackupProof, in.AuditHead = pubPEM, fp, false, nil, head
	if created, err := l.alice.ImportCeremony(ctx, in, "alice"); err != nil || !created {
		t.Fatalf("import: %v %v", created, err)
	}

	label, gotPEM, gotFP, proven, err := l.viewer.CeremonyKey(ctx, 1)
	if err != nil || label != "plings_master_key_v1" || gotPEM != pubPEM || gotFP != fp || proven {
		t.Fatalf("CeremonyKey(1) = %q, %q, %q, %v, %v", label, gotPEM, gotFP, proven, err)
	}

	// Validation and deployment are the lifecycle issue's; the owner walks
	// the wallet there.
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed} {
		if err := l.admin.SetStatus(ctx, 1, s, store.Op{Type: "wallet_" + string(s), Actor: "owner"}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	logRows := func() int { return count(t, l.admin, "SELECT count(*) FROM wallet_operations_log") }
	proofs := func() int { return count(t, l.admin, "SELECT count(*) FROM key_ceremony_backup_proofs") }
	before := logRows()
	// The operator's activation (the function, every other precondition
	// met) and even the owner's direct UPDATE (009's trigger) are refused.
	readyToActivate(t, l.admin, 1)
	before = logRows()
	_, err = l.alice.Activate(ctx, 1, false, 0, "alice")
	if err == nil || !strings.Contains(err.Error(), "v1 cannot be activated: the backup of v1's master key (key ceremony "+in.CeremonyID+") is not proven") ||
		!strings.Contains(err.Error(), "console ceremony prove-backup v1 --backup-token LABEL") {
		t.Errorf("operator's activation without a backup proof: %v", err)
	}
	err = l.admin.SetStatus(ctx, 1, model.StatusActive, store.Op{Type: "wallet_activation", Actor: "owner"})
	var re *store.RuleError
	if !errors.As(err, &re) || re.Code != "WLWST" {
		t.Fatalf("activation without a backup proof: %v; want a WLWST refusal", err)
	}
	for _, want := range []string{"wallet v1 cannot be activated", "plings_master_key_v1", "key ceremony " + in.CeremonyID,
		"is not proven", "prove the backup first: console ceremony prove-backup v1 --backup-token LABEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	t.Logf("refusal: %v", err)
	if w, err := l.viewer.Wallet(ctx, 1); err != nil || w.Status != "deployed" {
		t.Errorf("after the refusal v1 is %q (%v), want deployed", w.Status, err)
	}
	if n := logRows(); n != before {
		t.Errorf("the refused activation wrote %d audit rows", n-before)
	}

	// backup_proven cannot be set by hand: not by the operator (no grant),
	// not by the owner without a proof.
	if _, err := l.alice.Pool().Exec(ctx, "UPDATE key_ceremonies SET backup_proven = true WHERE wallet_version = 1"); err == nil ||
		!strings.Contains(err.Error(), "permission denied") {
		t.Errorf("operator's direct update of backup_proven: %v", err)
	}
	if _, err := l.admin.Pool().Exec(ctx, "UPDATE key_ceremonies SET backup_proven = true WHERE wallet_version = 1"); err == nil ||
		!strings.Contains(err.Error(), "cannot be marked proven without a recorded proof") {
		t.Errorf("direct update of backup_proven: %v", err)
	}
	if _, err := l.alice.Pool().Exec(ctx, `INSERT INTO key_ceremony_backup_proofs
		(ceremony_id, wallet_version, backup_token, key_label, public_key_fingerprint, challenge, signature)
		VALUES ($1, 1, 'backup', 'plings_master_key_v1', $2, $3, $4)`, in.CeremonyID, fp,
		make([]byte, 32), make([]byte, 64)); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("operator's direct insert of a proof: %v", err)
	}
	// Nor can the owner write a proof for another key by hand.
	if _, err := l.admin.Pool().Exec(ctx, `INSERT INTO key_ceremony_backup_proofs
		(ceremony_id, wallet_version, backup_token, key_label, public_key_fingerprint, challenge, signature)
		VALUES ($1, 1, 'backup', 'plings_master_key_v1', $2, $3, $4)`, in.CeremonyID, strings.Repeat("0", 64),
		make([]byte, 32), make([]byte, 64)); err == nil || !strings.Contains(err.Error(), "does not hold this wallet's master key") {
		t.Errorf("direct insert of a proof for another key: %v", err)
	}

	// Refused proofs change nothing.
	otherPriv, _, otherFP := realKey(t)
	forged := signedProof(t, otherPriv, fp) // right fingerprint, another key's signature
	short := signedProof(t, priv, fp)
	short.Signature = short.Signature[:10]
	for _, tc := range []struct {
		what string
		db   *store.DB
		p    model.BackupProof
		want string
	}{
		{"another key's proof", l.alice, signedProof(t, otherPriv, otherFP),
			"the proof is for key " + otherFP + ", but key ceremony " + in.CeremonyID + " made v1's master key " + fp + `: the backup token "backup" does not hold this wallet's key`},
		{"a forged proof", l.alice, forged, `the backup token "backup"'s signature over the challenge does not verify under v1's master public key`},
		{"an incomplete proof", l.alice, short, "the backup proof is incomplete: a signature of 10 bytes (Ed25519 has 64)"},
		{"the viewer", l.viewer, signedProof(t, priv, fp), "permission denied"},
	} {
		err := tc.db.RecordBackupProof(ctx, 1, tc.p, "alice")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want it to say %q", tc.what, err, tc.want)
		} else {
			t.Logf("%s: %v", tc.what, err)
		}
	}
	if n, p := logRows(), proofs(); n != before || p != 0 {
		t.Errorf("refused proofs wrote %d audit rows and %d proofs", n-before, p)
	}
	if _, _, _, proven, _ := l.viewer.CeremonyKey(ctx, 1); proven {
		t.Errorf("a refused proof marked the backup proven")
	}

	// The right proof.
	good := signedProof(t, priv, strings.ToUpper(fp))
	if err := l.alice.RecordBackupProof(ctx, 1, good, "alice@plings.io"); err != nil {
		t.Fatalf("the right proof: %v", err)
	}
	if _, _, _, proven, err := l.viewer.CeremonyKey(ctx, 1); err != nil || !proven {
		t.Errorf("after the proof: proven %v, %v", proven, err)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM key_ceremony_backup_proofs WHERE ceremony_id = $1 AND wallet_version = 1
		AND backup_token = 'backup' AND key_label = 'plings_master_key_v1' AND public_key_fingerprint = $2
		AND challenge = $3 AND signature = $4 AND proven_by = 'alice'`, in.CeremonyID, fp, good.Challenge, good.Signature); n != 1 {
		t.Errorf("the proof is not recorded as given")
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'backup_proof'
		AND wallet_version = 1 AND initiated_by = 'alice@plings.io' AND db_user = 'alice'
		AND operation_details @> jsonb_build_object('ceremony_id', $1::text, 'backup_token', 'backup',
		    'public_key_fingerprint', $2::text, 'signature', $3::text)`, in.CeremonyID, fp, hex.EncodeToString(good.Signature)); n != 1 {
		t.Errorf("%d backup_proof audit rows with the proof's details, want 1", n)
	}

	// Proving again is harmless.
	before = logRows()
	err = l.alice.RecordBackupProof(ctx, 1, signedProof(t, priv, fp), "alice")
	if !errors.Is(err, store.ErrAlreadyProven) || !strings.Contains(err.Error(), `backup token "backup" proved v1's master key`) ||
		!strings.Contains(err.Error(), "nothing changed") {
		t.Errorf("second proof: %v; want already proven", err)
	} else {
		t.Logf("second proof: %v", err)
	}
	if n, p := logRows(), proofs(); n != before || p != 1 {
		t.Errorf("a second proof changed rows: %d audit rows, %d proofs", n-before, p)
	}
	// A proof stands as recorded.
	if _, err := l.alice.Pool().Exec(ctx, "UPDATE key_ceremony_backup_proofs SET backup_token = 'other'"); err == nil ||
		!strings.Contains(err.Error(), "permission denied") {
		t.Errorf("operator edits a proof: %v", err)
	}
	if _, err := l.admin.Pool().Exec(ctx, "DELETE FROM key_ceremony_backup_proofs"); err == nil ||
		!strings.Contains(err.Error(), "append-only") {
		t.Errorf("owner deletes a proof: %v", err)
	}

	// It carries the traffic its rollout gave it: it becomes the default too.
	if _, err := l.alice.Activate(ctx, 1, true, 0, "alice"); err != nil {
		t.Fatalf("activation after the proof: %v", err)
	}
	if w, err := l.viewer.Wallet(ctx, 1); err != nil || w.Status != "active" {
		t.Errorf("v1 is %q (%v) after activation", w.Status, err)
	}

	// A wallet without a ceremony (the demo's kind) activates as before, and
	// has no ceremony key; an unknown version neither.
	activeWallet(t, l.admin, 2)
	if _, _, _, _, err := l.viewer.CeremonyKey(ctx, 2); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "wallet v2 has no imported key ceremony") {
		t.Errorf("CeremonyKey of a wallet without ceremony: %v", err)
	}
	if _, _, _, _, err := l.viewer.CeremonyKey(ctx, 9); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "wallet v9 is not in this database") {
		t.Errorf("CeremonyKey of an unknown wallet: %v", err)
	}
	if err := l.alice.RecordBackupProof(ctx, 9, signedProof(t, priv, fp), "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("proof for an unknown wallet: %v", err)
	}
	if err := l.alice.RecordBackupProof(ctx, 2, signedProof(t, priv, fp), "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("proof for a wallet without ceremony: %v", err)
	}

	// A ceremony whose transcript proved the backup activates as before.
	req3, _, next, head, err := l.alice.ExportRequest(ctx, approved(t, l).ID, "alice")
	if err != nil {
		t.Fatalf("export: next %d, %v", next, err)
	}
	proved := ceremonyFor(req3, next, "wrapped backup")
	proved.AuditHead = head
	if _, err := l.alice.ImportCeremony(ctx, proved, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed} {
		if err := l.admin.SetStatus(ctx, next, s, store.Op{Type: "wallet_" + string(s), Actor: "owner"}); err != nil {
			t.Fatalf("v%d %s: %v", next, s, err)
		}
	}
	readyToActivate(t, l.admin, next)
	f, err := l.alice.ActivationFacts(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.alice.Activate(ctx, next, true, f.Default, "alice"); err != nil {
		t.Fatalf("v3 active: %v", err)
	}
	err = l.alice.RecordBackupProof(ctx, next, signedProof(t, priv, proved.Fingerprint), "alice")
	if !errors.Is(err, store.ErrAlreadyProven) || !strings.Contains(err.Error(), `backup token "backup" proved `+model.VersionName(next)+`'s master key`) {
		t.Errorf("proof of a backup the transcript proved: %v", err)
	}
	auditOK(t, l.admin)
}
