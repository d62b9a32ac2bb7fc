package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATEs raised by the schema's own triggers (migrations/).
const (
	codeOverlap      = "WLPOV"
	codePath         = "WLPTH"
	codeTransition   = "WLTRN"
	codeWalletStatus = "WLWST"
	codeTwoPerson    = "WL2PR"
	codeAppendOnly   = "WLAUD"
	codeIsolation    = "WLISO"
	codeAllocation   = "WLALC" // 010: the wallet's status does not take this allocation type
	codeCustody      = "WLCUS" // 013: identity, proofs, imports and exports
	codeDeployment   = "WLDEP" // rollouts: gates, steps, traffic shares
	codeStepNotDone  = "WLDWT" // a rollout step's dwell or its passing measurements are not there yet
	codeMigration    = "WLMIG" // 017: a manufacturer migration refused
	codeMoving       = "WLMOV" // 018: an allocation under a namespace that moved elsewhere
)

// ErrReadOnly is returned (wrapped) when a read-only console tried to change
// something: the database session refused it (SQLSTATE 25006).
var ErrReadOnly = errors.New("this console is read-only (--read-only): nothing was changed")

// ErrConflict is returned (wrapped) when a concurrent change got in the way
// (serialization failure, deadlock): nothing was changed, and trying again is
// the remedy.
var ErrConflict = errors.New("a concurrent change got in the way; nothing was changed, try again")

// ErrNotFound is returned (wrapped) when a wallet or row does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnreachable is returned (wrapped) when the database does not answer.
var ErrUnreachable = errors.New("database unreachable")

// OverlapError says that an allocation collides with a live path in the wallet.
type OverlapError struct {
	Wallet   int
	Path     string
	Conflict string // the live path it collides with
	// ExistingStatus is the status of the same path when Conflict == Path.
	ExistingStatus string
	// MovingFrom is the wallet the conflict is in when it is not Wallet:
	// the one the path's manufacturer is being moved from (018).
	MovingFrom int
}

func (e *OverlapError) Error() string {
	switch {
	case e.MovingFrom != 0:
		return fmt.Sprintf("path %s overlaps %s in wallet v%d, from which its manufacturer is being moved to v%d: "+
			"while it moves, a new path in v%d must overlap none of its paths still in v%d; choose another path",
			e.Path, e.Conflict, e.MovingFrom, e.Wallet, e.Wallet, e.MovingFrom)
	case e.Conflict == e.Path && e.ExistingStatus != "" && e.ExistingStatus != "active" && e.ExistingStatus != "migrating":
		return fmt.Sprintf("path %s was allocated before in wallet v%d (now %s); a path is never reused: choose another", e.Path, e.Wallet, e.ExistingStatus)
	case e.Conflict == e.Path:
		return fmt.Sprintf("path %s is already allocated in wallet v%d", e.Path, e.Wallet)
	case strings.HasPrefix(e.Path, e.Conflict+"."):
		return fmt.Sprintf("path %s overlaps %s in wallet v%d: %s is already allocated and is its ancestor", e.Path, e.Conflict, e.Wallet, e.Conflict)
	default:
		return fmt.Sprintf("path %s overlaps %s in wallet v%d: %s is already allocated and is its descendant", e.Path, e.Conflict, e.Wallet, e.Conflict)
	}
}

// ManufacturerError says that a path's first component is not a manufacturer
// registered in the wallet.
type ManufacturerError struct {
	Wallet int
	Index  int
}

func (e *ManufacturerError) Error() string {
	v := fmt.Sprintf("v%d", e.Wallet)
	return fmt.Sprintf("manufacturer %d is not registered in %s: use a path under one of %s's manufacturers "+
		"(console show %s lists them) or allocate in a wallet where manufacturer %d is registered",
		e.Index, v, v, v, e.Index)
}

// fkKey reads the wallet and manufacturer out of PostgreSQL's detail of a
// path_manufacturer_registered violation: Key (wallet_version,
// manufacturer_index)=(6, 1) is not present in table "manufacturer_registry".
var fkKey = regexp.MustCompile(`\(wallet_version, manufacturer_index\)=\((\d+), (\d+)\)`)

// IsStepNotDone says whether err is a rollout step that cannot end yet (its
// dwell is not over, or its latest measurements did not pass): the
// controller waits and measures again.
func IsStepNotDone(err error) bool {
	var re *RuleError
	return errors.As(err, &re) && re.Code == codeStepNotDone
}

// RuleError is a refusal by one of the schema's rules, with a message for people.
type RuleError struct {
	Code    string
	Message string
	Detail  string
}

func (e *RuleError) Error() string {
	if e.Detail != "" {
		return e.Message + " (" + e.Detail + ")"
	}
	return e.Message
}

