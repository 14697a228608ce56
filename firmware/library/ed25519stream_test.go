package library

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"math/rand/v2"
	"testing"
)

// streamVerify verifies as CheckSignature does, the message fed in pieces.
func streamVerify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	h := verifyHash(pub, sig)
	for len(msg) > 0 {
		n := min(len(msg), 7)
		h.Write(msg[:n])
		msg = msg[n:]
	}
	return verifyDigest(pub, sig, h.Sum(nil))
}

// TestStreamEd25519 checks signStream and the streamed verification
// against crypto/ed25519: the same signatures byte for byte, and the same
// verdict on good signatures, on every single-bit change of signature,
// message and key, and on encodings crypto/ed25519 refuses.
func TestStreamEd25519(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		seed := make([]byte, ed25519.SeedSize)
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		key := ed25519.NewKeyFromSeed(seed)
		pub := key.Public().(ed25519.PublicKey)
		msg := make([]byte, rng.IntN(3000))
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		want := ed25519.Sign(key, msg)
		calls := 0
		got, err := signStream(key, func(w io.Writer) error {
			calls++
			_, err := w.Write(msg)
			return err
		})
		if err != nil || !bytes.Equal(got, want) || calls != 2 {
			t.Fatalf("signStream(key %d, %d bytes) = %x, %v after %d reads; want %x after 2", i, len(msg), got, err, calls, want)
		}
		check := func(what string, pub ed25519.PublicKey, msg, sig []byte) {
			t.Helper()
			if got, want := streamVerify(pub, msg, sig), ed25519.Verify(pub, msg, sig); got != want {
				t.Fatalf("key %d, %s: streamed verification %v; crypto/ed25519 %v", i, what, got, want)
			}
		}
		check("good", pub, msg, want)
		for bit := range len(want) * 8 {
			bad := bytes.Clone(want)
			bad[bit/8] ^= 1 << (bit % 8)
			check("signature bit changed", pub, msg, bad)
		}
		for bit := range min(len(msg)*8, 64) {
			bad := bytes.Clone(msg)
			bad[bit/8] ^= 1 << (bit % 8)
			check("message bit changed", pub, bad, want)
		}
		for bit := range len(pub) * 8 {
			bad := bytes.Clone(pub)
			bad[bit/8] ^= 1 << (bit % 8)
			check("key bit changed", bad, msg, want)
		}
		// S + the group order: the same point, not canonical.
		order := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
		big := bytes.Clone(want)
		carry := 0
		for j := range 32 {
			v := int(big[32+j]) + int(order[j]) + carry
			big[32+j], carry = byte(v), v>>8
		}
		check("S not below the group order", pub, msg, big)
		check("all-zero key", make([]byte, 32), msg, want)
	}
	if _, err := signStream(ed25519.PrivateKey{1}, func(io.Writer) error { return nil }); err == nil {
		t.Error("signStream(short key) = nil error")
	}
}

// FuzzStreamEd25519 checks the streamed verification against
// crypto/ed25519 on any key, message and signature.
func FuzzStreamEd25519(f *testing.F) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	msg := []byte(`{"format": 1}`)
	f.Add([]byte(key.Public().(ed25519.PublicKey)), msg, ed25519.Sign(key, msg))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			return // crypto/ed25519 panics
		}
		if got, want := streamVerify(pub, msg, sig), ed25519.Verify(pub, msg, sig); got != want {
			t.Fatalf("streamed verification %v; crypto/ed25519 %v", got, want)
		}
	})
}
