// Package ceremony runs the witnessed key ceremony on the air-gapped machine
// (request file, air-gap check, witnesses, entropy, key, backup, transcript)
// and verifies its transcript anywhere. It talks to the HSM through package
// hsm and never opens a network socket. It has no UI and no SQL: a console
// flow drives it, and the local database stands behind the Ledger interface.
//
// # Driving a ceremony
//
// A Ceremony is a state machine driven one step at a time; each step is
// shown (Step.Title, Step.Describe) before it runs and recorded after:
//
//	c, err := ceremony.New(ctx, ceremony.Config{Module: m, TokenLabel: "primary",
//		Operator: "olivia", TranscriptDir: "/media/usb", Ledger: ledger})
//	info, err := c.LoadRequest("/media/usb/request.json") // 1 request
//	rep, err := c.CheckOffline("")                        // 2 offline ("" = no override)
//	hi, err := c.OpenHSM(pin)                             // 3 hsm (the PIN is never kept or recorded)
//	challenge := c.Challenge()                            // 4 witnesses: each signs it …
//	p, err := c.AddWitness(armoredSig)                    //   … until p.Done == p.Need
//	ent, err := c.MixEntropy(dice)                        // 5 entropy
//	key, err := c.GenerateKey()                           // 6 key
//	bi, err := c.Backup(backupToken)                      // 7 backup (nil: out of band, proof pending)
//	msg, err := c.FinalMessage()                          // 8 close: fixes the final hash …
//	p, err = c.AddClosingSignature(armoredSig)            //   … each attested witness signs msg
//	path, err := c.Close()                                //   master key signs; file written with O_EXCL
//
// At any point c.Abort(step, reason) destroys any key made so far (on the
// main token and a copy on the backup token), records why, writes the
// transcript (outcome aborted) and tells the Ledger. A refused step is
// recorded and can be tried again; a step called out of order returns
// ErrOutOfOrder. c.Current() is the step the ceremony stands at; Steps()
// lists them all.
//
// A run killed outright (kill -9, power) cannot abort. With Config.StateDir
// set, the ceremony keeps WKC-<id>.inprogress.json there from just before
// the key is made until the transcript is written; FindUnfinished lists
// such markers and Unfinished.Recover destroys the leftover key (the key
// label typed as confirmation), writes the aborted transcript that
// continues the same hash chain and tells the Ledger.
//
// # Texts that are signed
//
// Witnesses attest by signing the challenge with OpenSSH:
//
//	ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n wallet-ceremony@plings.io challenge.txt
//
// The challenge (ChallengeText) is fixed when the witness step starts; head
// is the hash of the last entry before it (the first entry carries a random
// nonce, so it cannot be guessed in advance):
//
//	wallet-ceremony witness attestation\n
//	ceremony: <ceremony id>\n
//	request: <request id>\n
//	approval: <approval id>\n
//	transcript: <head, 64 hex>\n
//
// The final message (FinalMessageText), signed by the master key (pure
// Ed25519, in the HSM) and by every witness who attested (SSHSIG, namespace
// wallet-ceremony@plings.io); final is the hash of the closing entry:
//
//	wallet-ceremony final\n
//	ceremony: <ceremony id>\n
//	request: <request id>\n
//	approval: <approval id>\n
//	key: <key label> <fingerprint: hex SHA-256 of the raw public key>\n
//	final: <final hash, 64 hex>\n
//
// Tools we did not write check them: ssh-keygen -Y verify with the file
// AllowedSigners writes, and
//
//	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in final.txt -sigfile sig.bin
//
// # Transcript
//
// A JSON file, format "wallet-console/ceremony-transcript/v1", with the
// header fields of Transcript, then entries, final_hash, master_signature
// (base64) and witness_signatures. Each entry has seq (1…n), step, event,
// actor, time (RFC 3339, nanoseconds, UTC), data (a JSON object), prev and
// hash:
//
//	prev = "000…0" (64 zeros) for entry 1, else the previous entry's hash
//	hash = hex(SHA-256(prev + "\n" + compact JSON of
//	       {"actor","data","event","seq","step","time"} with keys sorted at every level))
//
// (strings escaped as encoding/json with HTML escaping off; for the text a
// ceremony records that is what `jq -cS` prints). final_hash is the last
// entry's hash. Every header field is also in an entry's data
// (ceremony_started, request_loaded, offline_override, key_generated,
// backup_recorded, closing or aborted), so editing the header is caught.
// The file's bytes are exactly MarshalTranscript's output (two-space
// indentation, fields in a fixed order, data keys sorted, SSH signatures
// armored as ssh-keygen writes them, one final newline): Verify re-serialises
// what it parsed and refuses a file that differs in any byte.
//
// Verify needs no HSM and no database. Each way a transcript can be wrong has
// its own sentinel error (see Verify). A verified Summary prints for a person
// (String) and gives the importer model.CeremonyImport (Import), refusing
// aborted ceremonies and rehearsals.
//
// # Air gap
//
// CheckOffline reads /sys/class/net and /proc/net/route (and ipv6_route)
// under a root directory, so tests point it at fixtures in testdata/net.
// An override, for rehearsals only, is recorded and marks the transcript
// REHEARSAL; such a transcript verifies but never imports.
package ceremony
