package common

import "charm.land/bubbles/v2/key"

// KeyMap is every key binding of the console, in one place. Screens pick
// the bindings that work for them in ShortHelp and FullHelp. A disabled
// binding neither fires (key.Matches ignores it) nor shows in help: that is
// how read-only mode hides the actions that change anything.
type KeyMap struct {
	// Everywhere.
	Quit    key.Binding
	Help    key.Binding
	Command key.Binding
	Filter  key.Binding
	Env     key.Binding
	Refresh key.Binding
	Screens key.Binding // 1–5
	Next    key.Binding
	Prev    key.Binding

	// Lists and scrolling views.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	Open     key.Binding
	Back     key.Binding

	// Inventory.
	Sort    key.Binding
	Reverse key.Binding

	// Audit. Verifying reads only, so it stays in read-only mode.
	Verify key.Binding

	// Actions that change something: disabled in read-only mode.
	Allocate key.Binding
	NewReq   key.Binding // file a creation request
	Approve  key.Binding
	Reject   key.Binding
	Export   key.Binding // write a request file for the ceremony machine
	Start    key.Binding // open a flow that changes something (the ceremony)

	// Migrations: each asks before it changes anything (verify too: a clean
	// verify of a moved migration completes it).
	Pause      key.Binding
	Resume     key.Binding
	Throttle   key.Binding
	Unthrottle key.Binding
	Rollback   key.Binding
	VerifyMig  key.Binding
	Worker     key.Binding // run the batch worker as a background job
	NewMig     key.Binding // the migration flow

	// Forms and the ceremony.
	NextField key.Binding
	PrevField key.Binding
	Choose    key.Binding
	Submit    key.Binding
	RunStep   key.Binding
	Override  key.Binding // rehearsal override of the air-gap check
	Abort     key.Binding

	// Inside the ":" and "/" line.
	Accept   key.Binding
	Cancel   key.Binding
	Complete key.Binding
}

// DefaultKeyMap returns the console's bindings.
func DefaultKeyMap() *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return &KeyMap{
		Quit:    b("q", "quit", "q", "ctrl+c"),
		Help:    b("?", "keys", "?"),
		Command: b(":", "go to", ":"),
		Filter:  b("/", "filter", "/"),
		Env:     b("e", "env", "e"),
		Refresh: b("r", "refresh", "r"),
		Screens: b("1-5", "screens", "1", "2", "3", "4", "5"),
		Next:    b("tab", "next", "tab"),
		Prev:    b("shift+tab", "previous", "shift+tab"),

		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+f", "space"),
		Top:      b("g/home", "top", "home", "g"),
		Bottom:   b("G/end", "bottom", "end", "G"),
		Open:     b("enter", "open", "enter"),
		Back:     b("esc", "back", "esc", "backspace"),

		Sort:    b("s", "sort", "s"),
		Reverse: b("S", "reverse", "S"),

		Verify: b("v", "verify chain", "v"),

		Allocate: b("a", "allocate", "a"),
		NewReq:   b("n", "new request", "n"),
		Approve:  b("a", "approve", "a"),
		Reject:   b("x", "reject", "x"),
		Export:   b("w", "export for ceremony", "w"),
		Start:    b("enter", "start", "enter"),

		Pause:      b("p", "pause", "p"),
		Resume:     b("c", "resume", "c"),
		Throttle:   b("t", "throttle", "t"),
		Unthrottle: b("T", "lift throttle", "T"),
		Rollback:   b("b", "roll back", "b"),
		VerifyMig:  b("v", "verify", "v"),
		Worker:     b("w", "run worker", "w"),
		NewMig:     b("n", "new migration", "n"),

		NextField: b("tab/↓", "next field", "tab", "down"),
		PrevField: b("shift+tab/↑", "previous field", "shift+tab", "up"),
		Choose:    b("←/→", "change choice", "left", "right"),
		Submit:    b("ctrl+s", "submit", "ctrl+s"),
		RunStep:   b("enter", "run step", "enter"),
		Override:  b("o", "rehearsal override", "o"),
		Abort:     b("ctrl+x", "abort ceremony", "ctrl+x"),

		Accept:   b("enter", "apply", "enter"),
		Cancel:   b("esc", "cancel", "esc"),
		Complete: b("tab", "complete", "tab"),
	}
}

// SetReadOnly enables or disables every binding that changes something.
func (k *KeyMap) SetReadOnly(ro bool) {
	for _, b := range k.Actions() {
		b.SetEnabled(!ro)
	}
}

// Actions are the bindings that change state (database or HSM).
func (k *KeyMap) Actions() []*key.Binding {
	return []*key.Binding{&k.Allocate, &k.NewReq, &k.Approve, &k.Reject, &k.Export, &k.Start,
		&k.Pause, &k.Resume, &k.Throttle, &k.Unthrottle, &k.Rollback, &k.VerifyMig, &k.Worker, &k.NewMig}
}

// Global is the help column that every screen shares.
func (k *KeyMap) Global() []key.Binding {
	return []key.Binding{k.Screens, k.Next, k.Command, k.Filter, k.Env, k.Refresh, k.Help, k.Quit}
}

// Nav is the help column of a list or scrolling view.
func (k *KeyMap) Nav() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}
