package flow

import bkey "charm.land/bubbles/v2/key"

// ShortHelp is the footer's keys for the run: where typing goes into a
// field, the form's keys (q and ? are typed there, so they are not offered);
// elsewhere leaving, help and quitting.
func (r *Runner) ShortHelp() []bkey.Binding {
	k := r.c.Keys
	if r.Capturing() {
		return []bkey.Binding{k.NextField, k.Choose, k.Submit, k.Cancel}
	}
	return []bkey.Binding{k.Up, k.Down, k.Back, k.Help, k.Quit}
}
