package board

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/wiring/*.svg from the profiles")

func TestWiringSVG(t *testing.T) {
	for _, p := range Profiles() {
		svg := WiringSVG(p)
		d := xml.NewDecoder(bytes.NewReader(svg))
		var texts []string
		classes := make(map[string]string)
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("WiringSVG(%s): not well-formed XML: %v", p.Name, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				var id, class string
				for _, a := range tok.Attr {
					switch a.Name.Local {
					case "id":
						id = a.Value
					case "class":
						class = a.Value
					}
				}
				if id != "" {
					classes[id] = class
				}
			case xml.CharData:
				texts = append(texts, string(tok))
			}
		}
		all := strings.Join(texts, "\n")
		want := p.usedLines()
		want = append(want, wire{pin: 3, line: 2, label: "LCD SDA", kind: "lcd"}, wire{pin: 5, line: 3, label: "LCD SCL", kind: "lcd"},
			wire{pin: 2, line: -1, label: "LCD VCC (5V)", kind: "power"}, wire{pin: 6, line: -1, label: "LCD GND", kind: "ground"})
		for _, w := range want {
			label := w.label
			if w.line >= 0 {
				label = fmt.Sprintf("GPIO%d: %s", w.line, w.label)
			}
			if !strings.Contains(all, label) {
				t.Errorf("WiringSVG(%s) has no label %q", p.Name, label)
			}
			id := fmt.Sprintf("pin%d", w.pin)
			if c := classes[id]; c != "pin used "+w.kind {
				t.Errorf("WiringSVG(%s): %s class %q; want %q", p.Name, id, c, "pin used "+w.kind)
			}
		}
		for i := 1; i <= 40; i++ {
			if _, ok := classes[fmt.Sprintf("pin%d", i)]; !ok {
				t.Errorf("WiringSVG(%s) draws no pin %d", p.Name, i)
			}
		}
		golden := filepath.Join("testdata", "wiring", p.Name+".svg")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, svg, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(golden)
		if err != nil || !bytes.Equal(old, svg) {
			t.Errorf("WiringSVG(%s) differs from %s (err %v); run go test ./board -update", p.Name, golden, err)
		}
	}
}
