package ceremony

import "github.com/plings/walletconsole/model"

// Step is a step of the ceremony, in order.
type Step int

// The steps. StepDone follows the last one, once the ceremony was closed or
// aborted.
const (
	StepRequest Step = iota
	StepOffline
	StepHSM
	StepWitnesses
	StepEntropy
	StepKey
	StepBackup
	StepClose
	StepDone
)

var stepNames = [...]string{"request", "offline", "hsm", "witnesses", "entropy", "key", "backup", "close", "done"}

// Steps lists the ceremony's steps in order (StepDone is not one).
func Steps() []Step {
	return []Step{StepRequest, StepOffline, StepHSM, StepWitnesses, StepEntropy, StepKey, StepBackup, StepClose}
}

// String is the step's name as the transcript records it ("request", …).
func (s Step) String() string {
	if s < 0 || int(s) >= len(stepNames) {
		return "unknown"
	}
	return stepNames[s]
}

// ParseStep finds a step by its name.
func ParseStep(name string) (Step, bool) {
	for i, n := range stepNames {
		if n == name {
			return Step(i), true
		}
	}
	return 0, false
}

// Number is the step's position, 1 to 8 (0 for StepDone).
func (s Step) Number() int {
	if s >= StepDone || s < 0 {
		return 0
	}
	return int(s) + 1
}

// Title is a short heading for the step.
func (s Step) Title() string {
	switch s {
	case StepRequest:
		return "Load the approved request"
	case StepOffline:
		return "Prove the machine is offline"
	case StepHSM:
		return "Open the HSM token"
	case StepWitnesses:
		return "Witnesses attest"
	case StepEntropy:
		return "Mix in operator entropy"
	case StepKey:
		return "Generate the master key"
	case StepBackup:
		return "Back up the key and prove the copy"
	case StepClose:
		return "Close and sign the transcript"
	case StepDone:
		return "Done"
	}
	return "Unknown step"
}

// Describe says what the step will do, for the operator to read before it runs.
func (s Step) Describe() string {
	switch s {
	case StepRequest:
		return "Read the request file exported on the connected side (from the removable media) and check it: " +
			"status approved with an approval id, approval not expired, request not used before on this machine, " +
			"a valid witness roster with enough witnesses, and the next wallet version. Its SHA-256 is recorded."
	case StepOffline:
		return "Check that no network interface but loopback is up and that there is no default route, " +
			"from /sys/class/net and /proc/net/route. If the machine is online the ceremony stops; " +
			"for a rehearsal only, an override with a reason is recorded and the transcript is marked REHEARSAL."
	case StepHSM:
		return "Open the HSM token by its label and log in with the user PIN (typed without echo, never recorded). " +
			"The ceremony refuses a token that already holds a key with the new key's label."
	case StepWitnesses:
		return "Each witness signs the ceremony challenge (ceremony id, request id, approval id and the transcript hash so far) " +
			"with `ssh-keygen -Y sign -f KEY -n " + Namespace + " challenge.txt` and hands over the .sig. " +
			"Each signature is checked against the roster key; a wrong key or a second signature from the same witness is refused."
	case StepEntropy:
		return "Type operator entropy (for example 50 or more dice rolls); it is mixed into the HSM's generator with C_SeedRandom. " +
			"Only its size and SHA-256 digest are recorded, never the values."
	case StepKey:
		return "Generate the Ed25519 master key inside the HSM (private half sensitive, not extractable, CKA_ID from the HSM's generator), " +
			"read the public key back, sign a test message in the HSM and verify it outside."
	case StepBackup:
		return "Copy the key to a backup token by wrapping where the module can; where it cannot (SoftHSM2 cannot wrap Ed25519), " +
			"record an out-of-band backup made with the vendor's tools. The copy is proven by the backup token signing a fresh challenge " +
			"that verifies under the master public key; until then the wallet cannot be activated."
	case StepClose:
		return "Fix the final hash, have each attested witness sign the final message, sign it with the new master key in the HSM, " +
			"and write the transcript to a new file for the removable media (never overwriting)."
	case StepDone:
		return "The ceremony is over."
	}
	return ""
}

// Inputs are the fields the operator fills in for the step, in order; a
// step without inputs runs on a key. A front end builds its form from them
// (it knows no step by name): secrets are typed without echo and passed as
// bytes, never recorded.
func (s Step) Inputs() []model.CeremonyInput {
	switch s {
	case StepRequest:
		return []model.CeremonyInput{{Label: "request file", Kind: model.InputText, Required: true,
			Hint: "the file `console request export` wrote, on the removable media"}}
	case StepHSM:
		return []model.CeremonyInput{{Label: "PIN", Kind: model.InputSecret, Required: true,
			Hint: "the token's user PIN; never shown, logged or recorded"}}
	case StepWitnesses, StepClose:
		return []model.CeremonyInput{{Label: "signature", Kind: model.InputFileOrPaste, Required: true,
			Hint: "file with the witness's signature (e.g. /media/usb/alice.sig), or paste it"}}
	case StepEntropy:
		return []model.CeremonyInput{{Label: "entropy", Kind: model.InputSecret, Required: true,
			Hint: "type dice rolls or other entropy, at least 16 characters; only its digest is recorded"}}
	case StepBackup:
		return []model.CeremonyInput{
			{Label: "backup token", Kind: model.InputText,
				Hint: "label of the backup token; empty: backed up out of band, proof later"},
			{Label: "backup PIN", Kind: model.InputSecret, Hint: "the backup token's user PIN"},
		}
	}
	return nil
}

// Override is the input the operator may open instead of running the step
// as it is, or nil: the offline step's rehearsal override, recorded in the
// transcript (which is then marked REHEARSAL).
func (s Step) Override() *model.CeremonyInput {
	if s != StepOffline {
		return nil
	}
	return &model.CeremonyInput{Label: "override", Kind: model.InputText, Required: true,
		Hint: "REHEARSAL ONLY: why this ceremony runs on a connected machine; it is recorded and the wallet cannot be imported"}
}

// Signs is the text witnesses sign during the step: the challenge in the
// witnesses step, the final message in the close step.
func (s Step) Signs() model.CeremonySignText {
	switch s {
	case StepWitnesses:
		return model.SignChallenge
	case StepClose:
		return model.SignFinal
	}
	return model.SignNothing
}

// SignWith is how a witness signs the step's text, FILE standing for its
// file ("" when the step has nothing to sign).
func (s Step) SignWith() string {
	if s.Signs() == model.SignNothing {
		return ""
	}
	return "ssh-keygen -Y sign -f KEY -n " + Namespace + " FILE"
}

// Action is what running the step calls (see model.CeremonyAction).
func (s Step) Action() model.CeremonyAction {
	switch s {
	case StepRequest:
		return model.ActLoadRequest
	case StepOffline:
		return model.ActCheckOffline
	case StepHSM:
		return model.ActOpenHSM
	case StepWitnesses:
		return model.ActAddWitness
	case StepEntropy:
		return model.ActMixEntropy
	case StepKey:
		return model.ActGenerateKey
	case StepBackup:
		return model.ActBackup
	case StepClose:
		return model.ActAddClosingSignature
	}
	return model.ActNone
}

// Model is the step as a front end shows and runs it.
func (s Step) Model() model.CeremonyStep {
	return model.CeremonyStep{Name: s.String(), Title: s.Title(), Describe: s.Describe(),
		Inputs: s.Inputs(), Override: s.Override(), Signs: s.Signs(), SignWith: s.SignWith(), Action: s.Action()}
}
