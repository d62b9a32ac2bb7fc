// Package hsm will hold the PKCS#11 adapter (token, login, key generation,
// sign, verify, destroy) over github.com/miekg/pkcs11. Not built yet: see the
// HSM issue.
package hsm
