package model

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// WalletSummary is one row of the inventory.
type WalletSummary struct {
	Version       int           `json:"version"`
	Name          string        `json:"name"`
	Status        Status        `json:"status"`
	Environment   Environment   `json:"environment"`
	SecurityLevel SecurityLevel `json:"security_level"`
	IsDefault     bool          `json:"is_default"`
	Description   string        `json:"description"`
	MasterKeyID   string        `json:"master_key_id"`
	Fingerprint   string        `json:"fingerprint"` // SHA-256 (hex) of the master public key, from the ceremony
	CreatedAt     time.Time     `json:"created_at"`
	// Manufacturers still served by this wallet (not migrated away or retired).
	Manufacturers int `json:"manufacturers"`
	// Paths and Identifiers count live (active or migrating) allocations.
	Paths          int64     `json:"paths"`
	Identifiers    int64     `json:"identifiers"`
	LastAllocation time.Time `json:"last_allocation"` // zero when the wallet never allocated
	// MigrationCompletion is the average completion (0–100) of manufacturer
	// migrations out of this wallet; nil when none is recorded.
	MigrationCompletion *float64    `json:"migration_completion"`
	Health              HealthState `json:"health"` // from the latest stored checks; unknown if none
}

// Manufacturer is a manufacturer's registration in one wallet.
type Manufacturer struct {
	Index           int       `json:"index"`
	Name            string    `json:"name"`
	Status          string    `json:"status"`
	DelegationLevel string    `json:"delegation_level"`
	Organization    string    `json:"organization"`
	RegisteredAt    time.Time `json:"registered_at"`
	MigratedFrom    *int      `json:"migrated_from"`
	Paths           int64     `json:"paths"`
	Identifiers     int64     `json:"identifiers"`
}

// AllocationStats counts allocations of one type and status in a wallet.
type AllocationStats struct {
	Type            string    `json:"type"`
	Status          string    `json:"status"`
	Paths           int64     `json:"paths"`
	Identifiers     int64     `json:"identifiers"`
	LastAllocatedAt time.Time `json:"last_allocated_at"`
}

// Lineage follows a manufacturer from one wallet to another.
type Lineage struct {
	CanonicalName     string    `json:"canonical_name"`
	CurrentWallet     int       `json:"current_wallet"`
	CurrentIndex      int       `json:"current_index"`
	PredecessorWallet *int      `json:"predecessor_wallet"`
	PredecessorIndex  *int      `json:"predecessor_index"`
	Reason            string    `json:"reason"`
	Status            string    `json:"status"`
	Completion        int       `json:"completion"`
	Date              time.Time `json:"date"`
}

// Operation is one row of the operations log.
type Operation struct {
	Seq         int64           `json:"seq"`
	Type        string          `json:"type"`
	Wallet      *int            `json:"wallet"`
	Status      string          `json:"status"`
	InitiatedBy string          `json:"initiated_by"`
	ApprovalID  string          `json:"approval_id"`
	DBUser      string          `json:"db_user"`
	Details     json.RawMessage `json:"details"`
	Time        time.Time       `json:"time"`
	PrevHash    []byte          `json:"prev_hash"`
	RowHash     []byte          `json:"row_hash"`
}

// Actor is who made the change: the database login that wrote the row. It
// cannot be supplied (the log's trigger sets it), unlike InitiatedBy.
func (o Operation) Actor() string {
	if o.DBUser == "" {
		return o.InitiatedBy
	}
	return o.DBUser
}

// Note is the free text the writer added (initiated_by: an --operator name,
// a service), when it says more than the login; it proves nothing.
func (o Operation) Note() string {
	if o.InitiatedBy == o.Actor() {
		return ""
	}
	return o.InitiatedBy
}

// WalletDetail is everything the detail screen shows about one wallet.
type WalletDetail struct {
	Wallet        WalletSummary     `json:"wallet"`
	Manufacturers []Manufacturer    `json:"manufacturers"`
	Allocations   []AllocationStats `json:"allocations"`
	Lineage       []Lineage         `json:"lineage"`
	Recent        []Operation       `json:"recent"`
}

// Allocation is one allocated path range.
type Allocation struct {
	ID          string    `json:"id"`
	Wallet      int       `json:"wallet"`
	Path        Path      `json:"path"`
	HDPrefix    string    `json:"hd_prefix"`
	Type        string    `json:"type"`
	Quantity    int       `json:"quantity"`
	RangeStart  int       `json:"range_start"`
	RangeEnd    int       `json:"range_end"`
	Purpose     string    `json:"purpose"`
	Status      string    `json:"status"`
	AllocatedAt time.Time `json:"allocated_at"`
}

// AllocationTypes are the kinds of allocation the schema knows.
var AllocationTypes = []string{"production", "test", "development", "reserved"}

// JSON (README, "JSON output"): keys in snake_case, in the order of the
// fields; what the database holds as NULL (an operation without approval, a
// wallet that never allocated, a manufacturer without organization) is
// null, not "" or year 1; hashes are hex, as the screens show them.

// marshal is json.Marshal without escaping &, < and >: whether they are
// escaped is the caller's encoder's choice (it escapes a Marshaler's output
// itself when it does).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// optString is s, or null when it is empty.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optTime is t, or null when it is zero.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optHex is b in hex, or null when it is empty.
func optHex(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	return optString(hex.EncodeToString(b))
}

