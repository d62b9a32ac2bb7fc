package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// statusLine is the line above the help: the ":" or "/" line while one is
// open, else a message, else the filter and the screen's own status. It
// returns the cursor column for the open line.
func (a *App) statusLine() (string, int) {
	s := a.c.Styles
	w := a.c.Width
	if a.input != inputNone {
		line, cx := a.line.View(w)
		prompt := s.R(s.Prompt, a.line.Prompt())
		line = prompt + strings.TrimPrefix(line, a.line.Prompt())
		note := a.msg
		if note == "" && a.input == inputCommand {
			if _, m := components.Completion(a.line.String(), targets()); len(m) > 0 {
				note = strings.Join(m, " ")
			} else {
				note = "no such screen or flow"
			}
		}
		if note != "" {
			// A completion note shares the line, on the right, cut to the
			// room the typing leaves (never dropped: it is what tab offers).
			typed := common.Width(strings.TrimRight(line, " "))
			if room := w - typed - 2; room >= 8 {
				note = common.Truncate(note, room)
				line = common.Fit(line, w-common.Width(note)-1, false) + " " + s.R(s.Muted, note)
			}
		}
		return line, cx
	}
	if a.msg != "" {
		st := s.Info
		if a.msgBad {
			st = s.Error
		}
		return s.R(st, common.Truncate(a.msg, w)), 0
	}
	p := a.page()
	status := p.Status()
	if f := p.Filter(); f != "" {
		status = s.R(s.Prompt, "/") + f + s.R(s.Muted, " (esc clears)") + " · " + status
	}
	return common.Truncate(status, w), 0
}

// helpLines are the keys that work here: the input's while a line is open,
// else the screen's (short, or full after ?).
func (a *App) helpLines() []string {
	var text string
	switch {
	case a.input == inputCommand:
		k := a.c.Keys
		text = a.shortHelp([]key.Binding{k.Complete, k.Accept, k.Cancel})
	case a.input == inputFilter:
		text = a.shortHelp([]key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		})
	case a.help.ShowAll:
		text = a.fullHelp()
	default:
		text = a.shortHelp(a.page().ShortHelp())
	}
	h := a.c.Height - a.headerLines() - a.pageH - 1
	return common.PadLines(common.ClampLines(text, a.c.Width, h), h)
}

// shortHelp is the one-line help, fitted to the width by dropping items
// from the end of the screen's own list: the last two (help and quit, by
// convention) always stay. (help.Model adds an item that overflows when
// there is no room for its ellipsis; this never overflows.)
func (a *App) shortHelp(b []key.Binding) string {
	w := a.c.Width
	keep := min(2, len(b))
	body, tail := b[:len(b)-keep], b[len(b)-keep:]
	for n := len(body); n >= 0; n-- {
		items := append(append([]key.Binding(nil), body[:n]...), tail...)
		if v := a.help.ShortHelpView(items); common.Width(v) <= w {
			return v
		}
	}
	return ""
}
