package library

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
	"hash"
	"io"

	"filippo.io/edwards25519"
)

// Ed25519 over a message read as a stream, with no change to the
// signatures: crypto/ed25519 takes the whole message in memory, and the
// manifest of a library of a million files is 190 MB, more than a kiosk
// job may hold. Ed25519 (RFC 8032) hashes the message with SHA-512 once to
// verify, after R and the public key, and twice to sign, once for the
// nonce and once as to verify: so a verification needs one pass over the
// message with the signature read before it, and a signature two passes.
// The arithmetic is crypto/ed25519's own, with the same checks (S below
// the group order, the key a point of the curve); TestStreamEd25519
// checks both against crypto/ed25519 byte for byte.

// verifyHash starts the hash that verifying sig by pub needs; feed it the
// message, then give its sum to verifyDigest.
func verifyHash(pub ed25519.PublicKey, sig []byte) hash.Hash {
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub)
	return h
}

// verifyDigest reports whether sig is pub's valid signature of the message
// whose verifyHash(pub, sig) sum is digest.
func verifyDigest(pub ed25519.PublicKey, sig, digest []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize || sig[63]&224 != 0 {
		return false
	}
	a, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return false
	}
	k, err := edwards25519.NewScalar().SetUniformBytes(digest)
	if err != nil {
		return false
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	// [S]B = R + [k]A, so [k](-A) + [S]B must be R.
	r := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, new(edwards25519.Point).Negate(a), s)
	return bytes.Equal(sig[:32], r.Bytes())
}

// signStream signs the message that read writes to w; read is called
// twice and must write the same bytes both times, or its error ends the
// signing. The signature is the one ed25519.Sign makes.
func signStream(key ed25519.PrivateKey, read func(w io.Writer) error) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("BUG: private key of %d bytes", len(key))
	}
	h := sha512.Sum512(key.Seed())
	s, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		return nil, fmt.Errorf("BUG: private scalar: %w", err)
	}
	mh := sha512.New()
	mh.Write(h[32:])
	if err := read(mh); err != nil {
		return nil, err
	}
	r, err := edwards25519.NewScalar().SetUniformBytes(mh.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("BUG: nonce: %w", err)
	}
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	kh := verifyHash(key.Public().(ed25519.PublicKey), R)
	if err := read(kh); err != nil {
		return nil, err
	}
	k, err := edwards25519.NewScalar().SetUniformBytes(kh.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("BUG: challenge: %w", err)
	}
	S := edwards25519.NewScalar().MultiplyAdd(k, s, r)
	return append(R, S.Bytes()...), nil
}
