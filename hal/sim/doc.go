// Package sim is a simulated kiosk panel (LCD, LEDs, buttons) over a byte
// stream: a serial port in the VM, stdin and stdout on a PC. It lets tests,
// the demo and `kioskctl panel` see what a volunteer would see and press
// the buttons. It does not render anything itself and does not decide what
// to show; it only carries hal calls out and button events in.
//
// # Wire protocol
//
// Both directions are lines of UTF-8 text. A panel line is the prefix
// "@panel " followed by one JSON object. Readers skip every line without
// the prefix, so panel lines can share a serial console with plain log
// lines; they also skip panel lines whose object is empty or blank.
//
// The kiosk writes one line per call, coalescing nothing (the kiosk limits
// its own refresh rate):
//
//	@panel {"lcd":["COPYING  1 of 3 ","\ue000\ue000\ue001 42%         "],"glyphs":{"0":["#####","#####","#####","#####","#####","#####","#####","#####"],"1":["###..","###..","###..","###..","###..","###..","###..","###.."]}}
//	@panel {"led":"1.green","on":true}
//
// An "lcd" line is sent by every Display.Show and Display.DefineGlyph and
// carries the whole display: exactly rows strings of exactly cols runes,
// with characters the HD44780's ROM A00 cannot show already replaced by
// '?', and custom glyph n written as the rune U+E000+n (sent as raw
// UTF-8; the example spells it as the equivalent JSON escape). "glyphs" holds
// every glyph defined so far, keyed by slot "0" to "7", as eight rows top
// first, each five characters of '#' (lit) and '.' (dark), leftmost column
// first.
//
// An "led" line is sent by every LED.Set. LED names are "status" and, for
// each USB port n from 1, "n.green" and "n.red".
//
// The panel reads button lines:
//
//	@panel {"button":"go","pressed":true}
//	@panel {"button":"go","pressed":false}
//	@panel {"press":"info","ms":100}
//	@panel {"sync":true}
//
// A line sets the fields of one kind only. "button" is a raw change; a
// change to the state the button is already in is ignored, so events
// always alternate. "press" presses the button, holds it for ms
// milliseconds on the panel's clock and releases it; lines after it are
// read when the hold is over. Button names are "go" and "info". "sync"
// makes the panel send an "lcd" line and then an "led" line for every LED
// set so far, by name, so that a viewer that joins late sees everything.
// A malformed line is reported once through the panel's log function and
// otherwise ignored.
package sim
