// Package registry is the one list of what the console offers: its screens,
// its flows and its command-line commands, each with its name, aliases,
// title, arguments and whether it changes state. The front ends bind their
// own constructors to these names (ui its screens and flows, cmd/console its
// commands) and a test in each checks that every entry is bound and nothing
// is bound that is not listed; help, the Flows menu, ":" completion and the
// CLI's usage all read from here. Pure data: no I/O, no imports of the
// front ends.
package registry

import (
	"slices"
	"strings"
)

// Kind says which front end an entry belongs to.
type Kind int

const (
	Screen  Kind = iota // a screen of the full-screen console
	Flow                // a guided flow (plan → checks → confirm → run → result)
	Command             // a command of the CLI
)

func (k Kind) String() string {
	switch k {
	case Screen:
		return "screen"
	case Flow:
		return "flow"
	default:
		return "command"
	}
}

// ArgType says what an argument holds, so that front ends can check and
// complete it the same way.
type ArgType int

const (
	ArgText    ArgType = iota
	ArgWallet          // a wallet version: v3 or 3
	ArgRequest         // a creation request id: WCR-YYYY-MM-DD-NNN
	ArgFile            // a path on this machine
)

// Arg is one positional argument.
type Arg struct {
	Name     string
	Type     ArgType
	Required bool
	Help     string
}

// Entry is one screen, flow or command.
type Entry struct {
	Kind    Kind
	Name    string   // "inventory", "allocate", "request approve"
	Aliases []string // other names ":" and the CLI accept
	Title   string   // the tab, the Flows menu line
	Summary string   // one line for help and usage
	Args    []Arg
	// ChangesState: running it writes to the database or the HSM. Read-only
	// mode refuses every such entry (and the session below it refuses too).
	ChangesState bool
	// Destructive: it cannot be undone; its confirmation is typed.
	Destructive bool
	// Browse: a flow whose screens only read (its changes ask inside, and
	// refuse in read-only mode), so a read-only console may still open it.
	Browse bool
	// Built is false for entries announced but not built yet: they are
	// listed (so operators see what is coming) and refuse with a note.
	Built bool
	// Key is the screen's number key ("1".."9"), "" for none.
	Key string
}

// Usage is the entry's name with its arguments, for help lines.
func (e Entry) Usage() string {
	var b strings.Builder
	b.WriteString(e.Name)
	for _, a := range e.Args {
		name := a.Name
		if !strings.HasPrefix(name, "-") {
			name = strings.ToUpper(name) // a value to fill in; an option is shown as typed
		}
		if a.Required {
			b.WriteString(" " + name)
		} else {
			b.WriteString(" [" + name + "]")
		}
	}
	return b.String()
}

// Matches says whether name is the entry's name or one of its aliases.
func (e Entry) Matches(name string) bool {
	return e.Name == name || slices.Contains(e.Aliases, name)
}

// All is every entry, screens first, in the order they are shown.
func All() []Entry {
	out := make([]Entry, 0, len(screens)+len(flows)+len(commands))
	out = append(out, screens...)
	out = append(out, flows...)
	out = append(out, commands...)
	return out
}

// Of returns the entries of one kind, in order.
func Of(k Kind) []Entry {
	var out []Entry
	for _, e := range All() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// Lookup finds the entry of kind k named (or aliased) name.
func Lookup(k Kind, name string) (Entry, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, e := range All() {
		if e.Kind == k && e.Matches(name) {
			return e, true
		}
	}
	return Entry{}, false
}
