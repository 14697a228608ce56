package power

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SensorName is the name of the hwmon device of the Pi firmware's
// under-voltage flag, as drivers/hwmon/raspberrypi-hwmon.c registers it.
const SensorName = "rpi_volt"

// alarmFile is the attribute that reads 1 while under-voltage is reported.
const alarmFile = "in0_lcrit_alarm"

// maxAttr bounds what is read of a sysfs attribute: the ones read here
// hold a word and a newline, and a file that is longer is not one of them.
const maxAttr = 64

// NoSensorError says that no hwmon device under Dir is named rpi_volt:
// the machine is not a Raspberry Pi (the VM board), or its kernel lacks
// the raspberrypi-hwmon driver, or the firmware did not answer the
// driver's first question. Seen lists the names the devices there have.
type NoSensorError struct {
	Dir  string
	Seen []string
}

func (e *NoSensorError) Error() string {
	if len(e.Seen) == 0 {
		return fmt.Sprintf("power: no %s sensor: no hwmon devices in %s", SensorName, e.Dir)
	}
	return fmt.Sprintf("power: no %s sensor in %s (it has %s)", SensorName, e.Dir, strings.Join(e.Seen, ", "))
}

// Monitor reads the under-voltage flag of one rpi_volt hwmon device.
type Monitor struct {
	dir string
}

// Find returns the Monitor of the rpi_volt device among root's
// sys/class/hwmon/hwmon*, root being the folder that holds sys/ ("/" on
// the kiosk, as kioskd's -root). The lowest-numbered one is taken if
// there are several. It is a *NoSensorError if there is none.
func Find(root string) (*Monitor, error) {
	class := filepath.Join(root, "sys", "class", "hwmon")
	entries, err := os.ReadDir(class)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NoSensorError{Dir: class}
	}
	if err != nil {
		return nil, fmt.Errorf("power: %w", err)
	}
	type device struct {
		n   int
		dir string
	}
	var devices []device
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "hwmon")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		devices = append(devices, device{n, filepath.Join(class, e.Name())})
	}
	slices.SortFunc(devices, func(a, b device) int { return a.n - b.n })
	var seen []string
	for _, d := range devices {
		// A device without a readable name is not the one looked for.
		name, err := readAttr(filepath.Join(d.dir, "name"))
		if err != nil {
			continue
		}
		if name != SensorName {
			seen = append(seen, name)
			continue
		}
		alarm := filepath.Join(d.dir, alarmFile)
		if _, err := os.Stat(alarm); err != nil {
			return nil, fmt.Errorf("power: %s is %s but has no %s: %w", d.dir, SensorName, alarmFile, err)
		}
		return &Monitor{dir: d.dir}, nil
	}
	return nil, &NoSensorError{Dir: class, Seen: seen}
}

// Dir is the hwmon device's folder, for messages.
func (m *Monitor) Dir() string { return m.dir }

// UnderVoltage reports whether the firmware saw the supply below its
// threshold in the driver's last 2 s interval.
func (m *Monitor) UnderVoltage() (bool, error) {
	name := filepath.Join(m.dir, alarmFile)
	v, err := readAttr(name)
	if err != nil {
		return false, fmt.Errorf("power: %w", err)
	}
	switch v {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("power: %s reads %q; want 0 or 1", name, v)
}

// readAttr reads a sysfs attribute of at most maxAttr bytes, without the
// newline that ends it.
func readAttr(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAttr+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxAttr {
		return "", fmt.Errorf("read %s: longer than %d bytes", name, maxAttr)
	}
	return strings.TrimSpace(string(b)), nil
}
