package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// witnessKeyTypes are the OpenSSH public key types ssh-keygen -Y can sign with.
var witnessKeyTypes = []string{
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
}

// witnessName is an ssh allowed-signers principal without quoting: no blanks,
// commas, quotes or wildcards (the roster table's check says the same).
var witnessName = regexp.MustCompile(`^[A-Za-z0-9._@+-]{1,64}$`)

// CheckWitnessName says whether name can stand on the roster.
func CheckWitnessName(name string) error {
	if witnessName.MatchString(name) {
		return nil
	}
	return fmt.Errorf("witness name %q cannot be an ssh principal: use 1 to 64 of the characters A-Z a-z 0-9 . _ @ + - (e.g. alice@plings.io)", name)
}

// ParseWitnessKey checks an OpenSSH public key line loosely (its type, a
// base64 blob that names the same type, an optional printable comment) and
// returns it normalised to "type blob[ comment]" with its SHA256 fingerprint
// as ssh-keygen -l prints it. Options in front of the type (authorized_keys)
// are refused: the roster holds keys, not login rules.
func ParseWitnessKey(line string) (normalised, fingerprint string, err error) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return "", "", fmt.Errorf("a witness key is one line \"TYPE BASE64 [COMMENT]\" as in a .pub file; this has %d field(s)", len(fields))
	}
	typ, blob64 := fields[0], fields[1]
	if !slices.Contains(witnessKeyTypes, typ) {
		return "", "", fmt.Errorf("key type %q is not one ssh-keygen -Y signs with (one of: %s); give the .pub file of the witness's key", clip(typ), strings.Join(witnessKeyTypes, ", "))
	}
	blob, err := base64.StdEncoding.DecodeString(blob64)
	if err != nil {
		return "", "", fmt.Errorf("the %s key's second field is not base64 (%v); copy the .pub file unchanged", typ, err)
	}
	if len(blob) < 4 || int(binary.BigEndian.Uint32(blob)) > len(blob)-4 || string(blob[4:4+binary.BigEndian.Uint32(blob)]) != typ {
		return "", "", fmt.Errorf("the key's blob does not hold a %s key; the .pub file is damaged or its type was edited", typ)
	}
	comment := strings.Join(fields[2:], " ")
	if strings.IndexFunc(comment, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
		return "", "", fmt.Errorf("the key's comment holds control characters; remove them")
	}
	normalised = typ + " " + blob64
	if comment != "" {
		normalised += " " + comment
	}
	sum := sha256.Sum256(blob)
	return normalised, "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
