package board

import (
	"errors"
	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/source"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// StartMode says what starts a ready drive.
type StartMode string

// Start modes.
const (
	StartButton StartMode = "button" // the GO button starts every ready drive
	StartInsert StartMode = "insert" // a drive starts as soon as it is found eligible
)

// Fill is what the rest of a drive after the library is wiped with.
type Fill string

// Wipe fills.
const (
	FillZero   Fill = "zero"   // zeros: fast, and what a freshly wiped stick holds
	FillRandom Fill = "random" // a keyed pseudo-random stream
)

// FakePolicy says what to do with a drive smaller than it claims.
type FakePolicy string

// Fake-drive policies.
const (
	FakeUseReal FakePolicy = "use-real" // write the library sized to the real capacity
	FakeReject  FakePolicy = "reject"   // refuse the drive
)

// Config is a parsed and checked kiosk.toml.
type Config struct {
	Profile Profile       // the board profile with the file's overrides applied
	Board   Choice        // how the profile was chosen
	Start   StartMode     // what starts a drive
	Fill    Fill          // wipe fill after the library
	Fake    FakePolicy    // what to do with fake drives
	MinSize uint64        // smallest drive accepted, in bytes
	MaxSize uint64        // largest drive accepted, in bytes
	Label   string        // volume label, upper-cased as Windows stores it
	Library source.Choice // which library drives get: the card's, a master drive's, or the newer
}

// ConfigError names what is wrong with a kiosk.toml, precisely enough to
// fix it from the serial console. The kiosk writes no drive while its
// config is bad.
type ConfigError struct {
	File   string // file name as given to Parse or Load
	Line   int    // 1-based line, 0 if the problem has no line (a missing key)
	Field  string // dotted key, e.g. "ports.2.green"; "" for a syntax error
	Reason string // why, for a person
}

// Error returns "file:line: field: reason", leaving out what is unknown.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// Short is the error in at most width characters for an LCD line, e.g.
// "CFG L12 pins.go" or "CFG L7 ports.2.re" (the field cut to fit).
func (e *ConfigError) Short(width int) string {
	s := "CFG"
	if e.Line > 0 {
		s += " L" + strconv.Itoa(e.Line)
	}
	switch {
	case e.Field != "":
		s += " " + e.Field
	case e.Line == 0:
		s += " " + filepath.Base(e.File)
	default:
		s += " syntax"
	}
	if len(s) > width {
		s = s[:width]
	}
	return s
}

// opt is a value kiosk.toml may set. It checks the TOML type itself, so
// that a wrong type is reported by the decoder with its key and line.
type opt[T int | string | bool | []string] struct {
	v   T
	set bool
}

// UnmarshalTOML implements toml.Unmarshaler.
func (o *opt[T]) UnmarshalTOML(data any) error {
	switch p := any(&o.v).(type) {
	case *int:
		n, ok := data.(int64)
		if !ok {
			return fmt.Errorf("want a whole number, not %s", tomlType(data))
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return fmt.Errorf("%d is out of range", n)
		}
		*p = int(n)
	case *string:
		s, ok := data.(string)
		if !ok {
			return fmt.Errorf("want a string in quotes, not %s", tomlType(data))
		}
		*p = s
	case *bool:
		b, ok := data.(bool)
		if !ok {
			return fmt.Errorf("want true or false, not %s", tomlType(data))
		}
		*p = b
	case *[]string:
		arr, ok := data.([]any)
		if !ok {
			return fmt.Errorf("want a list of strings like [\"1-1.2\"], not %s", tomlType(data))
		}
		*p = nil
		for _, a := range arr {
			s, ok := a.(string)
			if !ok {
				return fmt.Errorf("want a list of strings, not a list holding %s", tomlType(a))
			}
			*p = append(*p, s)
		}
	}
	o.set = true
	return nil
}

// tomlType names a decoded TOML value's type for messages.
func tomlType(v any) string {
	switch v.(type) {
	case int64:
		return "a number"
	case float64:
		return "a decimal number"
	case string:
		return "a string"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// rawConfig is kiosk.toml as written, before defaults and checks.
type rawConfig struct {
	Board   opt[string] `toml:"board"`
	Start   opt[string] `toml:"start"`
	Fill    opt[string] `toml:"fill"`
	Fake    opt[string] `toml:"fake"`
	MinSize opt[string] `toml:"min_size"`
	MaxSize opt[string] `toml:"max_size"`
	Label   opt[string] `toml:"label"`
	Library opt[string] `toml:"library"`
	Pins    struct {
		GO     opt[int] `toml:"go"`
		Info   opt[int] `toml:"info"`
		Status opt[int] `toml:"status"`
	} `toml:"pins"`
	LCD struct {
		Enabled opt[bool]   `toml:"enabled"`
		Bus     opt[int]    `toml:"bus"`
		Soft    opt[bool]   `toml:"soft"`
		Address opt[int]    `toml:"address"`
		Size    opt[string] `toml:"size"`
	} `toml:"lcd"`
	Ports map[string]rawPort `toml:"ports"`
}

type rawPort struct {
	Green opt[int]      `toml:"green"`
	Red   opt[int]      `toml:"red"`
	Paths opt[[]string] `toml:"paths"`
}

// Load reads and parses the kiosk.toml at path, as Parse does.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{File: path, Reason: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	return Parse(path, data)
}

var decodeErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*)"\): (.*)$`)

// Parse parses kiosk.toml's contents away from a kiosk, as ParseFor with
// no model: board "auto" takes FallbackProfile.
func Parse(file string, data []byte) (*Config, error) {
	return ParseFor(file, data, "")
}

// ParseFor parses kiosk.toml's contents for the board whose device tree
// model is model; file names it in errors. Board "auto" (the default)
// takes the model's profile and is an error for a model no profile fits.
// Every error is a *ConfigError.
func ParseFor(file string, data []byte, model string) (*Config, error) {
	src := string(data)
	lines := keyLines(src)
	fail := func(field, reason string) error {
		return &ConfigError{File: file, Line: lineOf(lines, field), Field: field, Reason: reason}
	}
	raw, err := decode(file, src, lines, fail)
	if err != nil {
		return nil, err
	}
	c, err := policies(raw, lines, fail)
	if err != nil {
		return nil, err
	}
	model = CleanModel(model)
	c.Board = Choice{Setting: Auto, Model: model}
	if raw.Board.set {
		c.Board.Setting = raw.Board.v
	}
	c.Board.Detected, _ = ForModel(model)
	name := c.Board.Setting
	if name == Auto {
		switch {
		case c.Board.Detected != "":
			name = c.Board.Detected
		case model != "":
			return nil, fail("board", fmt.Sprintf("auto: this board is a %q, which no profile fits; set board to one of %s", model, strings.Join(Names(), ", ")))
		default:
			// Away from a kiosk the board is not known.
			name = FallbackProfile
		}
	}
	if c.Profile, err = checkedProfile(file, name, raw, lines, fail); err != nil {
		return nil, err
	}
	return c, nil
}

// checkedProfile returns profile name with raw's overrides applied and
// checked.
func checkedProfile(file, name string, raw *rawConfig, lines map[string]int, fail func(field, reason string) error) (Profile, error) {
	p, err := profile(name, raw, lines, fail)
	if err != nil {
		return Profile{}, err
	}
	if pr := p.check(); pr != nil {
		return Profile{}, blame(file, lines, pr)
	}
	return p, nil
}

// decode reads src into a rawConfig, refusing syntax errors, values of
// the wrong type and unknown keys.
func decode(file, src string, lines map[string]int, fail func(field, reason string) error) (*rawConfig, error) {
	var raw rawConfig
	md, err := toml.Decode(src, &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if pe.Message != "" {
				return nil, &ConfigError{File: file, Line: pe.Position.Line, Field: pe.LastKey, Reason: pe.Message}
			}
			prefix := fmt.Sprintf("toml: line %d (last key %q): ", pe.Position.Line, pe.LastKey)
			return nil, &ConfigError{File: file, Line: pe.Position.Line, Field: pe.LastKey, Reason: decodeReason(pe.LastKey, strings.TrimPrefix(pe.Error(), prefix))}
		}
		if m := decodeErrRE.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, &ConfigError{File: file, Line: n, Field: m[2], Reason: decodeReason(m[2], m[3])}
		}
		return nil, &ConfigError{File: file, Reason: err.Error()}
	}
	// The decoder quietly takes a list for a map of tables.
	for _, table := range []string{"pins", "lcd", "ports"} {
		if t := md.Type(table); t != "" && t != "Hash" {
			return nil, fail(table, decodeReason(table, "expected table"))
		}
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		sort.SliceStable(undecoded, func(i, j int) bool {
			return lineOf(lines, undecoded[i].String()) < lineOf(lines, undecoded[j].String())
		})
		return nil, fail(undecoded[0].String(), unknownKey(undecoded[0]))
	}
	return &raw, nil
}

