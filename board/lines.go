package board

import (
	"regexp"
	"strings"
)

var (
	tableRE = regexp.MustCompile(`^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$`)
	keyRE   = regexp.MustCompile(`^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=`)
	partRE  = regexp.MustCompile(`[A-Za-z0-9_-]+|"[^"]*"|'[^']*'`)
)

// keyLines maps each table and key of a TOML document, dotted and
// lower-cased ("ports.1.green"), to the line it is defined on. The TOML
// decoder keeps key positions to itself; this reads them back line by
// line, which is enough for the simple files kiosk.toml is (a key inside
// a multi-line string would fool it, and gets no line).
func keyLines(src string) map[string]int {
	lines := make(map[string]int)
	src = strings.TrimPrefix(src, "\ufeff") // Notepad's byte order mark
	var table []string
	inString := false
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		t := strings.TrimSpace(line)
		if inString {
			if strings.Count(t, `"""`)%2 == 1 || strings.Count(t, `'''`)%2 == 1 {
				inString = false
			}
			continue
		}
		if m := tableRE.FindStringSubmatch(t); m != nil {
			table = keyParts(m[1])
			setLine(lines, table, n)
			continue
		}
		if m := keyRE.FindStringSubmatch(t); m != nil {
			setLine(lines, append(append([]string(nil), table...), keyParts(m[1])...), n)
			if strings.Count(t, `"""`)%2 == 1 || strings.Count(t, `'''`)%2 == 1 {
				inString = true
			}
		}
	}
	return lines
}

func setLine(lines map[string]int, key []string, n int) {
	k := strings.ToLower(strings.Join(key, "."))
	if _, ok := lines[k]; !ok {
		lines[k] = n
	}
}

// keyParts splits a dotted TOML key and unquotes its parts.
func keyParts(s string) []string {
	parts := partRE.FindAllString(s, -1)
	for i, p := range parts {
		parts[i] = strings.Trim(p, `"'`)
	}
	return parts
}
