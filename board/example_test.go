package board_test

import (
	"errors"
	"fmt"

	"flashkiosk/board"
)

func ExampleParse() {
	src := `board = "pi4b"
start = "insert"

[pins]
go = 6
`
	_, err := board.Parse("kiosk.toml", []byte(src))
	var ce *board.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce)           // the serial console
		fmt.Println(ce.Short(16)) // the LCD
	}
	// Output:
	// kiosk.toml:5: pins.go: GPIO6 is also port 1's red LED (ports.1.red)
	// CFG L5 pins.go
}

func ExampleProfile_PortMap() {
	p, _ := board.Lookup("pi4b")
	m := p.PortMap()
	fmt.Println(m["1-1.2"], m["2-2"], m["1-1.4"])
	// Output: 2 2 4
}