// explain turns what PostgreSQL said into an error a person can act on; what
// it does not recognise it returns unchanged (wrapped by the caller).
func explain(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		if pgconn.SafeToRetry(err) || isConnError(err) {
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
		return err
	}
	switch pg.Code {
	case codeOverlap, codePath, codeTransition, codeWalletStatus, codeTwoPerson, codeAppendOnly, codeIsolation, codeCustody, codeDeployment, codeStepNotDone, codeMigration, codeMoving:
		detail := pg.Detail
		if pg.Hint != "" {
			detail = strings.TrimPrefix(detail+"; "+pg.Hint, "; ")
		}
		return &RuleError{Code: pg.Code, Message: pg.Message, Detail: detail}
	case codeAllocation:
		// The message is the whole sentence, fix included (the same words as
		// model.AllocationAllowed); the detail only repeats it.
		return &RuleError{Code: pg.Code, Message: pg.Message}
	case "25006":
		return ErrReadOnly
	case "23P01":
		if pg.ConstraintName == "unique_default_wallet" {
			return &RuleError{Code: pg.Code, Message: "another wallet is already the default; clear its default first (only one default wallet is allowed)"}
		}
	case "23514":
		switch pg.ConstraintName {
		case "default_wallet_is_active":
			return &RuleError{Code: pg.Code, Message: "only an active wallet can be the default"}
		case "check_plings_index_one":
			return &RuleError{Code: pg.Code, Message: "Plings is manufacturer index 1, and index 1 is reserved for Plings"}
		case "valid_range_end":
			return &RuleError{Code: pg.Code, Message: "allocated_range_end must equal allocated_range_start + quantity - 1"}
		}
	case "23503":
		if pg.ConstraintName == "path_manufacturer_registered" {
			// AllocatePath asks first (ManufacturerError); this is for the
			// statements that do not, and never shows PostgreSQL's key text.
			if m := fkKey.FindStringSubmatch(pg.Detail); m != nil {
				w, _ := strconv.Atoi(m[1])
				i, _ := strconv.Atoi(m[2])
				return &ManufacturerError{Wallet: w, Index: i}
			}
			return &RuleError{Code: pg.Code, Message: "the path's first component is not a manufacturer registered in its wallet: " +
				"use a path under one of the wallet's manufacturers (console show <wallet> lists them)"}
		}
	case "40001", "40P01":
		return fmt.Errorf("%w (%s)", ErrConflict, pg.Message)
	case "23505":
		if pg.ConstraintName == "wallet_operations_log_pkey" {
			return fmt.Errorf("%w (another operation was logged at the same moment)", ErrConflict)
		}
	case "53200":
		return &RuleError{Code: pg.Code, Message: "the database ran out of shared memory (locks): " + pg.Message, Detail: "retry with a smaller batch, or raise max_locks_per_transaction"}
	case "42501":
		return &RuleError{Code: pg.Code, Message: "permission denied: this database login may not make that change (" + pg.Message + ")"}
	case "55P03":
		return &RuleError{Code: pg.Code, Message: lockTimeoutMessage()}
	case "57014":
		if strings.Contains(pg.Message, "statement timeout") {
			return &RuleError{Code: pg.Code, Message: fmt.Sprintf("the database stopped the statement after %s (the console's statement_timeout): nothing was changed; try again, "+
				"and if it happens again the database is overloaded or something holds it up", waited(time.Duration(statementTimeoutShown.Load())))}
		}
		return &RuleError{Code: pg.Code, Message: "the database cancelled the statement (it ran past its time limit, or was cancelled): nothing was changed"}
	case "22003":
		return &RuleError{Code: pg.Code, Message: "a number is too large for the database: " + pg.Message}
	case "57P01", "57P02", "57P03", "08000", "08003", "08006":
		return fmt.Errorf("%w: %s", ErrUnreachable, pg.Message)
	}
	return err
}

// The session limits of the last Open (a console opens one database), for
// the messages: PostgreSQL's own says only "lock timeout".
var lockTimeoutShown, statementTimeoutShown atomic.Int64

// WhoHoldsLocks is the query that lists the sessions holding locks, for an
// operator whose change timed out waiting for one.
const WhoHoldsLocks = "SELECT pid, usename, application_name, state, xact_start, left(query, 60) FROM pg_stat_activity " +
	"WHERE pid IN (SELECT pid FROM pg_locks WHERE granted) AND pid <> pg_backend_pid() ORDER BY xact_start"

func lockTimeoutMessage() string {
	return fmt.Sprintf("nothing was changed: waited %s for a lock another session holds; try again, or find who holds it: psql -c %q "+
		"(a session idle in transaction for long is the usual culprit; pg_terminate_backend(pid) ends it)",
		waited(time.Duration(lockTimeoutShown.Load())), WhoHoldsLocks)
}

// waited writes a limit the way people say it: "5 s", "250 ms".
func waited(d time.Duration) string {
	switch {
	case d <= 0:
		return "too long"
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	case d < time.Second:
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func isConnError(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such file or directory") ||
		strings.Contains(msg, "closed") || strings.Contains(msg, "EOF") || strings.Contains(msg, "broken pipe")
}
