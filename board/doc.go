// Package board describes the boards a kiosk runs on and reads kiosk.toml.
//
// A Profile is one board's wiring: which GPIO lines carry the GO and INFO
// buttons and the LEDs, where the LCD sits on I2C, and which USB port
// paths (as firmware/drive names them) belong to which physical port.
// Built-in profiles cover the Raspberry Pi 3 B, 3 B+, 4 B, 5 and Zero 2 W,
// and a simulated panel for the VM. Config is what a partner writes in
// kiosk.toml: a profile, overrides of any of its fields, and the kiosk's
// policies (start mode, wipe fill, fake drives, size bounds, label).
// WiringSVG draws a profile's header wiring for the README.
//
// The package only describes; it opens no hardware and knows nothing of
// drives, buttons or screens beyond their line numbers and addresses.
package board
