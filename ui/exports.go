package ui

import (
	"io"

	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/ui/common"
)

// The console's API for cmd/console lives in this package; the types that
// moved to ui/common are re-exported here under their old names.
type (
	Common          = common.Common
	Styles          = common.Styles
	KeyMap          = common.KeyMap
	Source          = common.Source
	HSMStatus       = common.HSMStatus
	RequestSource   = common.RequestSource
	Ceremony        = common.Ceremony
	CeremonyStep    = common.CeremonyStep
	Progress        = common.Progress
	CeremonyStarter = common.CeremonyStarter
	OpFilter        = common.OpFilter
	AuditStatus     = common.AuditStatus
	HealthInput     = common.HealthInput
	HealthPoint     = common.HealthPoint
	// The Migrations screen's and the migration flow's side.
	Migrator           = common.Migrator
	Migration          = common.Migration
	MigrationCandidate = common.MigrationCandidate
	WorkerNews         = common.WorkerNews
)

// Inert is common.Inert: s with every control character shown as an escape.
func Inert(s string) string { return common.Inert(s) }

// NewStyles is common.NewStyles.
func NewStyles(p colorprofile.Profile) *Styles { return common.NewStyles(p) }

// DefaultKeyMap is common.DefaultKeyMap.
func DefaultKeyMap() *KeyMap { return common.DefaultKeyMap() }

// DetectProfile is common.DetectProfile.
func DetectProfile(out io.Writer, environ []string) colorprofile.Profile {
	return common.DetectProfile(out, environ)
}

// DefaultProfile is common.DefaultProfile.
func DefaultProfile() colorprofile.Profile { return common.DefaultProfile() }