// policies returns the Config of raw's policy settings, without a profile.
func policies(raw *rawConfig, lines map[string]int, fail func(field, reason string) error) (*Config, error) {
	c := &Config{Start: StartButton, Fill: FillZero, Fake: FakeUseReal, MinSize: drive.DefaultMinSize, MaxSize: drive.DefaultMaxSize, Label: fat.DefaultLabel, Library: source.Newest}
	if err := oneOf(&c.Start, raw.Start, "start", fail, StartButton, StartInsert); err != nil {
		return nil, err
	}
	if err := oneOf(&c.Fill, raw.Fill, "fill", fail, FillZero, FillRandom); err != nil {
		return nil, err
	}
	if err := oneOf(&c.Fake, raw.Fake, "fake", fail, FakeUseReal, FakeReject); err != nil {
		return nil, err
	}
	if err := oneOf(&c.Library, raw.Library, "library", fail, source.Newest, source.Card, source.Master); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		field string
		o     opt[string]
		dst   *uint64
	}{{"min_size", raw.MinSize, &c.MinSize}, {"max_size", raw.MaxSize, &c.MaxSize}} {
		if !s.o.set {
			continue
		}
		n, err := ParseSize(s.o.v)
		if err != nil {
			return nil, fail(s.field, err.Error())
		}
		*s.dst = n
	}
	if c.MinSize > c.MaxSize {
		field := "max_size"
		if lineOf(lines, "min_size") > lineOf(lines, "max_size") {
			field = "min_size"
		}
		return nil, fail(field, fmt.Sprintf("min_size %s is above max_size %s", FormatSize(c.MinSize), FormatSize(c.MaxSize)))
	}
	if raw.Label.set {
		label, err := fat.NormalizeLabel(raw.Label.v)
		if err != nil {
			return nil, fail("label", err.Error())
		}
		if library.NamesProject(label) {
			return nil, fail("label", fmt.Sprintf("%q %s; choose a label a person would, or none for Windows' %q", raw.Label.v, library.ProjectNameReason, fat.DefaultLabel))
		}
		c.Label = label
	}
	return c, nil
}

