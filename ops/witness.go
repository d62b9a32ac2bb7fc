package ops

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// AddWitness puts name on the ceremony roster with the one public key of
// the OpenSSH .pub file keyFile; it returns the key's type and fingerprint.
func (s *Service) AddWitness(ctx context.Context, name, keyFile string) (keyType, fingerprint string, err error) {
	if err := store.CheckWitnessName(name); err != nil {
		return "", "", err
	}
	key, err := ReadWitnessKey(keyFile)
	if err != nil {
		return "", "", err
	}
	if err := s.DB.AddWitness(ctx, model.Witness{Name: name, PublicKey: key}, s.Actor); err != nil {
		return "", "", err
	}
	_, fp, _ := store.ParseWitnessKey(key)
	return strings.Fields(key)[0], fp, nil
}

// Witnesses returns the active witnesses on the roster, by name.
func (s *Service) Witnesses(ctx context.Context) ([]model.Witness, error) {
	return s.DB.Witnesses(ctx)
}

// ReadWitnessKey reads the one public key line of an OpenSSH .pub file,
// refusing a private key (which stays with the witness).
func ReadWitnessKey(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("witness key file: %w", err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(model.LimitFile(f, path, model.MaxKeyFileBytes))
	sc.Buffer(make([]byte, 0, 4096), model.MaxKeyFileBytes+2) // the size limit speaks first
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "PRIVATE KEY") {
			return "", fmt.Errorf("%s is a private key; give the .pub file next to it (and leave the private key with the witness)", path)
		}
		keys = append(keys, line)
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("witness key file %s: %w", path, err)
	}
	switch len(keys) {
	case 0:
		return "", fmt.Errorf("witness key file %s holds no key; give the witness's .pub file (ssh-keygen -t ed25519 makes one)", path)
	case 1:
	default:
		return "", fmt.Errorf("witness key file %s holds %d keys; give a .pub file with the witness's one key", path, len(keys))
	}
	key, _, err := store.ParseWitnessKey(keys[0])
	if err != nil {
		return "", fmt.Errorf("witness key file %s: %w", path, err)
	}
	return key, nil
}
