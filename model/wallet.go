package model

import (
	"encoding/json"
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