// profile returns profile name with raw's overrides applied, not yet
// checked.
func profile(name string, raw *rawConfig, lines map[string]int, fail func(field, reason string) error) (Profile, error) {
	p, ok := Lookup(name)
	if !ok {
		return Profile{}, fail("board", fmt.Sprintf("unknown board %q (auto or one of %s)", name, strings.Join(Names(), ", ")))
	}
	set(&p.GO, raw.Pins.GO)
	set(&p.Info, raw.Pins.Info)
	set(&p.Status, raw.Pins.Status)
	set(&p.LCD.Enabled, raw.LCD.Enabled)
	set(&p.LCD.Bus, raw.LCD.Bus)
	set(&p.LCD.Soft, raw.LCD.Soft)
	set(&p.LCD.Address, raw.LCD.Address)
	if raw.LCD.Size.set {
		var cols, rows int
		if _, err := fmt.Sscanf(raw.LCD.Size.v, "%dx%d", &cols, &rows); err != nil || fmt.Sprintf("%dx%d", cols, rows) != raw.LCD.Size.v {
			return Profile{}, fail("lcd.size", fmt.Sprintf("%q: want 16x2 or 20x4", raw.LCD.Size.v))
		}
		p.LCD.Cols, p.LCD.Rows = cols, rows
	}
	if err := applyPorts(&p, raw.Ports, lines, fail); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// decodeReason rewords the decoder's type errors about tables, which
// name Go types, for a person editing kiosk.toml.
func decodeReason(field, reason string) string {
	switch {
	case strings.Contains(reason, "expected table"):
		return fmt.Sprintf("want a table: a line [%s] and its keys below it", field)
	case strings.Contains(reason, "type mismatch"), strings.Contains(reason, "incompatible types"):
		return "wrong kind of value here"
	}
	return reason
}

// unknownKey says why k is not a kiosk.toml key and which keys its table
// has.
func unknownKey(k toml.Key) string {
	known := "board, start, fill, fake, min_size, max_size, label, library, [pins], [lcd], [ports.NAME]"
	switch {
	case len(k) == 2 && k[0] == "pins":
		known = "go, info, status"
	case len(k) == 2 && k[0] == "lcd":
		known = "enabled, bus, soft, address, size"
	case len(k) == 3 && k[0] == "ports":
		known = "green, red, paths"
	}
	return "unknown key (known: " + known + ")"
}

// applyPorts overrides the fields of p's ports that kiosk.toml sets, and
// adds the ports it names that p lacks (in the order of the file).
func applyPorts(p *Profile, ports map[string]rawPort, lines map[string]int, fail func(field, reason string) error) error {
	names := make([]string, 0, len(ports))
	for name := range ports {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		return lineOf(lines, "ports."+names[i]) < lineOf(lines, "ports."+names[j])
	})
	for _, name := range names {
		rp := ports[name]
		i := -1
		for j, port := range p.Ports {
			if port.Name == name {
				i = j
			}
		}
		if i < 0 {
			if !rp.Green.set || !rp.Red.set || !rp.Paths.set {
				return fail("ports."+name, fmt.Sprintf("port %s is not on board %s: a new port needs green, red and paths", name, p.Name))
			}
			p.Ports = append(p.Ports, Port{Name: name, Note: "added in kiosk.toml"})
			i = len(p.Ports) - 1
		}
		set(&p.Ports[i].Green, rp.Green)
		set(&p.Ports[i].Red, rp.Red)
		set(&p.Ports[i].Paths, rp.Paths)
	}
	return nil
}

