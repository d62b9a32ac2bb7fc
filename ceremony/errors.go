package ceremony

import "errors"

// Sentinel errors, for errors.Is. Every error the package returns for one of
// these situations wraps the sentinel; its text says what is wrong and what to
// do about it. Verify's sentinels are distinct per class of tampering so that
// the CLI and tests can tell them apart.
var (
	// Running a ceremony.
	ErrOutOfOrder       = errors.New("ceremony step out of order")
	ErrFinished         = errors.New("ceremony already finished")
	ErrRequestRefused   = errors.New("creation request refused")
	ErrNotApproved      = errors.New("request not approved")
	ErrApprovalExpired  = errors.New("approval expired")
	ErrRequestUsed      = errors.New("request already used")
	ErrOnline           = errors.New("machine is not offline")
	ErrOfflineUnknown   = errors.New("cannot tell whether the machine is offline")
	ErrHSMRefused       = errors.New("HSM step refused")
	ErrInvalidRoster    = errors.New("invalid witness roster")
	ErrNotOnRoster      = errors.New("signing key not on the roster")
	ErrDuplicateWitness = errors.New("witness already signed")
	ErrBadSignature     = errors.New("witness signature does not verify")
	ErrNotAttested      = errors.New("witness did not attest")
	ErrEntropyTooShort  = errors.New("operator entropy too short")
	ErrKeyCheck         = errors.New("master key check failed")
	ErrBackupFailed     = errors.New("backup failed")
	ErrKeyNotDestroyed  = errors.New("key not destroyed")

	// Verifying a transcript.
	ErrMalformed        = errors.New("not a ceremony transcript")
	ErrNotCanonical     = errors.New("transcript bytes altered")
	ErrEntryMissing     = errors.New("transcript entry missing")
	ErrEntriesReordered = errors.New("transcript entries reordered")
	ErrEntryAltered     = errors.New("transcript entry altered")
	ErrBrokenChain      = errors.New("transcript hash chain broken")
	ErrFinalHash        = errors.New("transcript final hash wrong")
	ErrHeaderMismatch   = errors.New("transcript header does not match its entries")
	ErrMasterSignature  = errors.New("master key signature invalid")
	ErrWitnessSignature = errors.New("witness signature invalid")
	ErrTooFewWitnesses  = errors.New("too few witness signatures")
	ErrEvidence         = errors.New("recorded evidence does not hold")

	// Importing.
	ErrAborted   = errors.New("ceremony was aborted")
	ErrRehearsal = errors.New("ceremony was a rehearsal")
)

// problem is an error with a complete message of its own that still matches
// one or more sentinels with errors.Is (the sentinel texts are not repeated
// in the message, which reads better on an operator's screen).
type problem struct {
	msg   string
	kinds []error
}

func (p *problem) Error() string   { return p.msg }
func (p *problem) Unwrap() []error { return p.kinds }

// newProblem builds a problem; kinds are the sentinels (and causes) it wraps.
func newProblem(msg string, kinds ...error) error {
	return &problem{msg: msg, kinds: kinds}
}