// optRaw is raw, or null when it is empty.
func optRaw(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// operationJSON is an Operation as JSON.
type operationJSON struct {
	Seq         int64           `json:"seq"`
	Type        string          `json:"type"`
	Wallet      *int            `json:"wallet"`
	Status      string          `json:"status"`
	InitiatedBy string          `json:"initiated_by"`
	ApprovalID  *string         `json:"approval_id"`
	DBUser      string          `json:"db_user"`
	Details     json.RawMessage `json:"details"`
	Time        time.Time       `json:"time"`
	PrevHash    *string         `json:"prev_hash"`
	RowHash     *string         `json:"row_hash"`
}

// MarshalJSON writes the hashes in hex and an absent approval id as null.
func (o Operation) MarshalJSON() ([]byte, error) {
	return marshal(operationJSON{
		Seq: o.Seq, Type: o.Type, Wallet: o.Wallet, Status: o.Status, InitiatedBy: o.InitiatedBy,
		ApprovalID: optString(o.ApprovalID), DBUser: o.DBUser, Details: optRaw(o.Details), Time: o.Time,
		PrevHash: optHex(o.PrevHash), RowHash: optHex(o.RowHash),
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (o *Operation) UnmarshalJSON(b []byte) error {
	var j operationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*o = Operation{Seq: j.Seq, Type: j.Type, Wallet: j.Wallet, Status: j.Status, InitiatedBy: j.InitiatedBy,
		DBUser: j.DBUser, Time: j.Time}
	if j.ApprovalID != nil {
		o.ApprovalID = *j.ApprovalID
	}
	if len(j.Details) > 0 && string(j.Details) != "null" {
		o.Details = j.Details
	}
	for _, h := range []struct {
		name string
		in   *string
		out  *[]byte
	}{{"prev_hash", j.PrevHash, &o.PrevHash}, {"row_hash", j.RowHash, &o.RowHash}} {
		if h.in == nil {
			continue
		}
		v, err := hex.DecodeString(*h.in)
		if err != nil {
			return fmt.Errorf("operation %d: %s is not hex: %w", j.Seq, h.name, err)
		}
		*h.out = v
	}
	return nil
}

// MarshalJSON writes an absent description or fingerprint, and the last
// allocation of a wallet that never allocated, as null.
func (w WalletSummary) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Version             int           `json:"version"`
		Name                string        `json:"name"`
		Status              Status        `json:"status"`
		Environment         Environment   `json:"environment"`
		SecurityLevel       SecurityLevel `json:"security_level"`
		IsDefault           bool          `json:"is_default"`
		Description         *string       `json:"description"`
		MasterKeyID         string        `json:"master_key_id"`
		Fingerprint         *string       `json:"fingerprint"`
		CreatedAt           time.Time     `json:"created_at"`
		Manufacturers       int           `json:"manufacturers"`
		Paths               int64         `json:"paths"`
		Identifiers         int64         `json:"identifiers"`
		LastAllocation      *time.Time    `json:"last_allocation"`
		MigrationCompletion *float64      `json:"migration_completion"`
		Health              HealthState   `json:"health"`
	}{w.Version, w.Name, w.Status, w.Environment, w.SecurityLevel, w.IsDefault, optString(w.Description),
		w.MasterKeyID, optString(w.Fingerprint), w.CreatedAt, w.Manufacturers, w.Paths, w.Identifiers,
		optTime(w.LastAllocation), w.MigrationCompletion, w.Health})
}

// MarshalJSON writes an absent organization as null.
func (m Manufacturer) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Index           int       `json:"index"`
		Name            string    `json:"name"`
		Status          string    `json:"status"`
		DelegationLevel string    `json:"delegation_level"`
		Organization    *string   `json:"organization"`
		RegisteredAt    time.Time `json:"registered_at"`
		MigratedFrom    *int      `json:"migrated_from"`
		Paths           int64     `json:"paths"`
		Identifiers     int64     `json:"identifiers"`
	}{m.Index, m.Name, m.Status, m.DelegationLevel, optString(m.Organization), m.RegisteredAt, m.MigratedFrom,
		m.Paths, m.Identifiers})
}

// MarshalJSON writes the last allocation time as null when there is none.
func (a AllocationStats) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Type            string     `json:"type"`
		Status          string     `json:"status"`
		Paths           int64      `json:"paths"`
		Identifiers     int64      `json:"identifiers"`
		LastAllocatedAt *time.Time `json:"last_allocated_at"`
	}{a.Type, a.Status, a.Paths, a.Identifiers, optTime(a.LastAllocatedAt)})
}

// MarshalJSON writes an absent migration reason as null.
func (l Lineage) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		CanonicalName     string    `json:"canonical_name"`
		CurrentWallet     int       `json:"current_wallet"`
		CurrentIndex      int       `json:"current_index"`
		PredecessorWallet *int      `json:"predecessor_wallet"`
		PredecessorIndex  *int      `json:"predecessor_index"`
		Reason            *string   `json:"reason"`
		Status            string    `json:"status"`
		Completion        int       `json:"completion"`
		Date              time.Time `json:"date"`
	}{l.CanonicalName, l.CurrentWallet, l.CurrentIndex, l.PredecessorWallet, l.PredecessorIndex, optString(l.Reason),
		l.Status, l.Completion, l.Date})
}
