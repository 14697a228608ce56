// Package panel decides what the volunteer sees: the text of the character
// LCD, the custom glyphs it uses, and the level of every LED at a given
// instant. It is pure: it reads no clock, does no I/O and starts no
// goroutines. The kiosk core maps its own state into a State and hands it
// to Render and LEDs; hal puts the result on hardware.
//
// It does not decide when to refresh the display, diff frames or debounce
// buttons; those belong to the kiosk core and hal.
//
// # Screens
//
// Render draws, in order of precedence: the shutdown screens, the fatal
// screens (bad config, no library, bad signature), the cancel confirmation,
// then the screen the volunteer chose with INFO: the ports overview, one
// port's detail, the totals, the library.
//
// The overview shows every port at once. When each port gets its own row
// (20x4 with up to four ports, 16x2 with up to two) it uses the long words
// of the table below, such as "P2 FAKE 64G=8G". Otherwise ports share rows
// in cells of a digit, a mark and a five-letter code, such as "1✓DONE"; the
// mark is a one-cell progress bar while a drive is worked on, ✓ when done
// and ✗ when failed or rejected. More ports than that (hubs) make cells too
// narrow for the codes: they are cut to their first letters, and a running
// job shows the tens digit of its percent ("3▎4" is 40 to 49%).
//
// # Words
//
//	state / outcome        long (port row, detail)  short (shared row)
//	empty                  P1 empty                 1 -
//	ready                  P1 READY, GO             1 READY
//	ready, start=insert    P1 STARTING              1 START
//	probing capacity       P1 CHECK SIZE            1 CHECK
//	writing                P1 W[bar] 45% 3m         1[bar]W 45%
//	                       (20 cols: P1 WRITE [bar] 45% 3m)
//	verifying              P1 V[bar] 73%            1[bar]V 73%
//	                       (20 cols: P1 VERIFY [bar] 45%)
//	done                   P1 DONE 7m12s            1✓DONE
//	removed early          P1 REMOVED               1✗REMVD
//	cancelled              P1 CANCELLED             1✗CANCL
//	write-protected        P1 WRITE-PROT            1✗WPROT
//	fake                   P1 FAKE 64G=8G           1✗FAKE
//	too small              P1 TOO SMALL             1✗SMALL
//	too large              P1 TOO BIG               1✗BIG
//	I/O error              P1 IO ERR                1✗IOERR
//	verify mismatch        P1 VERIFY ERR            1✗VERIF
//	library content bad    P1 LIBRARY ERR           1✗LIBER
//	other failure          P1 FAILED                1✗FAIL
//	master (library) drive P1 MASTER                1✗MASTR
//	no medium              P1 NO MEDIUM             1✗NOMED
//	facts unreadable       P1 CANT CHECK            1✗NOCHK
//	not on USB             P1 NOT USB               1✗NOUSB
//	system disk            P1 SYSTEM DISK           1✗SYSTM
//	partition              P1 PARTITION             1✗PART
//
// The 16x2 totals screen reads "DONE 128    2.3T" over "ERR3 FAKE7 REJ11":
// done and bytes written, then failed, fake and rejected drives. The 16x2
// library screen marks the signature SIG✓, SIG✗ or SIG? (not checked).
//
// Sizes are decimal, as printed on drives: 512M, 7.8G, 64G, 1.2T. Durations
// are 45s, 7m12s, 1h05m. W is writing, V verifying, T1+T2 the library tiers
// that fit.
//
// # Text
//
// Every line Render returns is exactly cols runes long and uses only the
// characters an HD44780 with ROM A00 shows as themselves: ASCII 0x20 to 0x7D
// without the backslash (a yen sign in that ROM), plus the custom glyph
// runes of hal.GlyphRune. Other characters in names (Korean library names,
// odd vendor strings) become '?'.
//
// # LEDs
//
//	port state                         green          red
//	empty                              off            off
//	ready                              blink 1 Hz     off
//	probing, writing, verifying        blink 4 Hz     off
//	done: take it                      steady         off
//	failed (I/O, verify, library,      off            steady
//	  cancelled, removed early)
//	rejected (ineligible, write-       off            blink 2 Hz
//	  protected, fake, too small)
//
// The status LED beats twice every two seconds while the kiosk works,
// blinks at 4 Hz when it cannot (bad config, no library, bad signature),
// is steady while shutting down, and every LED is off once it is safe to
// unplug.
package panel
