// Package flows holds the console's guided flows (creation requests, the
// witnessed key ceremony), each a Wizard the Flows page runs.
package flows

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Wizard is one guided flow inside the Flows screen. It owns the screen
// while it is open; esc at its top closes it (Back returns false).
type Wizard interface {
	Update(msg tea.Msg) tea.Cmd
	View(w, h int) string
	// Capturing reports that typed keys belong to the wizard (a field has
	// focus, or a ceremony is under way): the shell then passes every key
	// but ctrl+c to it.
	Capturing() bool
	Back() bool
	Refresh() tea.Cmd
	Status() string
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Shutdown is called when the console quits; it returns what to tell
	// the operator on the terminal afterwards ("" for nothing).
	Shutdown() string
}
