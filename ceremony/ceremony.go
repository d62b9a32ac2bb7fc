package ceremony

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// KeyMaker makes the master key labelled label on token. The default is
// token.GenerateKey; tests (and rehearsals) may import one known seed into
// the main and the backup token to stand in for a vendor's out-of-band backup.
type KeyMaker func(token *hsm.Token, label string) (*hsm.Key, error)

// Config is what a ceremony needs from its caller.
type Config struct {
	Module        *hsm.Module // the PKCS#11 module (opened by the caller, who closes it)
	TokenLabel    string      // the token the master key is made on
	Operator      string      // who runs the ceremony (recorded as the actor)
	TranscriptDir string      // the transcript goes to TranscriptDir/<ceremony id>.json, never overwritten
	NetRoot       string      // root for the offline check ("" is "/"; tests use fixtures)
	Ledger        Ledger      // the machine's record of ceremonies
	Now           func() time.Time
	KeyMaker      KeyMaker // nil: token.GenerateKey
	// StateDir is where the ceremony keeps its unfinished marker from the
	// moment the key is about to be made until the transcript is written
	// (the ceremony machine's data directory; see FindUnfinished). "" keeps
	// none.
	StateDir string
}

// Ceremony is one witnessed key ceremony, driven one step at a time. Its
// methods are safe to call from several goroutines (a Ctrl-C handler may call
// Abort while a step runs: it waits for the step to finish).
type Ceremony struct {
	mu  sync.Mutex
	ctx context.Context
	cfg Config
	id  string

	step    Step
	outcome string // "" while running, then OutcomeCompleted or OutcomeAborted
	entries []Entry

	// request
	rf         *RequestFile
	roster     *Roster
	need       int
	keyLabel   string
	requestSHA string
	rehearsal  bool

	// hsm and key
	token        *hsm.Token
	tokenSerial  string // the ceremony token's serial, as recorded at login
	keyAttempted bool
	keyMade      bool // the key maker returned a key: the label is ours to destroy
	key          *hsm.Key
	pub          ed25519.PublicKey
	pubPEM       string

	// witnesses
	challenge []byte
	attested  []RosterWitness

	// backup
	backupTok    *hsm.Token
	backupWrap   bool // this ceremony put the copy on backupTok by wrapping
	backup       *BackupHeader
	backupProven bool

	// close
	finalMsg  []byte
	closing   []WitnessSignature
	closedFP  map[string]bool
	masterSig []byte
	abortErr  error
	path      string
	written   bool

	// the unfinished marker ("" when none is kept)
	markerPath   string
	keyStartedAt time.Time
}

// New starts a ceremony: it makes the ceremony id (WKC-YYYYMMDD-HHMMSS-xxxxxx,
// the suffix from crypto/rand) and records the first entry, ceremony_started.
func New(ctx context.Context, cfg Config) (*Ceremony, error) {
	switch {
	case cfg.Ledger == nil:
		return nil, errors.New("start ceremony: no ledger: the ceremony needs the machine's local database to record it")
	case strings.TrimSpace(cfg.Operator) == "":
		return nil, errors.New("start ceremony: no operator name: say who runs the ceremony")
	case cfg.TranscriptDir == "":
		return nil, errors.New("start ceremony: no transcript directory: give the removable media's directory")
	}
	if fi, err := os.Stat(cfg.TranscriptDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("start ceremony: transcript directory %s is not a directory (%v): mount the removable media and give its path", cfg.TranscriptDir, err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var rnd [3 + 16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("start ceremony: read random: %w", err)
	}
	now := cfg.Now().UTC()
	c := &Ceremony{
		ctx:      ctx,
		cfg:      cfg,
		id:       fmt.Sprintf("WKC-%s-%s", now.Format("20060102-150405"), hex.EncodeToString(rnd[:3])),
		closedFP: map[string]bool{},
	}
	if err := c.record(StepRequest, EventStarted, cfg.Operator, startedData{
		CeremonyID: c.id, Operator: cfg.Operator, Nonce: hex.EncodeToString(rnd[3:]), Format: TranscriptFormat,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// ID is the ceremony id.
func (c *Ceremony) ID() string { return c.id }

// Current is the step the ceremony is at (StepDone once closed or aborted).
func (c *Ceremony) Current() Step {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.step
}

// Outcome is "" while the ceremony runs, then OutcomeCompleted or OutcomeAborted.
func (c *Ceremony) Outcome() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outcome
}

// Rehearsal reports whether the offline check was overridden.
func (c *Ceremony) Rehearsal() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rehearsal
}

// KeyLabel is plings_master_key_v{N} once the request is loaded.
func (c *Ceremony) KeyLabel() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keyLabel
}

// Entries returns a copy of the transcript so far.
func (c *Ceremony) Entries() []Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Entry, len(c.entries))
	for i, e := range c.entries {
		e.Data = bytes.Clone(e.Data) // the caller cannot reach into the chain
		out[i] = e
	}
	return out
}

// Head is the hash of the last entry.
func (c *Ceremony) Head() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.head()
}

