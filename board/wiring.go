package board

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// Geometry of the drawing, in SVG user units.
const (
	svgWidth  = 960
	pinPitch  = 26
	pinRadius = 8
	headerTop = 116
	oddX      = 468 // x of the odd pins (1, 3, ... 39)
	evenX     = 494 // x of the even pins (2, 4, ... 40)
)

// colour is the colour of a kind of wire, readable on white.
func colour(kind string) string {
	switch kind {
	case "button":
		return "#1f5fbf"
	case "status":
		return "#7b3fb0"
	case "green":
		return "#1e8c2d"
	case "red", "power":
		return "#c8241c"
	case "lcd":
		return "#d46a00"
	}
	return "#222222"
}

// WiringSVG draws p's wiring on the 40-pin header as an SVG image: every
// pin, the used ones coloured and labelled with their GPIO line and what
// goes there, then a table of the USB ports. It is generated from the
// profile, so the README's diagrams cannot drift from the code.
func WiringSVG(p Profile) []byte {
	wires := p.usedLines()
	if p.LCD.Enabled {
		if lines, ok := i2cLines[p.LCD.Bus]; ok {
			wires = append(wires,
				wire{pin: HeaderPin(lines[0]), line: lines[0], label: "LCD SDA", kind: "lcd"},
				wire{pin: HeaderPin(lines[1]), line: lines[1], label: "LCD SCL", kind: "lcd"},
				wire{pin: 2, line: -1, label: "LCD VCC (5V)", kind: "power"},
				wire{pin: 6, line: -1, label: "LCD GND", kind: "ground"})
		}
	}
	byPin := make(map[int]wire)
	for _, w := range wires {
		byPin[w.pin] = w
	}
	pinLine := make(map[int]int)
	for line := 0; line <= MaxLine; line++ {
		pinLine[HeaderPin(line)] = line
	}

	portsTop := headerTop + 20*pinPitch + 40
	height := portsTop + 40 + len(p.Ports)*22 + 70
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Verdana, sans-serif" font-size="14">`+"\n", svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, height)
	text(&b, 24, 34, "start", "font-size=\"20\" font-weight=\"bold\"", fmt.Sprintf("flashkiosk wiring: %s (board = %q)", p.Title, p.Name))
	text(&b, 24, 58, "start", "fill=\"#555555\"", "40-pin header seen from above: pin 1 (square) at the top, the board's edge on the right")
	if p.Simulated {
		text(&b, 24, 78, "start", "fill=\"#c8241c\"", "Simulated panel: nothing is wired; the lines name the LEDs and buttons of hal/sim.")
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="#2b2b2b"/>`+"\n",
		oddX-30, headerTop-20, evenX-oddX+60, 20*pinPitch+14)
	for pin := 1; pin <= 40; pin++ {
		x, y := oddX, headerTop+(pin-1)/2*pinPitch
		anchor, lx := "end", oddX-40
		if pin%2 == 0 {
			x, anchor, lx = evenX, "start", evenX+40
		}
		w, used := byPin[pin]
		fill, stroke := "#cfcfcf", "#8a8a8a"
		if used {
			fill, stroke = colour(w.kind), "#ffffff"
		}
		class := "pin"
		if used {
			class = "pin used " + w.kind
		}
		if pin == 1 {
			fmt.Fprintf(&b, `<rect id="pin%d" class="%s" x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="%s" stroke-width="2"/>`+"\n",
				pin, class, x-pinRadius, y-pinRadius, 2*pinRadius, 2*pinRadius, fill, stroke)
		} else {
			fmt.Fprintf(&b, `<circle id="pin%d" class="%s" cx="%d" cy="%d" r="%d" fill="%s" stroke="%s" stroke-width="2"/>`+"\n",
				pin, class, x, y, pinRadius, fill, stroke)
		}
		// Pin numbers sit on the header beside their pins, labels outside it.
		nx := x - 13
		if pin%2 == 0 {
			nx = x + 13
		}
		text(&b, nx, y+4, anchor, "font-size=\"10\" fill=\"#e0e0e0\"", fmt.Sprint(pin))
		var label, attrs string
		switch {
		case used && w.line >= 0:
			label = fmt.Sprintf("GPIO%d: %s", w.line, w.label)
			attrs = fmt.Sprintf(`font-weight="bold" fill="%s"`, colour(w.kind))
		case used:
			label = w.label
			attrs = fmt.Sprintf(`font-weight="bold" fill="%s"`, colour(w.kind))
		case powerPin(pin) != "":
			label = powerPin(pin)
			attrs = `fill="#999999" font-size="12"`
		default:
			label = fmt.Sprintf("GPIO%d", pinLine[pin])
			if f := lineFunction(pinLine[pin]); f != "" {
				label += " (" + f + ")"
			}
			attrs = `fill="#bbbbbb" font-size="12"`
		}
		text(&b, lx, y+5, anchor, attrs, label)
	}

	y := portsTop
	text(&b, 24, y, "start", "font-size=\"16\" font-weight=\"bold\"", "USB ports")
	y += 26
	for _, port := range p.Ports {
		paths := strings.Join(port.Paths, ", ")
		line := fmt.Sprintf("Port %s: green GPIO%d (pin %d), red GPIO%d (pin %d); USB %s; %s",
			port.Name, port.Green, HeaderPin(port.Green), port.Red, HeaderPin(port.Red), paths, port.Note)
		text(&b, 24, y, "start", "font-size=\"13\"", line)
		y += 22
	}
	y += 12
	text(&b, 24, y, "start", "font-size=\"13\" fill=\"#333333\"", "Buttons: GPIO to a push button to any GND pin (the kiosk turns on the internal pull-up).")
	text(&b, 24, y+20, "start", "font-size=\"13\" fill=\"#333333\"", "LEDs: GPIO to a 330 ohm resistor to the LED's long leg; short leg to any GND pin.")
	if p.LCD.Enabled {
		text(&b, 24, y+40, "start", "font-size=\"13\" fill=\"#333333\"",
			fmt.Sprintf("LCD: %s HD44780 on a PCF8574 I2C backpack, bus %d%s, address %s.", p.LCD.Size(), p.LCD.Bus, softText(p.LCD), p.LCD.AddressText()))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// text writes one SVG text element with s escaped.
func text(b *bytes.Buffer, x, y int, anchor, attrs, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" %s>`, x, y, anchor, attrs)
	xml.EscapeText(b, []byte(s))
	b.WriteString("</text>\n")
}

// softText says, for the wiring sheet, that the kiosk drives the bus.
func softText(l LCD) string {
	if l.Soft {
		return " (driven by the kiosk over GPIO)"
	}
	return ""
}
