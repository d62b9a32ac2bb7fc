package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// stateKeyer is a page (or the flow open in it) that offers keys that
// change state.
type stateKeyer interface{ StateKeys() []*key.Binding }

// refused is read-only mode's one refusal: a key that would change state on
// this screen does nothing and says why. (The bindings are disabled too, so
// they neither fire nor show in help; and below the UI the database session
// itself is read-only.)
func (a *App) refused(msg tea.KeyPressMsg) string {
	if !a.c.ReadOnly {
		return ""
	}
	sk, ok := a.page().(stateKeyer)
	if !ok {
		return ""
	}
	for _, b := range sk.StateKeys() {
		if slices.Contains(b.Keys(), msg.String()) {
			// Short enough for 80 columns: what was refused, and how to get it.
			return "read-only: " + b.Help().Key + " (" + b.Help().Desc + ") changes state; run without --read-only"
		}
	}
	return ""
}
