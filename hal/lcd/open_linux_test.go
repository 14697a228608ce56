package lcd

import (
	"testing"

	logging "github.com/op/go-logging"
)

func TestSilenceDriverLogs(t *testing.T) {
	silenceDriverLogs()
	if got := logging.GetLevel("hd44780"); got != logging.ERROR {
		t.Errorf("logging.GetLevel(hd44780) after silenceDriverLogs() = %v; want %v", got, logging.ERROR)
	}
}
