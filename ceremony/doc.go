// Package ceremony runs the witnessed key ceremony on the air-gapped machine
// (request file, air-gap check, witnesses, entropy, key, backup, transcript)
// and verifies its transcript anywhere. It talks to the HSM through package
// hsm and never opens a network socket.
package ceremony
