// Package ceremony will hold the witnessed key ceremony (steps, witnesses,
// air-gap check, transcript, import). Not built yet: see the ceremony issue.
package ceremony
