package common

import (
	"context"

	"github.com/plings/walletconsole/model"
)

// RequestSource is what the creation-request flow needs from the database.
// cmd/console adapts *store.DB to it; tests use a fake. Calls run in
// tea.Cmds, never in Update or View.
type RequestSource interface {
	// Requests lists creation requests, newest first, with their approvals.
	Requests(ctx context.Context) ([]model.CreationRequest, error)
	// FileRequest files a request and returns its id (WCR-…) and the
	// operations-log rows it wrote.
	FileRequest(ctx context.Context, r model.NewRequest) (string, []int64, error)
	// DecideRequest records this login's decision for role; it returns the
	// request as it stands afterwards.
	DecideRequest(ctx context.Context, id, role, decision, reason string) (model.CreationRequest, []int64, error)
	// ExportRequest writes the file the ceremony machine needs to path (never
	// overwriting) and says what it wrote.
	ExportRequest(ctx context.Context, id, path string) (string, []int64, error)
	// Login is the database login decisions are recorded under.
	Login() string
}

// Ceremony is the witnessed key ceremony as the console drives it, one step
// at a time (ops.CeremonyDriver adapts package ceremony to it). Steps
// declares each step; the flow calls the method the step's Action names
// with the step's inputs. Each method runs one step and returns what to
// show; an error leaves the step to be retried or the ceremony to be
// aborted. Methods are called from tea.Cmds, one at a time.
type Ceremony interface {
	// ID is the ceremony's id (shown in the header of the flow).
	ID() string
	// Steps lists the steps in order: what each will do, its inputs, the
	// text it has signed and its action.
	Steps() []CeremonyStep
	LoadRequest(path string) (string, error)
	// CheckOffline proves the machine is offline; a non-empty override
	// records a rehearsal on a connected machine.
	CheckOffline(override string) (string, error)
	// OpenHSM logs in to the ceremony token.
	OpenHSM(pin []byte) (string, error)
	// Challenge is the text witnesses sign (ssh-keygen -Y sign) and the file
	// on the removable media that holds it.
	Challenge() (text, file string, err error)
	// AddWitness checks one witness signature: armored SSHSIG text, or the
	// path of a file holding it.
	AddWitness(sig string) (Progress, error)
	MixEntropy(entropy []byte) (string, error)
	GenerateKey() (string, error)
	// Backup backs the key up to token (with pin); token "" records an
	// out-of-band backup whose proof comes later.
	Backup(token string, pin []byte) (string, error)
	// FinalMessage is what the master key and the witnesses sign at the end,
	// and the file that holds it.
	FinalMessage() (text, file string, err error)
	AddClosingSignature(sig string) (Progress, error)
	// Close signs and writes the transcript; it returns the file's path.
	Close() (string, error)
	// Abort destroys any key made, records why, writes the transcript and
	// returns its path and what was done.
	Abort(step, reason string) (string, error)
	// Finished reports whether the ceremony was closed or aborted.
	Finished() bool
	// Rehearsal reports whether the offline check was overridden (or read
	// another root): every screen of the ceremony then says REHEARSAL.
	Rehearsal() bool
}

// CeremonyStep is one step of the ceremony as package ceremony declares it:
// the flow builds the step's form from its inputs and runs its action.
type CeremonyStep = model.CeremonyStep

// Progress counts witness signatures collected.
type Progress = model.WitnessProgress

// CeremonyStarter begins a new ceremony (on the ceremony machine).
type CeremonyStarter func(ctx context.Context) (Ceremony, error)

// RolloutSource is what the Deployment view needs: the wallet's latest
// rollout as the database has it (*ops.Service satisfies it).
type RolloutSource interface {
	DeployStatus(ctx context.Context, version int) (*model.Rollout, error)
}
