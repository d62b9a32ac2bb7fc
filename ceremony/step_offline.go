package ceremony

import (
	"errors"
	"fmt"
	"strings"
)

// CheckOffline runs the air-gap check (see the package-level CheckOffline)
// on Config.NetRoot. Offline: recorded (offline_checked) and the ceremony
// moves on. Online and override empty: recorded (offline_refused) and
// returned; the ceremony stays here (unplug and check again, or abort).
// Online with an override reason: recorded (offline_override), the
// transcript is marked rehearsal, and the ceremony moves on — for rehearsals
// only: a rehearsal transcript does not create a wallet.
func (c *Ceremony) CheckOffline(override string) (OfflineReport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepOffline, "the offline check"); err != nil {
		return OfflineReport{}, err
	}
	override = strings.TrimSpace(override)
	rep, err := CheckOffline(c.cfg.NetRoot)
	if root := c.cfg.NetRoot; err == nil && root != "" && root != "/" && !netRootIsMachine {
		// A check of files elsewhere proves nothing about this machine: it
		// is a rehearsal, whatever the files say.
		if override == "" {
			override = "the offline check read " + root + ", not this machine's /proc and /sys"
		}
		err = fmt.Errorf("%w: the check read %s", ErrOfflineUnknown, root)
	}
	if err == nil {
		d := offlineData{Report: rep}
		if override != "" {
			d.Note = "an override was given but not needed: the machine is offline"
		}
		if err := c.record(StepOffline, EventOfflineChecked, c.cfg.Operator, d); err != nil {
			return rep, err
		}
		c.step = StepHSM
		return rep, nil
	}
	if override == "" {
		werr := fmt.Errorf("offline check: %w; for a rehearsal only, give an override reason (it is recorded and the transcript is marked REHEARSAL)", err)
		if rerr := c.record(StepOffline, EventOfflineRefused, c.cfg.Operator, offlineData{Report: rep}); rerr != nil {
			return rep, errors.Join(werr, rerr)
		}
		return rep, werr
	}
	if err := c.record(StepOffline, EventOfflineOverride, c.cfg.Operator, offlineData{Report: rep, Override: override,
		Note: "REHEARSAL: the machine was not proven offline; this transcript must not create a wallet"}); err != nil {
		return rep, err
	}
	c.rehearsal = true
	c.step = StepHSM
	return rep, nil
}

// netRootIsMachine lets this package's tests treat their /proc and /sys
// fixtures as the machine's own. Nothing outside the tests can set it: a
// NetRoot other than / is otherwise always a rehearsal.
var netRootIsMachine = false
