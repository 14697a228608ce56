package fat

import "time"

// How fast the modelled copy goes: Explorer writing to a USB 2 stick, a
// few MB a second and some tens of milliseconds for every file or folder
// it makes. Only the order and rough spacing of the times matter: they
// advance through the copy as a real one's do.
const (
	copyBytesPerMicrosecond = 8                     // 8 MB/s
	copyPerEntry            = 40 * time.Millisecond // opening, creating and closing one entry
	formatLead              = 3 * time.Minute       // the format, before the copy
)

// createdAt is when the copy made its made-th entry (counted from 0),
// whose data begins at cluster c or which was made when the copy had got
// to c: Options.Copied plus the time to make every entry before it and to
// write every cluster before c. Without Options.Copied every entry has
// Options.Time.
func (l *Layout) createdAt(c uint32, made int) time.Time {
	if l.opts.Copied.IsZero() {
		return l.opts.Time
	}
	written := int64(c-2) * l.g.ClusterSize()
	return l.opts.Copied.Add(time.Duration(written/copyBytesPerMicrosecond)*time.Microsecond +
		time.Duration(made)*copyPerEntry)
}

// formatted is when the volume was formatted: the time of the label entry.
func (l *Layout) formatted() time.Time {
	if l.opts.Copied.IsZero() {
		return l.opts.Time
	}
	return l.opts.Copied.Add(-formatLead)
}

// fatStamp is t as FAT stores a creation time: date, time to 2 s, and
// the hundredths of the 2 s, as fastfat's FatNtTimeToFatTime rounds them
// down. t must lie in FAT's years (encodeTime checks the times Plan gets).
func fatStamp(t time.Time) (date, clock uint16, tenths byte) {
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	clock = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	tenths = byte(t.Nanosecond()/1e7 + t.Second()%2*100)
	return date, clock, tenths
}