func set[T int | string | bool | []string](dst *T, o opt[T]) {
	if o.set {
		*dst = o.v
	}
}

// oneOf sets *dst to the value of o if it is one of allowed.
func oneOf[T ~string](dst *T, o opt[string], field string, fail func(field, reason string) error, allowed ...T) error {
	if !o.set {
		return nil
	}
	var names []string
	for _, a := range allowed {
		if string(a) == o.v {
			*dst = a
			return nil
		}
		names = append(names, fmt.Sprintf("%q", string(a)))
	}
	return fail(field, fmt.Sprintf("%q: want %s", o.v, strings.Join(names, " or ")))
}

// blame turns a profile problem into a ConfigError on the field the file
// set last, since that is the edit that broke the profile; a problem of
// built-in values alone (a bug) names the first field without a line.
func blame(file string, lines map[string]int, pr *problem) error {
	best, bestLine := 0, 0
	for i, f := range pr.fields {
		if n := lines[strings.ToLower(f)]; n > bestLine {
			best, bestLine = i, n
		}
	}
	if bestLine == 0 {
		bestLine = lineOf(lines, pr.fields[0])
	}
	return &ConfigError{File: file, Line: bestLine, Field: pr.fields[best], Reason: pr.reasons[best]}
}

// lineOf returns the line of field, or of the nearest table holding it
// that the file defines, or 0.
func lineOf(lines map[string]int, field string) int {
	k := strings.ToLower(field)
	for k != "" {
		if n, ok := lines[k]; ok {
			return n
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}
