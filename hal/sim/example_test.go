package sim_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"flashkiosk/hal"
	"flashkiosk/hal/sim"
)

func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	console := strings.NewReader("kioskd: a log line, skipped\n" +
		`@panel {"press":"go","ms":0}` + "\n")
	p := sim.New(ctx, console, os.Stdout, 16, 2, 1)

	p.Display().DefineGlyph(0, hal.Glyph{0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f})
	p.Display().Show([]string{"Insert drives", "Straße → GO"})
	p.LED("1.green").Set(true)
	for range 2 {
		e := <-p.Button("go").Events()
		fmt.Println("go pressed:", e.Pressed)
	}
	// Output:
	// @panel {"lcd":["                ","                "],"glyphs":{"0":["#####","#####","#####","#####","#####","#####","#####","#####"]}}
	// @panel {"lcd":["Insert drives   ","Stra?e → GO     "],"glyphs":{"0":["#####","#####","#####","#####","#####","#####","#####","#####"]}}
	// @panel {"led":"1.green","on":true}
	// go pressed: true
	// go pressed: false
}
