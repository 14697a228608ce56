// Package gpio puts the kiosk's buttons and LEDs on GPIO lines through
// periph.io's Linux GPIO character-device driver. Buttons are debounced in
// software, because the character device offers no debounce the kiosk can
// rely on; LEDs remember their state, because reading an output line back
// would turn it into an input. It knows nothing of gestures or blink
// patterns: the kiosk and firmware/panel make those from hal events and
// hal.LED.Set.
package gpio
