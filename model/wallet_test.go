package model

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// topKeys are the keys of a JSON object, in order.
func topKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// tags are the json names of a struct's fields, in order.
func tags(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// TestOperationJSON: console audit log --json writes the hashes in hex, as
// the screen shows them, and an absent approval id as null (README, "JSON
// output"); the JSON reads back to the same operation.
func TestOperationJSON(t *testing.T) {
	v := 2
	o := Operation{Seq: 6, Type: "allocate_path", Wallet: &v, Status: "completed", InitiatedBy: "ikea-service",
		DBUser: "console_operator", Details: json.RawMessage(`{"path":"2.3.4.5"}`),
		Time: time.Date(2026, 3, 14, 9, 29, 18, 0, time.UTC), PrevHash: []byte{0xab, 0xcd}, RowHash: []byte{0x12, 0x34}}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["approval_id"] != nil || m["prev_hash"] != "abcd" || m["row_hash"] != "1234" {
		t.Errorf("approval_id %#v, prev_hash %#v, row_hash %#v; want null, \"abcd\", \"1234\": %s", m["approval_id"], m["prev_hash"], m["row_hash"], b)
	}
	var back Operation
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, o) {
		t.Errorf("read back: %v\n%+v\nwant %+v", err, back, o)
	}

	o.ApprovalID, o.PrevHash, o.Wallet = "WAP-20260312101500", nil, nil
	b, _ = json.Marshal(o)
	m = nil
	_ = json.Unmarshal(b, &m)
	if m["approval_id"] != "WAP-20260312101500" || m["prev_hash"] != nil || m["wallet"] != nil {
		t.Errorf("with approval, no previous hash, no wallet: %s", b)
	}
}

// TestWalletJSONKeysAndNulls: every type of wallet.go writes every field,
// under its json tag, in field order (the MarshalJSON methods spell the
// fields out again, so a new field must be added there too), and writes
// what is absent as null.
func TestWalletJSONKeysAndNulls(t *testing.T) {
	for _, c := range []struct {
		v     any
		nulls []string // keys that are null for the zero value
	}{
		{Operation{}, []string{"wallet", "approval_id", "details", "prev_hash", "row_hash"}},
		{WalletSummary{}, []string{"description", "fingerprint", "last_allocation", "migration_completion"}},
		{Manufacturer{}, []string{"organization", "migrated_from"}},
		{AllocationStats{}, []string{"last_allocated_at"}},
		{Lineage{}, []string{"predecessor_wallet", "predecessor_index", "reason"}},
	} {
		name := reflect.TypeOf(c.v).Name()
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, want := topKeys(t, b), tags(c.v); !slices.Equal(got, want) {
			t.Errorf("%s: keys %v, want %v", name, got, want)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		var nulls []string
		for _, k := range tags(c.v) {
			if m[k] == nil {
				nulls = append(nulls, k)
			}
		}
		if !slices.Equal(nulls, c.nulls) {
			t.Errorf("%s: null %v, want %v: %s", name, nulls, c.nulls, b)
		}
	}
}

// TestWalletJSONLeavesEscapingToTheEncoder: "H&M" is escaped or not as the
// encoder that prints it says, not always.
func TestWalletJSONLeavesEscapingToTheEncoder(t *testing.T) {
	m := Manufacturer{Name: "H&M", Organization: "H&M <retail>"}
	for _, esc := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(esc)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), `"H&M"`); got == esc {
			t.Errorf("escape %v: %s", esc, b.String())
		}
	}
}
