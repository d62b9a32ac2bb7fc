package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// TranscriptFormat names the transcript format; Verify refuses any other.
const TranscriptFormat = "wallet-console/ceremony-transcript/v1"

// Outcomes and backup methods as the transcript spells them.
const (
	OutcomeCompleted = "completed"
	OutcomeAborted   = "aborted"
	BackupWrap       = "wrap"
	BackupOutOfBand  = "out_of_band"
)

// GenesisPrev is the prev of the first entry: 64 zeros.
var GenesisPrev = strings.Repeat("0", 64)

// Transcript is the file a ceremony writes (see the package documentation
// for the exact byte form). Every header field is repeated in the data of an
// entry (ceremony_started, request_loaded, offline_override, key_generated,
// backup_recorded, closing/aborted), so Verify can check the header against
// the hash chain.
type Transcript struct {
	Format               string             `json:"format"`
	CeremonyID           string             `json:"ceremony_id"`
	RequestID            string             `json:"request_id"`
	ApprovalID           string             `json:"approval_id"`
	WalletVersion        int                `json:"wallet_version"`
	KeyLabel             string             `json:"key_label"`
	Outcome              string             `json:"outcome"`
	Rehearsal            bool               `json:"rehearsal"`
	Roster               []RosterEntry      `json:"roster"`
	WitnessesRequired    int                `json:"witnesses_required"`
	MasterPublicKey      string             `json:"master_public_key"`
	PublicKeyFingerprint string             `json:"public_key_fingerprint"`
	Backup               *BackupHeader      `json:"backup"` // null until the backup step ran
	Entries              []Entry            `json:"entries"`
	FinalHash            string             `json:"final_hash"`
	MasterSignature      string             `json:"master_signature"` // base64 Ed25519 over FinalMessageText; "" when aborted
	WitnessSignatures    []WitnessSignature `json:"witness_signatures"`
}

// RosterEntry is a witness on the transcript's roster.
type RosterEntry struct {
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
}

// BackupHeader is how the key was backed up and whether the copy is proven.
type BackupHeader struct {
	Method string `json:"method"` // BackupWrap or BackupOutOfBand
	Proven bool   `json:"proven"`
}

// Entry is one transcript entry. Hash is EntryHash over the other fields.
type Entry struct {
	Seq   int             `json:"seq"`
	Step  string          `json:"step"`
	Event string          `json:"event"`
	Actor string          `json:"actor"`
	Time  string          `json:"time"` // RFC 3339 with nanoseconds, UTC
	Data  json.RawMessage `json:"data"` // a JSON object, in canonical form
	Prev  string          `json:"prev"` // hash of the previous entry; GenesisPrev for the first
	Hash  string          `json:"hash"`
}

// WitnessSignature is a witness's closing signature over FinalMessageText.
type WitnessSignature struct {
	Name      string `json:"name"`
	Signature string `json:"signature"` // armored SSHSIG, namespace Namespace
}

// hashBody is what an entry's hash covers besides prev; its fields are in
// sorted key order so encoding/json writes the keys sorted.
type hashBody struct {
	Actor string          `json:"actor"`
	Data  json.RawMessage `json:"data"`
	Event string          `json:"event"`
	Seq   int             `json:"seq"`
	Step  string          `json:"step"`
	Time  string          `json:"time"`
}

