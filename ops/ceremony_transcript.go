package ops

import (
	"context"
	"fmt"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/model"
)

// VerifyTranscript checks a ceremony transcript anywhere, offline: its hash
// chain, the master key's and the witnesses' signatures against the roster
// in the file and, when allowedSigners names an OpenSSH allowed_signers
// file, against that roster the auditor trusts. A transcript that does not
// verify is *Refused; when only the trusted roster fails it, the summary
// is returned with the refusal (to say who was not counted).
func VerifyTranscript(path, allowedSigners string) (*ceremony.Summary, error) {
	var opts ceremony.VerifyOptions
	if allowedSigners != "" {
		a, err := ceremony.ReadAllowedSigners(allowedSigners)
		if err != nil {
			return nil, fmt.Errorf("ceremony verify: %w", err)
		}
		opts.AllowedSigners = a
	}
	data, err := model.ReadFileLimit(path, model.MaxTranscriptBytes)
	if err != nil {
		return nil, fmt.Errorf("read the transcript: %w", err)
	}
	sum, err := ceremony.VerifyWith(data, opts)
	if err != nil {
		return sum, &Refused{What: "ceremony verify " + path, Err: err}
	}
	return sum, nil
}

// Outcome is the ceremony's outcome: "" while under way, then
// ceremony.OutcomeCompleted or ceremony.OutcomeAborted.
func (d *CeremonyDriver) Outcome() string { return d.c.Outcome() }

// ImportResult is what importing a transcript did.
type ImportResult struct {
	Import  model.CeremonyImport
	Created bool // false: it was imported before, nothing changed
}

// ReadTranscript verifies the transcript at path and returns what the
// connected side takes from it, without a database (a tampered or aborted
// transcript is refused before one is opened).
func ReadTranscript(path string) (model.CeremonyImport, error) {
	data, err := model.ReadFileLimit(path, model.MaxTranscriptBytes)
	if err != nil {
		return model.CeremonyImport{}, fmt.Errorf("read the transcript: %w", err)
	}
	sum, err := ceremony.Verify(data)
	if err != nil {
		return model.CeremonyImport{}, &Refused{What: "ceremony import " + path, Why: "the transcript does not verify", Err: err}
	}
	in, err := sum.Import(data)
	if err != nil {
		return model.CeremonyImport{}, &Refused{What: "ceremony import " + path, Err: err}
	}
	return in, nil
}

// ImportCeremony creates the wallet version a verified transcript made
// (status created), once, and only for the request and approval this
// database knows; importing it again changes nothing (Created false).
func (s *Service) ImportCeremony(ctx context.Context, in model.CeremonyImport) (ImportResult, error) {
	created, err := s.DB.ImportCeremony(ctx, in, s.Actor)
	if err != nil {
		return ImportResult{}, fmt.Errorf("ceremony import %s: %w", in.CeremonyID, err)
	}
	return ImportResult{Import: in, Created: created}, nil
}

// Refused is a use case that checked its input and said no: the CLI exits
// non-zero with it, and its text says why.
type Refused struct {
	What string // "ceremony import FILE"
	Why  string // optional: in the operator's words
	Err  error
}

func (r *Refused) Error() string {
	if r.Why != "" {
		return fmt.Sprintf("%s: REFUSED, %s: %v", r.What, r.Why, r.Err)
	}
	return fmt.Sprintf("%s: REFUSED: %v", r.What, r.Err)
}

func (r *Refused) Unwrap() error { return r.Err }
