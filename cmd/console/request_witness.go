package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

const witnessUsage = "witness takes one of: add NAME KEYFILE, list"

// cmdWitness keeps the ceremony's witness roster: `console witness add NAME
// KEYFILE` (the witness's OpenSSH .pub file) and `console witness list`.
func cmdWitness(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("witness")
	asJSON := fs.Bool("json", false, "list: print JSON")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: console witness add NAME KEYFILE | console witness list [--json]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%s", witnessUsage)
	}
	switch verb := fs.Arg(0); {
	case verb == "add" && fs.NArg() == 3:
		if err := onlyVerbFlags(fs, "witness add", nil); err != nil {
			return err
		}
		if err := store.CheckWitnessName(fs.Arg(1)); err != nil {
			return err
		}
		key, err := readPublicKey(fs.Arg(2))
		if err != nil {
			return err
		}
		db, closeDB, err := g.open(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := db.AddWitness(ctx, model.Witness{Name: fs.Arg(1), PublicKey: key}, g.operator); err != nil {
			return inert(err)
		}
		_, fp, _ := store.ParseWitnessKey(key)
		fmt.Fprintf(out, "witness %s added to the roster: %s %s\n", fs.Arg(1), strings.Fields(key)[0], fp)
		return nil
	case verb == "list" && fs.NArg() == 1:
		db, closeDB, err := g.open(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		ws, err := db.Witnesses(ctx)
		if err != nil {
			return inert(err)
		}
		if *asJSON {
			if ws == nil {
				ws = []model.Witness{}
			}
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(ws)
		}
		if len(ws) == 0 {
			fmt.Fprintf(out, "the roster is empty; a ceremony needs %d witnesses: console witness add NAME KEYFILE\n", model.CeremonyWitnesses)
			return nil
		}
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "WITNESS\tKEY TYPE\tFINGERPRINT\tCOMMENT")
		for _, w := range ws {
			f := strings.Fields(w.PublicKey)
			_, fp, _ := store.ParseWitnessKey(w.PublicKey)
			comment := "-"
			if len(f) > 2 {
				comment = strings.Join(f[2:], " ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ui.Inert(w.Name), ui.Inert(f[0]), fp, ui.Inert(comment))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(ws) < model.CeremonyWitnesses {
			fmt.Fprintf(out, "%d active witnesses; a ceremony needs %d\n", len(ws), model.CeremonyWitnesses)
		}
		return nil
	}
	return fmt.Errorf("%s (got %q)", witnessUsage, fs.Args())
}

// readPublicKey reads the one public key line of an OpenSSH .pub file.
func readPublicKey(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("witness key file: %w", err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
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
