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

// RequestStatus is where a creation request stands.
type RequestStatus string

const (
	RequestPending  RequestStatus = "pending"
	RequestApproved RequestStatus = "approved"
	RequestRejected RequestStatus = "rejected"
	RequestUsed     RequestStatus = "used"    // a ceremony made its wallet
	RequestExpired  RequestStatus = "expired" // the approval ran out (7 days)
)

// Decision is one approver's verdict.
type Decision string

const (
	DecisionApproved Decision = "approved"
	DecisionRejected Decision = "rejected"
)

// Priority is how urgent a request is (the seed's template).
type Priority string

const (
	PriorityStandard  Priority = "standard"
	PriorityHigh      Priority = "high"
	PriorityEmergency Priority = "emergency"
)

// Priorities are the accepted priorities, in order of urgency.
var Priorities = []Priority{PriorityStandard, PriorityHigh, PriorityEmergency}

// Risk is a request's risk level; a high risk needs an executive approval.
type Risk string

const (
	RiskLow    Risk = "low"
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

// Risks are the accepted risk levels, lowest first.
var Risks = []Risk{RiskLow, RiskMedium, RiskHigh}

// ApproverRoles are the roles a decision may be made as.
var ApproverRoles = []string{RoleSecurity, RoleOperations, RoleExecutive, RoleCompliance}

// RequiredApprovals mirrors the database's wallet_required_approvals: security
// and operations always; executive and compliance for production; executive
// also when the risk is high. The database decides; this is for display.
func RequiredApprovals(env Environment, risk Risk) []string {
	roles := []string{RoleSecurity, RoleOperations}
	switch {
	case env == EnvironmentProduction:
		roles = append(roles, RoleExecutive, RoleCompliance)
	case risk == RiskHigh:
		roles = append(roles, RoleExecutive)
	}
	return roles
}

// NewRequest is what an operator files (the seed's request template).
type NewRequest struct {
	RequesterEmail          string        `json:"requester_email"`
	Priority                Priority      `json:"priority"` // standard, high, emergency
	Environment             Environment   `json:"environment"`
	Purpose                 string        `json:"purpose"`
	SecurityLevel           SecurityLevel `json:"security_level"`
	EstimatedLifespan       string        `json:"estimated_lifespan"`
	Reason                  string        `json:"reason"` // justification
	BusinessImpact          string        `json:"business_impact"`
	RiskIfDelayed           string        `json:"risk_if_delayed"`
	RiskLevel               Risk          `json:"risk_level"` // low, medium, high
	HSMRequirements         string        `json:"hsm_requirements"`
	PerformanceRequirements string        `json:"performance_requirements"`
	StorageRequirements     string        `json:"storage_requirements"`
	BackupRequirements      string        `json:"backup_requirements"`
}

// CreationRequest is a filed request with where it stands.
type CreationRequest struct {
	NewRequest
	ID                string        `json:"id"`           // WCR-YYYY-MM-DD-NNN
	RequestedBy       string        `json:"requested_by"` // database login
	RequestDate       time.Time     `json:"request_date"`
	RequiredApprovals []string      `json:"required_approvals"`
	Status            RequestStatus `json:"status"`      // pending, approved, rejected, used, expired
	ApprovalID        string        `json:"approval_id"` // WAP-YYYYMMDDHHMMSS once approved
	ApprovedAt        time.Time     `json:"approved_at"`
	ValidUntil        time.Time     `json:"valid_until"`    // approval valid until (7 days)
	WalletVersion     int           `json:"wallet_version"` // set once used
	Approvals         []Approval    `json:"approvals"`
}

// Approval is one approver's decision on a request.
type Approval struct {
	Role       string    `json:"role"`
	Approver   string    `json:"approver"` // database login
	Decision   Decision  `json:"decision"` // approved, rejected
	Reason     string    `json:"reason"`
	DecidedAt  time.Time `json:"decided_at"`
	ValidUntil time.Time `json:"valid_until"`
}

// Witness is a ceremony witness on the roster: a person and their OpenSSH
// public key (authorized_keys format, e.g. "ssh-ed25519 AAAA… comment").
type Witness struct {
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
}

// WaitingFor lists the roles a request still needs an approval from.
func (r CreationRequest) WaitingFor() []string {
	var out []string
	for _, role := range r.RequiredApprovals {
		if !slices.ContainsFunc(r.Approvals, func(a Approval) bool { return a.Role == role && a.Decision == DecisionApproved }) {
			out = append(out, role)
		}
	}
	return out
}
