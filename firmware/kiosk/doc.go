// Package kiosk is the appliance's core loop: it turns drive events and
// button presses into flash jobs, one per drive, and turns their progress
// and outcomes into a panel.State, journal records and counters.
//
// It does not find drives, write them, read buttons or drive the LCD and
// LEDs: drive events, the eligibility check, the job itself, the journal
// and the clock are all passed in, and the hardware side renders State.
// One goroutine (Run) owns all state; each job runs in a goroutine of its
// own with its own context, so a slow, failing or pulled drive never holds
// up the others.
package kiosk
