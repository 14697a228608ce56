package e2e

import (
	"bytes"
	"context"
	"os"

	"flashkiosk/firmware/library"
)

// DonorMarker is what the tests write on a stick before the kiosk gets
// it, standing for a donor's data: none of it may survive a write.
var DonorMarker = []byte("DONOR-DATA-MUST-GO ")

// PlantDonor writes DonorMarker at offsets of the file or device path.
func PlantDonor(path string, offsets ...int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	for _, off := range offsets {
		if _, err := f.WriteAt(DonorMarker, off); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// CountDonor counts the donor markers left in the file or device path.
func CountDonor(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return bytes.Count(b, DonorMarker), nil
}

// SignedLibrary builds the library folder out from the files in src with
// opts, makes a new key pair beside it (out + ".key" and its ".pub") and
// signs the library with it; it returns the public key's file, which a
// test kiosk trusts.
func SignedLibrary(ctx context.Context, src, out string, opts library.BuildOptions) (pub string, err error) {
	if _, err := library.Build(ctx, src, out, opts); err != nil {
		return "", err
	}
	key := out + ".key"
	if _, err := library.GenerateKey(key); err != nil {
		return "", err
	}
	priv, err := library.ReadPrivateKey(key)
	if err != nil {
		return "", err
	}
	return key + library.PublicKeySuffix, library.Sign(ctx, out, priv)
}
