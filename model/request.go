package model

import (
	"slices"
	"time"
)

// Approver roles a creation request may need (seed 000, 1.2).
const (
	RoleSecurity   = "security"
	RoleOperations = "operations"
	RoleExecutive  = "executive"
	RoleCompliance = "compliance"
)

// RequiredApprovals mirrors the database's wallet_required_approvals: security
// and operations always; executive and compliance for production; executive
// also when the risk is high. The database decides; this is for display.
func RequiredApprovals(env Environment, risk string) []string {
	roles := []string{RoleSecurity, RoleOperations}
	switch {
	case env == EnvironmentProduction:
		roles = append(roles, RoleExecutive, RoleCompliance)
	case risk == "high":
		roles = append(roles, RoleExecutive)
	}
	return roles
}

// NewRequest is what an operator files (the seed's request template).
type NewRequest struct {
	RequesterEmail          string
	Priority                string // standard, high, emergency
	Environment             Environment
	Purpose                 string
	SecurityLevel           SecurityLevel
	EstimatedLifespan       string
	Reason                  string // justification
	BusinessImpact          string
	RiskIfDelayed           string
	RiskLevel               string // low, medium, high
	HSMRequirements         string
	PerformanceRequirements string
	StorageRequirements     string
	BackupRequirements      string
}

// CreationRequest is a filed request with where it stands.
type CreationRequest struct {
	NewRequest
	ID                string // WCR-YYYY-MM-DD-NNN
	RequestedBy       string // database login
	RequestDate       time.Time
	RequiredApprovals []string
	Status            string // pending, approved, rejected, used, expired
	ApprovalID        string // WAP-YYYYMMDDHHMMSS once approved
	ApprovedAt        time.Time
	ValidUntil        time.Time // approval valid until (7 days)
	WalletVersion     int       // set once used
	Approvals         []Approval
}

// Approval is one approver's decision on a request.
type Approval struct {
	Role       string
	Approver   string // database login
	Decision   string // approved, rejected
	Reason     string
	DecidedAt  time.Time
	ValidUntil time.Time
}

// Witness is a ceremony witness on the roster: a person and their OpenSSH
// public key (authorized_keys format, e.g. "ssh-ed25519 AAAA… comment").
type Witness struct {
	Name      string
	PublicKey string
}

// WaitingFor lists the roles a request still needs an approval from.
func (r CreationRequest) WaitingFor() []string {
	var out []string
	for _, role := range r.RequiredApprovals {
		if !slices.ContainsFunc(r.Approvals, func(a Approval) bool { return a.Role == role && a.Decision == "approved" }) {
			out = append(out, role)
		}
	}
	return out
}
