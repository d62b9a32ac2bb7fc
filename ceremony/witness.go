package ceremony

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/plings/walletconsole/model"
)

// principalRE is what an ssh allowed-signers principal may be without
// quoting; roster names must fit so that AllowedSigners needs no escaping.
var principalRE = regexp.MustCompile(`^[A-Za-z0-9._@+-]+$`)

// RosterWitness is one validated roster entry.
type RosterWitness struct {
	Name        string
	Key         ssh.PublicKey
	PublicKey   string // "ssh-ed25519 AAAA…", comment dropped
	Fingerprint string // "SHA256:…", as ssh-keygen -l prints it
}

// Roster is a request's validated witness roster.
type Roster struct {
	RequestID string // for messages
	Witnesses []RosterWitness
	byFP      map[string]int
}

// NewRoster validates a roster: every name usable as an allowed-signers
// principal ([A-Za-z0-9._@+-]+), every key a plain OpenSSH public key (no
// options, no certificate, no DSA), names unique, keys unique.
func NewRoster(requestID string, ws []model.Witness) (*Roster, error) {
	r := &Roster{RequestID: requestID, byFP: map[string]int{}}
	names := map[string]bool{}
	for i, w := range ws {
		if !principalRE.MatchString(w.Name) {
			return nil, newProblem(fmt.Sprintf("witness %d name %q cannot be an allowed-signers principal: use letters, digits and . _ @ + - only, and fix the roster on the connected side", i+1, w.Name), ErrInvalidRoster)
		}
		if names[w.Name] {
			return nil, newProblem(fmt.Sprintf("witness name %q is on the roster twice: each witness needs a name of their own", w.Name), ErrInvalidRoster)
		}
		names[w.Name] = true
		key, err := parseWitnessKey(w.PublicKey)
		if err != nil {
			return nil, newProblem(fmt.Sprintf("witness %s: %v; put the line from their .pub file on the roster", w.Name, err), ErrInvalidRoster)
		}
		fp := ssh.FingerprintSHA256(key)
		if j, dup := r.byFP[fp]; dup {
			return nil, newProblem(fmt.Sprintf("witnesses %s and %s have the same key %s: each witness signs with a key of their own", r.Witnesses[j].Name, w.Name, fp), ErrInvalidRoster)
		}
		r.byFP[fp] = len(r.Witnesses)
		r.Witnesses = append(r.Witnesses, RosterWitness{
			Name:        w.Name,
			Key:         key,
			PublicKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))),
			Fingerprint: fp,
		})
	}
	return r, nil
}

// parseWitnessKey parses one authorized_keys line.
func parseWitnessKey(line string) (ssh.PublicKey, error) {
	key, _, opts, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	switch {
	case err != nil:
		return nil, fmt.Errorf("public key %q is not an OpenSSH public key (%v)", abbreviate(line), err)
	case len(opts) > 0:
		return nil, fmt.Errorf("public key has authorized_keys options %q; give the bare key", strings.Join(opts, ","))
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("more than one public key given")
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return nil, fmt.Errorf("public key is a certificate; give the plain key")
	}
	if key.Type() == ssh.KeyAlgoDSA {
		return nil, fmt.Errorf("DSA keys are not accepted (ssh-keygen no longer signs with them); use ed25519")
	}
	return key, nil
}

// Models returns the roster as model values (keys without comments).
func (r *Roster) Models() []model.Witness {
	out := make([]model.Witness, len(r.Witnesses))
	for i, w := range r.Witnesses {
		out[i] = model.Witness{Name: w.Name, PublicKey: w.PublicKey}
	}
	return out
}

// Names returns the witnesses' names in roster order.
func (r *Roster) Names() []string {
	out := make([]string, len(r.Witnesses))
	for i, w := range r.Witnesses {
		out[i] = w.Name
	}
	return out
}

// ByFingerprint finds a witness by key fingerprint ("SHA256:…").
func (r *Roster) ByFingerprint(fp string) (RosterWitness, bool) {
	i, ok := r.byFP[fp]
	if !ok {
		return RosterWitness{}, false
	}
	return r.Witnesses[i], true
}

// AllowedSigners writes roster as an OpenSSH allowed_signers file, one line
// per witness:
//
//	alice namespaces="wallet-ceremony@plings.io" ssh-ed25519 AAAA…
//
// so that `ssh-keygen -Y verify -f FILE -I alice -n wallet-ceremony@plings.io
// -s SIG < MSG` checks a witness signature with a tool we did not write.
// Witnesses whose name or key would not parse are written as comment lines
// saying so (validate with NewRoster first).
func AllowedSigners(roster []model.Witness) []byte {
	var b bytes.Buffer
	for _, w := range roster {
		key, err := parseWitnessKey(w.PublicKey)
		if err != nil || !principalRE.MatchString(w.Name) {
			fmt.Fprintf(&b, "# skipped %q: not a valid roster entry\n", w.Name)
			continue
		}
		fmt.Fprintf(&b, "%s namespaces=%q %s", w.Name, Namespace, ssh.MarshalAuthorizedKey(key))
	}
	return b.Bytes()
}

