package images

import (
	"crypto/ed25519"
	"fmt"

	"flashkiosk/firmware/library"
)

// PublicKeyOf returns the public key file that belongs to the private key
// file key (key + ".pub", as library.GenerateKey writes them), after
// checking that the two are one key pair.
func PublicKeyOf(key string) (string, error) {
	priv, err := library.ReadPrivateKey(key)
	if err != nil {
		return "", err
	}
	pubFile := key + library.PublicKeySuffix
	pub, err := library.ReadPublicKey(pubFile)
	if err != nil {
		return "", fmt.Errorf("the public key of %s: %w", key, err)
	}
	if !pub.Equal(priv.Public().(ed25519.PublicKey)) {
		return "", fmt.Errorf("%s (%s) is not the public key of %s (%s)", pubFile, library.Fingerprint(pub),
			key, library.Fingerprint(priv.Public().(ed25519.PublicKey)))
	}
	return pubFile, nil
}
