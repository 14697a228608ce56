package kiosk

import (
	"testing"
	"time"
)

func TestGestures(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	type step struct {
		kind string // "press", "release", "tick"
		b    button
		at   time.Duration
		want action
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"go short", []step{{"press", goButton, 0, none}, {"release", goButton, time.Second, goShort}}},
		{"go just under long", []step{{"press", goButton, 0, none}, {"tick", 0, LongPress - time.Millisecond, none}, {"release", goButton, LongPress - time.Millisecond, goShort}}},
		{"go long by tick", []step{{"press", goButton, 0, none}, {"tick", 0, LongPress, goLong}, {"tick", 0, 3 * time.Second, none}, {"release", goButton, 4 * time.Second, none}}},
		{"go long without tick", []step{{"press", goButton, 0, none}, {"release", goButton, 3 * time.Second, goLong}}},
		{"info short", []step{{"press", infoButton, 0, none}, {"release", infoButton, 100 * time.Millisecond, infoShort}}},
		{"info long is nothing", []step{{"press", infoButton, 0, none}, {"tick", 0, 3 * time.Second, none}, {"release", infoButton, 3 * time.Second, none}}},
		{"release without press", []step{{"release", goButton, 0, none}}},
		{"both held to shutdown", []step{
			{"press", goButton, 0, none}, {"press", infoButton, 500 * time.Millisecond, none},
			{"tick", 0, 3 * time.Second, none}, // no long press while both are held
			{"tick", 0, 500*time.Millisecond + ShutdownHold - time.Millisecond, none},
			{"tick", 0, 500*time.Millisecond + ShutdownHold, shutdown},
			{"tick", 0, 7 * time.Second, none},
			{"release", goButton, 8 * time.Second, none}, {"release", infoButton, 8 * time.Second, none},
		}},
		{"both briefly is no press", []step{
			{"press", goButton, 0, none}, {"press", infoButton, 100 * time.Millisecond, none},
			{"release", infoButton, 200 * time.Millisecond, none}, {"release", goButton, 300 * time.Millisecond, none},
			{"press", goButton, time.Second, none}, {"release", goButton, 1100 * time.Millisecond, goShort},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g gestures
			for i, s := range tt.steps {
				var got action
				switch s.kind {
				case "press":
					got = g.press(s.b, at(s.at))
				case "release":
					got = g.release(s.b, at(s.at))
				case "tick":
					got = g.tick(at(s.at))
				}
				if got != s.want {
					t.Errorf("step %d: %s(%d, +%v) = %d; want %d", i, s.kind, s.b, s.at, got, s.want)
				}
			}
		})
	}
}
