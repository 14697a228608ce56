// Package power tells whether a Raspberry Pi's supply is too weak for what
// it powers, so that the kiosk can say so on its panel: a stick that drops
// off the bus mid-write is often a supply that sagged, not a bad stick.
//
// The source is the firmware's under-voltage flag, which the Pi kernel's
// raspberrypi-hwmon driver publishes as in0_lcrit_alarm of the hwmon device
// named rpi_volt. The driver asks the firmware every 2 s, clearing the
// flag each time, so the file reads 1 for one 2 s interval after each dip,
// however brief; Watch keeps count of the dips, because the volunteer must
// learn of one after it has passed.
//
// It reads sysfs only. It cannot measure the voltage or the USB current
// (the firmware reports neither), and it does not decide what the
// volunteer sees: package panel does.
package power
