package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// This file: the ":" and "/" lines of the App.

// inputKey edits the ":" or "/" line. Every printable key types, q too.
func (a *App) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	k := a.c.Keys
	p := a.page()
	switch {
	case key.Matches(msg, k.Cancel):
		if a.input == inputFilter {
			p.SetFilter("")
		}
		a.input = inputNone
		return nil
	case key.Matches(msg, k.Accept):
		mode := a.input
		a.input = inputNone
		if mode == inputCommand {
			return a.command(a.line.String())
		}
		return nil
	case a.input == inputCommand && key.Matches(msg, k.Complete):
		a.complete()
		return nil
	case msg.String() == "backspace" && a.line.Len() == 0:
		a.input = inputNone // backspace on an empty line closes it
		return nil
	}
	if a.line.Update(msg) && a.input == inputFilter {
		p.SetFilter(a.line.String())
	}
	return nil
}

// screenNames are the names ":" accepts, in screen order.
func (a *App) screenNames() []string {
	names := make([]string, len(a.pages))
	for i, p := range a.pages {
		names[i] = p.Name()
	}
	return names
}

// command runs a ":" line: a screen name (or a unique prefix of one, or its
// number), or q / quit.
func (a *App) command(line string) tea.Cmd {
	name := strings.ToLower(strings.TrimSpace(line))
	switch name {
	case "":
		return nil
	case "q", "quit":
		return a.quit()
	}
	if len(name) == 1 && name[0] >= '1' && int(name[0]-'1') < len(a.pages) {
		return a.switchTo(int(name[0] - '1'))
	}
	_, matches := components.Completion(name, a.screenNames())
	for _, m := range matches {
		if m == name {
			matches = []string{m}
			break
		}
	}
	if len(matches) == 1 {
		return a.switchName(matches[0])
	}
	a.msgBad = true
	if len(matches) > 1 {
		a.msg = "ambiguous screen " + common.Quote(name) + ": " + strings.Join(matches, ", ")
	} else {
		a.msg = "unknown screen " + common.Quote(name) + " — screens: " + strings.Join(a.screenNames(), ", ")
	}
	return nil
}

// complete is tab on the ":" line.
func (a *App) complete() {
	done, matches := components.Completion(a.line.String(), a.screenNames())
	switch len(matches) {
	case 0:
		a.msg, a.msgBad = "no screen starts with "+common.Quote(a.line.String()), true
	case 1:
		a.line.Reset(":", done)
		a.msg = ""
	default:
		a.line.Reset(":", done)
		a.msg, a.msgBad = "screens: "+strings.Join(matches, ", "), false
	}
}
