package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
)

// AddWitness puts a witness on the ceremony roster, with its audit row
// (witness_addition). The key is one OpenSSH public key line (a .pub file);
// a name or a key already on the roster is refused.
func (db *DB) AddWitness(ctx context.Context, w model.Witness, actor string) error {
	w.Name = strings.TrimSpace(w.Name)
	if err := CheckWitnessName(w.Name); err != nil {
		return fmt.Errorf("add witness: %w", err)
	}
	key, fp, err := ParseWitnessKey(w.PublicKey)
	if err != nil {
		return fmt.Errorf("add witness %s: %w", w.Name, err)
	}
	err = db.inTx(ctx, nil, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, "SELECT wallet_add_witness($1, $2, $3)", w.Name, key, actor).Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		switch pg.ConstraintName {
		case "ceremony_witnesses_pkey":
			err = &RuleError{Code: pg.Code, Message: fmt.Sprintf("witness %s is already on the roster; choose another name (`console witness list`)", w.Name)}
		default:
			var holder string
			_ = db.pool.QueryRow(ctx, "SELECT name FROM ceremony_witnesses WHERE split_part(public_key, ' ', 2) = $1",
				strings.Fields(key)[1]).Scan(&holder)
			err = &RuleError{Code: pg.Code, Message: fmt.Sprintf("key %s is already on the roster as witness %s; each witness has a key of their own", fp, holder)}
		}
	}
	if err != nil {
		return fmt.Errorf("add witness %s: %w", w.Name, err)
	}
	return nil
}

// Witnesses returns the active witnesses on the roster, by name.
func (db *DB) Witnesses(ctx context.Context) ([]model.Witness, error) {
	ws, err := queryWitnesses(ctx, db.pool)
	if err != nil {
		return nil, fmt.Errorf("witness roster: %w", explain(err))
	}
	return ws, nil
}

func queryWitnesses(ctx context.Context, q querier) ([]model.Witness, error) {
	rows, err := q.Query(ctx, "SELECT name, public_key FROM ceremony_witnesses WHERE active ORDER BY name")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Witness, error) {
		var w model.Witness
		err := r.Scan(&w.Name, &w.PublicKey)
		return w, err
	})
}
