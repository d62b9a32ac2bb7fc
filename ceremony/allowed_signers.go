package ceremony

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
)

// MaxAllowedSignersSize is the largest allowed_signers file read (1 MiB:
// thousands of keys).
const MaxAllowedSignersSize = 1 << 20

var (
	// ErrAllowedSigners: the allowed_signers file cannot be read or parsed.
	ErrAllowedSigners = errors.New("allowed signers file unusable")
	// ErrUntrustedWitnesses: fewer witnesses than required are signed with
	// keys the auditor's allowed_signers file lists for them.
	ErrUntrustedWitnesses = errors.New("witnesses not on the trusted roster")
)

// AllowedSigner is one line of an OpenSSH allowed_signers file.
type AllowedSigner struct {
	Line          int
	Principals    []string // patterns, as ssh-keygen matches them (* ? and !negation)
	Namespaces    []string // patterns; nil: any namespace
	CertAuthority bool     // the key signs certificates, it is not a signer itself
	ValidAfter    time.Time
	ValidBefore   time.Time
	Key           ssh.PublicKey
}

// AllowedSignersFile is a parsed allowed_signers file (see ssh-keygen(1),
// ALLOWED SIGNERS): a roster the auditor trusts.
type AllowedSignersFile struct {
	Source  string // the file's name, for messages
	Signers []AllowedSigner
}

// ReadAllowedSigners reads and parses an allowed_signers file of at most
// MaxAllowedSignersSize bytes.
func ReadAllowedSigners(path string) (*AllowedSignersFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, newProblem(fmt.Sprintf("allowed signers file: %v", err), ErrAllowedSigners)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxAllowedSignersSize+1))
	if err != nil {
		return nil, newProblem(fmt.Sprintf("allowed signers file %s: %v", path, err), ErrAllowedSigners)
	}
	if len(data) > MaxAllowedSignersSize {
		return nil, newProblem(fmt.Sprintf("allowed signers file %s is larger than %d bytes: it is not an allowed_signers file", path, MaxAllowedSignersSize), ErrAllowedSigners)
	}
	return ParseAllowedSigners(path, data)
}

// ParseAllowedSigners parses the OpenSSH allowed_signers format: one
// signer a line, `principals [options] keytype base64key [comment]`, where
// principals is a comma-separated list of patterns (optionally in double
// quotes) and options are cert-authority, namespaces="…", valid-after="…"
// and valid-before="…". Blank lines and lines starting with # are skipped.
// An unknown option, a bad key or a bad time refuses the whole file with
// the line's number: a roster the auditor trusts is not guessed at.
func ParseAllowedSigners(source string, data []byte) (*AllowedSignersFile, error) {
	if len(data) > MaxAllowedSignersSize {
		return nil, newProblem(fmt.Sprintf("allowed signers file %s is larger than %d bytes", source, MaxAllowedSignersSize), ErrAllowedSigners)
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, newProblem(fmt.Sprintf("allowed signers file %s is not text: give the allowed_signers file (lines of principal, options, key)", source), ErrAllowedSigners)
	}
	a := &AllowedSignersFile{Source: source}
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSignerLine(line)
		if err != nil {
			return nil, newProblem(fmt.Sprintf("allowed signers file %s, line %d: %v", source, n, err), ErrAllowedSigners)
		}
		s.Line = n
		a.Signers = append(a.Signers, s)
	}
	if len(a.Signers) == 0 {
		return nil, newProblem(fmt.Sprintf("allowed signers file %s lists no signer", source), ErrAllowedSigners)
	}
	return a, nil
}