// TranscriptPath is where the transcript was written ("" until then).
func (c *Ceremony) TranscriptPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.written {
		return ""
	}
	return c.path
}

func (c *Ceremony) head() string {
	if len(c.entries) == 0 {
		return GenesisPrev
	}
	return c.entries[len(c.entries)-1].Hash
}

func (c *Ceremony) now() time.Time { return c.cfg.Now().UTC() }

// record appends an entry. The caller holds c.mu (or owns c, in New).
func (c *Ceremony) record(step Step, event, actor string, data any) error {
	raw, err := marshalData(data)
	if err != nil {
		return fmt.Errorf("record %s: %w", event, err)
	}
	e := Entry{
		Seq:   len(c.entries) + 1,
		Step:  step.String(),
		Event: event,
		Actor: actor,
		Time:  c.now().Format(time.RFC3339Nano),
		Data:  raw,
		Prev:  c.head(),
	}
	if e.Hash, err = EntryHash(e); err != nil {
		return fmt.Errorf("record %s: %w", event, err)
	}
	c.entries = append(c.entries, e)
	// Once the key is under way the marker follows every entry, so that a
	// run killed at any later point leaves its transcript so far on disk;
	// not the closing or aborted entry, after which no aborted entry can
	// follow (a run killed then is recovered from the entries before).
	if event == EventClosing || event == EventAborted {
		return nil
	}
	return c.saveUnfinished()
}

// at checks the ceremony is at step want, for doing what.
func (c *Ceremony) at(want Step, what string) error {
	switch {
	case c.outcome != "":
		return newProblem(fmt.Sprintf("%s: the ceremony %s is already %s", what, c.id, c.outcome), ErrFinished, ErrOutOfOrder)
	case c.step != want:
		return newProblem(fmt.Sprintf("%s belongs to step %d (%s), but the ceremony is at step %d (%s): %s first",
			what, want.Number(), want, c.step.Number(), c.step, strings.ToLower(c.step.Title())), ErrOutOfOrder)
	}
	return nil
}

// transcript assembles the file for outcome from the entries and the state.
func (c *Ceremony) transcript(outcome string) *Transcript {
	t := &Transcript{
		Format:     TranscriptFormat,
		CeremonyID: c.id,
		Outcome:    outcome,
		Rehearsal:  c.rehearsal,
		Roster:     []RosterEntry{},
		Entries:    append([]Entry(nil), c.entries...),
		FinalHash:  c.head(),
		Backup:     c.backup,
	}
	if c.rf != nil {
		t.RequestID = c.rf.Request.ID
		t.ApprovalID = c.rf.Request.ApprovalID
		t.WalletVersion = c.rf.NextVersion
		t.KeyLabel = c.keyLabel
		t.WitnessesRequired = c.need
		for _, w := range c.roster.Witnesses {
			t.Roster = append(t.Roster, RosterEntry{Name: w.Name, PublicKey: w.PublicKey})
		}
	}
	if c.pub != nil {
		t.MasterPublicKey = c.pubPEM
		t.PublicKeyFingerprint = hsm.Fingerprint(c.pub)
	}
	if outcome == OutcomeCompleted {
		t.MasterSignature = base64.StdEncoding.EncodeToString(c.masterSig)
		t.WitnessSignatures = append([]WitnessSignature(nil), c.closing...)
	}
	return t
}

// writeTranscript writes transcript bytes to TranscriptDir/<id>.json
// (O_EXCL) and returns the path and the file's SHA-256.
func (c *Ceremony) writeTranscript(b []byte) (string, string, error) {
	path := filepath.Join(c.cfg.TranscriptDir, c.id+".json")
	if err := writeNew(path, b); err != nil {
		return "", "", fmt.Errorf("write transcript: %w", err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:]), nil
}

// recordRun tells the ledger how the ceremony ended. The ledger is told even
// when the caller's context was cancelled (Ctrl-C): that is when it matters.
func (c *Ceremony) recordRun(outcome, step, reason, path, sum string) error {
	run := model.CeremonyRun{
		CeremonyID: c.id, Outcome: outcome, Step: step, Reason: reason,
		TranscriptPath: path, TranscriptSHA256: sum, At: c.now(),
	}
	if c.rf != nil {
		run.RequestID, run.ApprovalID, run.Version = c.rf.Request.ID, c.rf.Request.ApprovalID, c.rf.NextVersion
	}
	if run.RequestID == "" {
		// Stopped before a request was loaded: no request to guard, no key
		// made. The transcript says where it stopped; the ledger, which is
		// there to keep a request from being used twice, has nothing to add.
		return nil
	}
	if err := c.cfg.Ledger.RecordCeremony(context.WithoutCancel(c.ctx), run); err != nil {
		return fmt.Errorf("the transcript %s was written, but recording the ceremony in the local database failed: %w; record it by hand before another ceremony uses request %s", path, err, run.RequestID)
	}
	return nil
}

// closeTokens closes the main token (the backup token is the caller's).
func (c *Ceremony) closeTokens() {
	if c.token != nil {
		_ = c.token.Close()
	}
}
