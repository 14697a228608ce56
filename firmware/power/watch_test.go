package power

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// setAlarm replaces the alarm file in one rename, so that Watch reads
// either the old or the new contents, never a mix.
func setAlarm(t *testing.T, m *Monitor, content string) {
	t.Helper()
	tmp := filepath.Join(m.Dir(), ".alarm")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(m.Dir(), alarmFile)); err != nil {
		t.Fatal(err)
	}
}

// show is a Status as test messages and comparisons see it.
func show(s Status) string {
	return fmt.Sprintf("{Under:%t Dips:%d Ever:%t Err:%t}", s.Under, s.Dips, s.Ever(), s.Err != nil)
}

// TestWatch changes the alarm file step by step and checks the Status
// reported after each step. Every step changes the Status, and Watch
// reports only changes, so ticks are sent until the report comes.
func TestWatch(t *testing.T) {
	type step struct {
		alarm string
		want  Status // Err is compared as set or not
	}
	bad := fmt.Errorf("bad")
	tests := []struct {
		name  string
		steps []step
	}{
		{"a dip is remembered after it passes", []step{
			{"0\n", Status{}},
			{"1\n", Status{Under: true, Dips: 1}},
			{"0\n", Status{Dips: 1}},
		}},
		{"two dips", []step{
			{"0\n", Status{}},
			{"1\n", Status{Under: true, Dips: 1}},
			{"0\n", Status{Dips: 1}},
			{"1\n", Status{Under: true, Dips: 2}},
			{"0\n", Status{Dips: 2}},
		}},
		{"under from the start", []step{
			{"1\n", Status{Under: true, Dips: 1}},
			{"0\n", Status{Dips: 1}},
		}},
		{"a bad read keeps what was known", []step{
			{"0\n", Status{}},
			{"1\n", Status{Under: true, Dips: 1}},
			{"garbage\n", Status{Under: true, Dips: 1, Err: bad}},
			{"1\n", Status{Under: true, Dips: 1}},
			{"0\n", Status{Dips: 1}},
		}},
		{"a bad first read, then a dip", []step{
			{"", Status{Err: bad}},
			{"1\n", Status{Under: true, Dips: 1}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Find(sysfs(t, volt("hwmon0")))
			if err != nil {
				t.Fatal(err)
			}
			setAlarm(t, m, tc.steps[0].alarm)
			ctx, cancel := context.WithCancel(context.Background())
			ticks := make(chan time.Time)
			reports := make(chan Status, 100)
			done := make(chan struct{})
			go func() {
				defer close(done)
				Watch(ctx, m, ticks, func(s Status) { reports <- s })
			}()
			timeout := time.After(10 * time.Second)
			for i, s := range tc.steps {
				if i > 0 {
					setAlarm(t, m, s.alarm)
				}
			wait:
				for {
					select {
					case got := <-reports:
						if show(got) != show(s.want) {
							t.Fatalf("step %d (%q): Watch reported %s; want %s", i, s.alarm, show(got), show(s.want))
						}
						break wait
					case ticks <- time.Now():
					case <-timeout:
						t.Fatalf("step %d (%q): no report; want %s", i, s.alarm, show(s.want))
					}
				}
			}
			cancel()
			<-done
			close(reports)
			for got := range reports {
				t.Errorf("Watch reported %s after the last step; want nothing more", show(got))
			}
		})
	}
}

// TestWatchQuiet checks that Watch reports once and then nothing while the
// flag stays as it is, and that it returns when its context ends and when
// its ticks stop.
func TestWatchQuiet(t *testing.T) {
	for _, stop := range []string{"context", "ticks"} {
		t.Run(stop, func(t *testing.T) {
			m, err := Find(sysfs(t, volt("hwmon0")))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ticks := make(chan time.Time)
			var reports []Status
			done := make(chan struct{})
			go func() {
				defer close(done)
				Watch(ctx, m, ticks, func(s Status) { reports = append(reports, s) })
			}()
			for range 5 {
				ticks <- time.Now()
			}
			if stop == "context" {
				cancel()
			} else {
				close(ticks)
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Watch did not return after its %s ended", stop)
			}
			if len(reports) != 1 || show(reports[0]) != show(Status{}) {
				t.Errorf("Watch over 5 quiet ticks reported %v; want one %s", reports, show(Status{}))
			}
		})
	}
}
