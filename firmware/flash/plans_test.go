package flash

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// TestPlansShared writes two image files of one size at once with one
// Plans: while both run they hold one selection, each gets the volume and
// disk IDs it asked for, each reads back byte for byte as a write alone
// with those IDs, and nothing is kept once both are done.
func TestPlansShared(t *testing.T) {
	lib := testLibrary(t)
	const size = 128 * mib
	plans := &Plans{}
	ids := [][2]uint32{{0x11111111, 0x22222222}, {0x33333333, 0x44444444}}
	imgs := []string{sparseFile(t, size), sparseFile(t, size)}
	// Neither job writes before both have their plan.
	var arrived sync.WaitGroup
	arrived.Add(len(imgs))
	both := make(chan struct{})
	go func() { arrived.Wait(); close(both) }()
	results := make([]Result, len(imgs))
	errs := make([]error, len(imgs))
	var jobs sync.WaitGroup
	for i, img := range imgs {
		dev := openDev(t, img)
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			var once sync.Once
			results[i], errs[i] = Write(context.Background(), dev, Options{Library: lib, Label: "KOREA",
				VolumeID: ids[i][0], DiskID: ids[i][1], Plans: plans,
				Progress: func(p Progress) {
					if p.Phase != Writing {
						return
					}
					once.Do(func() {
						arrived.Done()
						select {
						case <-both:
						case <-time.After(2 * time.Minute):
						}
					})
				}})
		}()
	}
	jobs.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	if results[0].Selection != results[1].Selection {
		t.Errorf("two jobs on drives of one size at once planned apart; want one shared plan")
	}
	if n := plans.shared(); n != 0 {
		t.Errorf("%d plans kept after every job ended; want 0", n)
	}
	for i, img := range imgs {
		if results[i].VolumeID != ids[i][0] {
			t.Errorf("job %d: volume ID %08x; want %08x", i, results[i].VolumeID, ids[i][0])
		}
		alone := sparseFile(t, size)
		if _, err := Write(context.Background(), openDev(t, alone), Options{Library: lib, Label: "KOREA",
			VolumeID: ids[i][0], DiskID: ids[i][1]}); err != nil {
			t.Fatalf("write alone: %v", err)
		}
		a, errA := os.ReadFile(img)
		b, errB := os.ReadFile(alone)
		if err := errors.Join(errA, errB); err != nil {
			t.Fatal(err)
		}
		if d := firstDiff(a, b); d >= 0 {
			t.Errorf("job %d with a shared plan and a write alone differ first at byte %d", i, d)
		}
		if i == 1 {
			first, _ := os.ReadFile(imgs[0])
			if d := firstDiff(first, a); d < 0 || bytes.Equal(first[440:444], a[440:444]) {
				t.Errorf("two sticks of a shared plan have one disk signature")
			}
		}
		checkWithTools(t, img, lib, results[i].Selection)
	}
}

// TestPlansApart: jobs of different drive sizes, one after the other, or
// without Plans, each plan alone.
func TestPlansApart(t *testing.T) {
	lib := testLibrary(t)
	plans := &Plans{}
	var sels []any
	for _, tc := range []struct {
		size  int64
		plans *Plans
	}{
		{64 * mib, plans},
		{128 * mib, plans},
		{128 * mib, plans}, // after the other ended
		{128 * mib, nil},
	} {
		res, err := Write(context.Background(), openDev(t, sparseFile(t, tc.size)), Options{Library: lib, Plans: tc.plans})
		if err != nil {
			t.Fatalf("Write(%d MiB): %v", tc.size/mib, err)
		}
		for _, s := range sels {
			if s == any(res.Selection) {
				t.Errorf("%d MiB: shares a selection with an earlier job that had ended", tc.size/mib)
			}
		}
		sels = append(sels, res.Selection)
	}
	if n := plans.shared(); n != 0 {
		t.Errorf("%d plans kept; want 0", n)
	}
}

// TestPlansWait: a job waiting for another's plan gives up with its
// context, and a plan that fails fails every job that waited for it.
func TestPlansWait(t *testing.T) {
	plans := &Plans{}
	k := planKey{size: 1}
	building := make(chan struct{})
	finish := make(chan struct{})
	failed := errors.New("too small")
	done := make(chan error)
	go func() {
		_, release, err := plans.get(context.Background(), k, func(*plan) error {
			close(building)
			<-finish
			return failed
		})
		release()
		done <- err
	}()
	<-building
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := plans.get(ctx, k, func(*plan) error { t.Error("built twice"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting with a cancelled context: %v; want context.Canceled", err)
	}
	waiter := make(chan error)
	go func() {
		_, release, err := plans.get(context.Background(), k, func(*plan) error { t.Error("built twice"); return nil })
		release()
		waiter <- err
	}()
	for plans.users(k) < 2 {
		time.Sleep(time.Millisecond)
	}
	close(finish)
	if err := <-done; err != failed {
		t.Errorf("builder: %v; want %v", err, failed)
	}
	if err := <-waiter; err != failed {
		t.Errorf("waiter: %v; want %v", err, failed)
	}
	if n := plans.shared(); n != 0 {
		t.Errorf("%d plans kept; want 0", n)
	}
}

// shared is the number of plans kept: 0 once no job runs.
func (ps *Plans) shared() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.m)
}

// users is the number of jobs holding or waiting for the plan of k.
func (ps *Plans) users(k planKey) int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if s := ps.m[k]; s != nil {
		return s.users
	}
	return 0
}
