// Package pqc holds the post-quantum cryptographic primitives of Skyscope. Every
// primitive is at NIST level 5, the highest of the NIST post-quantum security
// categories (at least as hard to break as AES-256 key search), for both classical
// and quantum attackers:
//
//   - digests: SHA3-512 (FIPS 202), [Sum512] and [NewHash512];
//   - signatures: ML-DSA-87 (FIPS 204), [GenerateKey], [PrivateKey.Sign],
//     [PublicKey.Verify];
//   - key establishment: ML-KEM-1024 (FIPS 203), [GenerateKEMKey],
//     [KEMPublicKey.Encapsulate], [KEMPrivateKey.Decapsulate];
//   - key derivation: SHAKE256 over an unambiguous encoding, [DeriveKey];
//   - key files: a small versioned, deterministic CBOR format ([WriteKeyPair],
//     [LoadPublicKey], [LoadPrivateKey]) documented byte by byte in docs/KEYFILES.md.
//
// # Guarantees
//
// Signatures are domain-separated: every signature is made for a domain (the FIPS 204
// context string, such as "skyscope/manifest/v1"), and a signature made for one domain
// never verifies for another, so a signed package can never be passed off as a signed
// manifest.
//
// Keys are identified by a [KeyID], the SHA3-256 digest of the public key's bytes,
// which is what error messages, logs and key files name.
//
// Nothing in this package panics on bad input: malformed keys, signatures, ciphertexts
// and key files are reported as error values that wrap one of the package's sentinel
// errors (test with errors.Is) and say what is wrong and, where there is one, what to do.
// Parsers accept only canonical encodings: anything they accept re-encodes to exactly
// the bytes they were given.
//
// The package does not expose the types of the libraries it is built on
// (github.com/cloudflare/circl for ML-DSA, crypto/mlkem for ML-KEM), so either can be
// replaced without changing callers.
package pqc