func parseSignerLine(line string) (AllowedSigner, error) {
	var s AllowedSigner
	var principals, rest string
	if line[0] == '"' {
		end := strings.IndexByte(line[1:], '"')
		if end < 0 {
			return s, errors.New("the quoted principals have no closing quote")
		}
		principals, rest = line[1:1+end], line[2+end:]
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return s, errors.New("no space after the quoted principals")
		}
	} else {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return s, errors.New("a principal and no key: want `principal[,principal…] [options] keytype base64key`")
		}
		principals, rest = line[:i], line[i:]
	}
	for _, p := range strings.Split(principals, ",") {
		if p == "" || p == "!" {
			return s, fmt.Errorf("empty principal in %q", principals)
		}
		s.Principals = append(s.Principals, p)
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return s, errors.New("no key after the principals")
	}
	key, _, opts, tail, err := ssh.ParseAuthorizedKey([]byte(rest))
	if err != nil {
		return s, fmt.Errorf("no OpenSSH public key after the principals (%v): want `keytype base64key` as in a .pub file", err)
	}
	if len(bytes.TrimSpace(tail)) > 0 {
		return s, errors.New("more than one line's worth of key")
	}
	s.Key = key
	for _, o := range opts {
		name, val, hasVal := strings.Cut(o, "=")
		if hasVal {
			if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
				return s, fmt.Errorf("option %s: the value must be in double quotes", name)
			}
			val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
		}
		switch lname := strings.ToLower(name); {
		case lname == "cert-authority" && !hasVal:
			s.CertAuthority = true
		case lname == "namespaces" && hasVal:
			if s.Namespaces != nil {
				return s, errors.New("namespaces given twice")
			}
			s.Namespaces = strings.Split(val, ",")
		case (lname == "valid-after" || lname == "valid-before") && hasVal:
			t, err := parseSignerTime(val)
			if err != nil {
				return s, fmt.Errorf("option %s: %v", lname, err)
			}
			if lname == "valid-after" {
				s.ValidAfter = t
			} else {
				s.ValidBefore = t
			}
		default:
			return s, fmt.Errorf("unknown option %q (allowed_signers knows cert-authority, namespaces=\"…\", valid-after=\"…\", valid-before=\"…\")", o)
		}
	}
	return s, nil
}

// parseSignerTime reads YYYYMMDD[HHMM[SS]][Z] (local time without the Z),
// as ssh-keygen does.
func parseSignerTime(v string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		v, loc = v[:len(v)-1], time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(v)]
	if !ok {
		return time.Time{}, fmt.Errorf("time %q is not YYYYMMDD[HHMM[SS]][Z]", v)
	}
	t, err := time.ParseInLocation(layout, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not YYYYMMDD[HHMM[SS]][Z]", v)
	}
	return t, nil
}

// Permits reports whether the file lets key sign as principal in namespace
// at time at, as `ssh-keygen -Y verify -I principal -n namespace
// -Overify-time=at` decides for a plain (non-certificate) key; when it does
// not, why says so.
func (a *AllowedSignersFile) Permits(principal string, key ssh.PublicKey, namespace string, at time.Time) (ok bool, why string) {
	if _, cert := key.(*ssh.Certificate); cert {
		return false, "the signature carries a certificate; witnesses sign with plain keys"
	}
	want := key.Marshal()
	fp := ssh.FingerprintSHA256(key)
	listedFor := false
	for _, s := range a.Signers {
		if !matchPatternList(principal, s.Principals) {
			continue
		}
		listedFor = true
		switch {
		case s.CertAuthority || !bytes.Equal(s.Key.Marshal(), want):
			continue
		case s.Namespaces != nil && !matchPatternList(namespace, s.Namespaces):
			why = fmt.Sprintf("line %d lists key %s for %s but not for namespace %s", s.Line, fp, principal, namespace)
			continue
		case !s.ValidAfter.IsZero() && at.Before(s.ValidAfter):
			why = fmt.Sprintf("line %d lists key %s for %s only from %s, after the signature (%s)", s.Line, fp, principal, s.ValidAfter.Format(time.RFC3339), at.Format(time.RFC3339))
			continue
		case !s.ValidBefore.IsZero() && at.After(s.ValidBefore):
			why = fmt.Sprintf("line %d lists key %s for %s only until %s, before the signature (%s)", s.Line, fp, principal, s.ValidBefore.Format(time.RFC3339), at.Format(time.RFC3339))
			continue
		}
		return true, ""
	}
	switch {
	case why != "":
		return false, why
	case listedFor:
		return false, fmt.Sprintf("signed with key %s, which %s does not list for %s", fp, a.Source, principal)
	}
	return false, fmt.Sprintf("%s does not list %s at all (signed with key %s)", a.Source, principal, fp)
}

// matchPatternList is OpenSSH's match_pattern_list: true when s matches a
// pattern of the list and no negated (!) pattern.
func matchPatternList(s string, patterns []string) bool {
	got := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if matchPattern(s, p) {
			if neg {
				return false
			}
			got = true
		}
	}
	return got
}

// matchPattern matches s against a pattern of * (any run) and ? (any one).
func matchPattern(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchPattern(s[i:], p) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			_, n := utf8.DecodeRuneInString(s)
			s, p = s[n:], p[1:]
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			s, p = s[1:], p[1:]
		}
	}
	return s == ""
}
