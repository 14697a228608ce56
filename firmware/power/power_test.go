package power

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hwmon is one device of a stand-in sys/class/hwmon: its folder name and
// attribute files (a nil map makes an empty folder).
type hwmon struct {
	dir   string
	files map[string]string
}

// sysfs writes devices under a temporary root's sys/class/hwmon and
// returns the root.
func sysfs(t *testing.T, devices ...hwmon) string {
	t.Helper()
	root := t.TempDir()
	class := filepath.Join(root, "sys", "class", "hwmon")
	if err := os.MkdirAll(class, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range devices {
		dir := filepath.Join(class, d.dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range d.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func volt(dir string) hwmon {
	return hwmon{dir, map[string]string{"name": "rpi_volt\n", alarmFile: "0\n"}}
}

func other(dir, name string) hwmon {
	return hwmon{dir, map[string]string{"name": name + "\n", "temp1_input": "41000\n"}}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name    string
		devices []hwmon
		want    string   // the device folder found; "" for an error
		seen    []string // for a *NoSensorError: the names it lists
	}{
		{"alone", []hwmon{volt("hwmon0")}, "hwmon0", nil},
		{"a Pi 5's", []hwmon{other("hwmon0", "cpu_thermal"), other("hwmon1", "rp1_adc"), volt("hwmon2"), other("hwmon3", "pwmfan")}, "hwmon2", nil},
		{"lowest number of two", []hwmon{volt("hwmon10"), volt("hwmon2")}, "hwmon2", nil},
		{"after a device without a name", []hwmon{{"hwmon0", nil}, volt("hwmon1")}, "hwmon1", nil},
		{"after one whose name is too long", []hwmon{other("hwmon0", strings.Repeat("x", 100)), volt("hwmon1")}, "hwmon1", nil},
		{"not hwmonN entries", []hwmon{volt("hwmonX"), volt("rpi")}, "", []string{}},
		{"none on the VM", []hwmon{other("hwmon0", "cpu_thermal")}, "", []string{"cpu_thermal"}},
		{"no devices", nil, "", []string{}},
		{"no alarm attribute", []hwmon{{"hwmon0", map[string]string{"name": "rpi_volt\n"}}}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := sysfs(t, tc.devices...)
			m, err := Find(root)
			if tc.want != "" {
				if err != nil {
					t.Fatalf("Find = %v; want %s", err, tc.want)
				}
				if got := filepath.Base(m.Dir()); got != tc.want {
					t.Errorf("Find = %s; want %s", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Find = %s; want an error", m.Dir())
			}
			var none *NoSensorError
			if isNone := errors.As(err, &none); isNone != (tc.seen != nil) {
				t.Fatalf("Find = %v (a *NoSensorError: %t); want one: %t", err, isNone, tc.seen != nil)
			}
			if none != nil && strings.Join(none.Seen, ",") != strings.Join(tc.seen, ",") {
				t.Errorf("Find = %v, Seen %q; want %q", err, none.Seen, tc.seen)
			}
		})
	}
}

// TestFindNoClass is a kernel without hwmon at all: no sys/class/hwmon.
func TestFindNoClass(t *testing.T) {
	_, err := Find(t.TempDir())
	var none *NoSensorError
	if !errors.As(err, &none) {
		t.Errorf("Find(empty root) = %v; want a *NoSensorError", err)
	}
}

func TestUnderVoltage(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		want    bool
		wantErr bool
	}{
		{"normal", ptr("0\n"), false, false},
		{"under", ptr("1\n"), true, false},
		{"no newline", ptr("1"), true, false},
		{"empty", ptr(""), false, true},
		{"not a flag", ptr("2\n"), false, true},
		{"a word", ptr("yes\n"), false, true},
		{"too long", ptr(strings.Repeat("1", 100)), false, true},
		{"gone", nil, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := sysfs(t, volt("hwmon0"))
			m, err := Find(root)
			if err != nil {
				t.Fatal(err)
			}
			alarm := filepath.Join(m.Dir(), alarmFile)
			if tc.content == nil {
				err = os.Remove(alarm)
			} else {
				err = os.WriteFile(alarm, []byte(*tc.content), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.UnderVoltage()
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("UnderVoltage() = %t, %v; want %t, error %t", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestFindSymlink is the real layout: sys/class/hwmon/hwmonN is a symbolic
// link to the device's folder under sys/devices.
func TestFindSymlink(t *testing.T) {
	root := t.TempDir()
	dev := filepath.Join(root, "sys", "devices", "platform", "soc", "soc:firmware", "raspberrypi-hwmon", "hwmon", "hwmon1")
	class := filepath.Join(root, "sys", "class", "hwmon")
	for _, dir := range []string{dev, class} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{"name": "rpi_volt\n", alarmFile: "1\n"} {
		if err := os.WriteFile(filepath.Join(dev, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../../devices/platform/soc/soc:firmware/raspberrypi-hwmon/hwmon/hwmon1", filepath.Join(class, "hwmon1")); err != nil {
		t.Fatal(err)
	}
	m, err := Find(root)
	if err != nil {
		t.Fatalf("Find = %v; want hwmon1", err)
	}
	if under, err := m.UnderVoltage(); err != nil || !under {
		t.Errorf("UnderVoltage() = %t, %v; want true", under, err)
	}
}
