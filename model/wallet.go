package model

import (
	"encoding/json"
	"time"
)

// WalletSummary is one row of the inventory.
type WalletSummary struct {
	Version       int
	Name          string
	Status        Status
	Environment   Environment
	SecurityLevel SecurityLevel
	IsDefault     bool
	Description   string
	MasterKeyID   string
	Fingerprint   string // SHA-256 (hex) of the master public key, from the ceremony
	CreatedAt     time.Time
	// Manufacturers still served by this wallet (not migrated away or retired).
	Manufacturers int
	// Paths and Identifiers count live (active or migrating) allocations.
	Paths          int64
	Identifiers    int64
	LastAllocation time.Time // zero when the wallet never allocated
	// MigrationCompletion is the average completion (0–100) of manufacturer
	// migrations out of this wallet; nil when none is recorded.
	MigrationCompletion *float64
	Health              HealthState // from the latest stored checks; unknown if none
}

// Manufacturer is a manufacturer's registration in one wallet.
type Manufacturer struct {
	Index           int
	Name            string
	Status          string
	DelegationLevel string
	Organization    string
	RegisteredAt    time.Time
	MigratedFrom    *int
	Paths           int64
	Identifiers     int64
}

// AllocationStats counts allocations of one type and status in a wallet.
type AllocationStats struct {
	Type            string
	Status          string
	Paths           int64
	Identifiers     int64
	LastAllocatedAt time.Time
}

// Lineage follows a manufacturer from one wallet to another.
type Lineage struct {
	CanonicalName     string
	CurrentWallet     int
	CurrentIndex      int
	PredecessorWallet *int
	PredecessorIndex  *int
	Reason            string
	Status            string
	Completion        int
	Date              time.Time
}

// Operation is one row of the operations log.
type Operation struct {
	Seq         int64
	Type        string
	Wallet      *int
	Status      string
	InitiatedBy string
	ApprovalID  string
	DBUser      string
	Details     json.RawMessage
	Time        time.Time
	PrevHash    []byte
	RowHash     []byte
}

// WalletDetail is everything the detail screen shows about one wallet.
type WalletDetail struct {
	Wallet        WalletSummary
	Manufacturers []Manufacturer
	Allocations   []AllocationStats
	Lineage       []Lineage
	Recent        []Operation
}

// Allocation is one allocated path range.
type Allocation struct {
	ID          string
	Wallet      int
	Path        Path
	HDPrefix    string
	Type        string
	Quantity    int
	RangeStart  int
	RangeEnd    int
	Purpose     string
	Status      string
	AllocatedAt time.Time
}

// AllocationTypes are the kinds of allocation the schema knows.
var AllocationTypes = []string{"production", "test", "development", "reserved"}
