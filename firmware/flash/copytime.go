package flash

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"flashkiosk/firmware/library"
)

// CopyTime is when the copy onto a drive is taken to have begun: the
// creation and access times of its entries advance from it. It is derived
// from the library alone, so that every drive written from one library is
// the same (two drives of one library hold the same files in the same
// clusters anyway) and no time of the writing reaches a drive: a working
// hour (09:00 to 17:59) on one of the 14 days after the library's date,
// chosen by a hash of the manifest's paths and contents. See
// docs/anonymity.md.
func CopyTime(m *library.Manifest, date time.Time) time.Time {
	h := sha256.New()
	var buf []byte
	for _, f := range m.Files() {
		buf = append(buf[:0], f.Path...)
		buf = append(buf, 0)
		buf = hex.AppendEncode(buf, f.SHA256[:])
		h.Write(buf)
	}
	sum := h.Sum(nil)
	day := 1 + binary.LittleEndian.Uint16(sum[0:])%14
	in := time.Duration(binary.LittleEndian.Uint64(sum[2:])%uint64(9*time.Hour/time.Millisecond)) * time.Millisecond
	return date.AddDate(0, 0, int(day)).Add(9*time.Hour + in)
}