// Attestation is a verified witness signature.
type Attestation struct {
	Witness       RosterWitness
	HashAlgorithm string // "sha512" or "sha256"
	Armored       string // the signature, armored as ssh-keygen writes it
}

// refusalKind names a witness refusal for the transcript.
func refusalKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotOnRoster):
		return "not_on_roster"
	case errors.Is(err, ErrDuplicateWitness):
		return "duplicate"
	case errors.Is(err, ErrNotAttested):
		return "not_attested"
	default:
		return "bad_signature"
	}
}

// Verify checks an armored SSHSIG signature (what `ssh-keygen -Y sign -n
// wallet-ceremony@plings.io` writes) over message and finds its signer on the
// roster by the public key inside the signature. It returns the attestation;
// on failure the returned Attestation still carries the signer's key and
// fingerprint when they could be read. Errors: ErrBadSignature (not a
// signature, wrong namespace, hash other than sha512/sha256, or it does not
// verify over message), ErrNotOnRoster.
func (r *Roster) Verify(message, armored []byte) (Attestation, error) {
	var att Attestation
	raw, sig, err := parseArmored(armored)
	if err != nil {
		return att, newProblem(err.Error(), ErrBadSignature)
	}
	att.Armored = armorSignature(raw)
	att.HashAlgorithm = string(sig.HashAlgorithm)
	fp := ssh.FingerprintSHA256(sig.PublicKey)
	att.Witness = RosterWitness{Key: sig.PublicKey, Fingerprint: fp}
	w, ok := r.ByFingerprint(fp)
	if !ok {
		return att, newProblem(fmt.Sprintf("signed with key %s which is not on the roster of request %s; the witness must sign with the key the roster names", fp, r.RequestID), ErrNotOnRoster)
	}
	att.Witness = w
	if sig.Namespace != Namespace {
		return att, newProblem(fmt.Sprintf("%s signed in namespace %q, not %q: sign again with ssh-keygen -Y sign -n %s", w.Name, sig.Namespace, Namespace, Namespace), ErrBadSignature)
	}
	if err := sig.HashAlgorithm.Supported(); err != nil {
		return att, newProblem(fmt.Sprintf("%s's signature uses hash %q; ssh-keygen signs with sha512 (or sha256)", w.Name, sig.HashAlgorithm), ErrBadSignature)
	}
	if err := sshsig.Verify(bytes.NewReader(message), sig, w.Key, sig.HashAlgorithm, Namespace); err != nil {
		return att, newProblem(fmt.Sprintf("%s's signature (key %s) does not verify over this message (%v): they must sign exactly the text shown, unchanged", w.Name, fp, err), ErrBadSignature)
	}
	return att, nil
}

// parseArmored decodes "-----BEGIN SSH SIGNATURE-----" … (leading and
// trailing text such as a shell prompt is ignored) into the wire blob and
// the parsed signature.
func parseArmored(armored []byte) ([]byte, *sshsig.Signature, error) {
	blk, _ := pem.Decode(bytes.TrimSpace(armored))
	if blk == nil {
		blk = flattenedArmor(armored)
	}
	if blk == nil {
		return nil, nil, fmt.Errorf("not an SSH signature: paste the whole block from -----BEGIN SSH SIGNATURE----- to -----END SSH SIGNATURE-----")
	}
	if blk.Type != sshsig.PEMType {
		return nil, nil, fmt.Errorf("a %q block is not an SSH signature: give the .sig file ssh-keygen -Y sign wrote", blk.Type)
	}
	sig, err := sshsig.ParseSignature(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("the SSH signature block does not parse (%v): copy it again, whole", err)
	}
	return blk.Bytes, sig, nil
}

// flattenedArmor reads an armored signature whose line breaks were lost on
// the way (pasted into a one-line field): BEGIN line, base64, END line run
// together. nil when it is not one.
func flattenedArmor(b []byte) *pem.Block {
	const begin, end = "-----BEGIN " + sshsig.PEMType + "-----", "-----END " + sshsig.PEMType + "-----"
	s := string(b)
	i := strings.Index(s, begin)
	if i < 0 {
		return nil
	}
	body, _, ok := strings.Cut(s[i+len(begin):], end)
	if !ok {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil {
		return nil
	}
	return &pem.Block{Type: sshsig.PEMType, Bytes: raw}
}

// armorSignature armors a signature blob exactly as ssh-keygen does: base64
// in lines of 70 characters between the BEGIN and END lines, with a final
// newline. Stored signatures take this one form, so the transcript's bytes
// do not depend on how a witness pasted theirs.
func armorSignature(raw []byte) string {
	b64 := base64.StdEncoding.EncodeToString(raw)
	var b strings.Builder
	b.WriteString("-----BEGIN SSH SIGNATURE-----\n")
	for len(b64) > 70 {
		b.WriteString(b64[:70])
		b.WriteByte('\n')
		b64 = b64[70:]
	}
	b.WriteString(b64)
	b.WriteString("\n-----END SSH SIGNATURE-----\n")
	return b.String()
}

// abbreviate shortens s for a message.
func abbreviate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