// EntryHash is the hash of an entry: lower-case hex SHA-256 of
//
//	prev + "\n" + compact JSON of {"actor","data","event","seq","step","time"}
//
// with object keys sorted at every level and strings escaped as
// encoding/json does with HTML escaping off (jq -cS gives the same bytes for
// the ASCII text a ceremony records).
func EntryHash(e Entry) (string, error) {
	data, err := canonicalData(e.Data)
	if err != nil {
		return "", err
	}
	body, err := encodeJSON(hashBody{Actor: e.Actor, Data: data, Event: e.Event, Seq: e.Seq, Step: e.Step, Time: e.Time}, false)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(e.Prev))
	h.Write([]byte("\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// encodeJSON is the one JSON encoder of the package: no HTML escaping, and
// either compact or indented by two spaces; no trailing newline.
func encodeJSON(v any, indent bool) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// canonicalData re-encodes an entry's data compactly with sorted keys,
// keeping numbers as written. It must be a JSON object.
func canonicalData(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("entry data is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("entry data has text after the object")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("entry data is not a JSON object")
	}
	return encodeJSON(v, false)
}

// marshalData turns an event's data value into canonical entry data.
func marshalData(v any) (json.RawMessage, error) {
	b, err := encodeJSON(v, false)
	if err != nil {
		return nil, err
	}
	return canonicalData(b)
}

// MarshalTranscript writes t in the one byte form a transcript has: JSON
// indented by two spaces, fields in the order of the Transcript type, entry
// data canonical (sorted keys), signatures armored as ssh-keygen writes
// them, empty lists as [], no HTML escaping, one final newline. Verify
// re-serialises what it parsed with this and refuses a file that differs.
func MarshalTranscript(t *Transcript) ([]byte, error) {
	c := *t
	if c.Roster == nil {
		c.Roster = []RosterEntry{}
	}
	if c.WitnessSignatures == nil {
		c.WitnessSignatures = []WitnessSignature{}
	}
	c.Entries = make([]Entry, len(t.Entries))
	for i, e := range t.Entries {
		d, err := canonicalData(e.Data)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
		}
		e.Data = d
		c.Entries[i] = e
	}
	if sig, err := base64.StdEncoding.DecodeString(c.MasterSignature); err == nil {
		c.MasterSignature = base64.StdEncoding.EncodeToString(sig) // one spelling per signature
	}
	c.WitnessSignatures = make([]WitnessSignature, len(t.WitnessSignatures))
	for i, w := range t.WitnessSignatures {
		if raw, _, err := parseArmored([]byte(w.Signature)); err == nil {
			w.Signature = armorSignature(raw)
		}
		c.WitnessSignatures[i] = w
	}
	b, err := encodeJSON(&c, true)
	if err != nil {
		return nil, fmt.Errorf("encode transcript: %w", err)
	}
	return append(b, '\n'), nil
}

// ChallengeText is what every witness signs to attest, fixed when the
// witness step starts (head is the hash of the last entry before it):
//
//	wallet-ceremony witness attestation
//	ceremony: WKC-20261121-021500-a1b2c3
//	request: WCR-2026-11-20-001
//	approval: WAP-20261120093000
//	transcript: <64 hex digits>
//
// with "\n" after every line. Witnesses sign it with
// `ssh-keygen -Y sign -f KEY -n wallet-ceremony@plings.io challenge.txt`.
func ChallengeText(ceremonyID, requestID, approvalID, head string) []byte {
	return []byte(fmt.Sprintf("wallet-ceremony witness attestation\nceremony: %s\nrequest: %s\napproval: %s\ntranscript: %s\n",
		ceremonyID, requestID, approvalID, head))
}

// FinalMessageText is what the master key and every attested witness sign
// to close a ceremony (finalHash is the hash of the closing entry):
//
//	wallet-ceremony final
//	ceremony: WKC-20261121-021500-a1b2c3
//	request: WCR-2026-11-20-001
//	approval: WAP-20261120093000
//	key: plings_master_key_v3 <fingerprint, 64 hex digits>
//	final: <64 hex digits>
//
// with "\n" after every line. Check the master signature with
// `openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in final.txt -sigfile sig.bin`.
func FinalMessageText(ceremonyID, requestID, approvalID, keyLabel, fingerprint, finalHash string) []byte {
	return []byte(fmt.Sprintf("wallet-ceremony final\nceremony: %s\nrequest: %s\napproval: %s\nkey: %s %s\nfinal: %s\n",
		ceremonyID, requestID, approvalID, keyLabel, fingerprint, finalHash))
}

// KeyTestText is the message the new key signs in the HSM to show it works.
func KeyTestText(ceremonyID, keyLabel, nonceHex string) []byte {
	return []byte(fmt.Sprintf("wallet-ceremony key test\nceremony: %s\nkey: %s\nnonce: %s\n", ceremonyID, keyLabel, nonceHex))
}
