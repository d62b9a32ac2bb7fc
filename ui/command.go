package ui

import (
	"errors"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/registry"
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
		a.input, a.msg = inputNone, "" // a completion list does not outlive its line
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
	if a.line.Update(msg) && a.input == inputFilter && p.Filterable() {
		p.SetFilter(a.line.String())
	}
	return nil
}

// targets are the names ":" accepts: every screen and flow of the
// registry with its aliases.
func targets() []string {
	var names []string
	for _, k := range []registry.Kind{registry.Screen, registry.Flow} {
		for _, e := range registry.Of(k) {
			names = append(names, e.Name)
			names = append(names, e.Aliases...)
		}
	}
	return names
}

// command runs a ":" line: a screen or flow of the registry (its name, an
// alias or a unique prefix) with its arguments, a wallet (":v2"), a screen
// number, or q / quit.
func (a *App) command(line string) tea.Cmd {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil
	}
	name, args := strings.ToLower(fields[0]), fields[1:]
	switch name {
	case "q", "quit":
		return a.askQuit()
	}
	if len(name) == 1 && name[0] >= '1' && int(name[0]-'1') < len(a.pages) {
		return a.jump(a.pages[name[0]-'1'].Name())
	}
	if len(name) > 1 && name[0] == 'v' && name[1] >= '0' && name[1] <= '9' {
		if len(args) > 0 {
			a.fail(":" + name + " takes nothing after it (did you mean :wallet " + name + "?)")
			return nil
		}
		return screenJumps["wallet"](a, []string{name})
	}
	e, ok := a.resolve(name)
	if !ok {
		return nil
	}
	if e.Kind == registry.Flow {
		if len(args) > len(e.Args) {
			a.fail(":" + e.Usage() + " — " + common.Quote(strings.Join(args[len(e.Args):], " ")) + " is more than it takes")
			return nil
		}
		for i, arg := range e.Args {
			if i < len(args) && arg.Type == registry.ArgWallet {
				v, err := model.ParseVersion(args[i])
				if err != nil {
					a.fail(err.Error())
					return nil
				}
				if !a.knownWallet(v) {
					return nil
				}
			}
		}
		return a.openFlow(e.Name, args)
	}
	if jmp, ok := screenJumps[e.Name]; ok {
		return jmp(a, args)
	}
	if with, ok := screenArgs[e.Name]; ok {
		return with(a, args)
	}
	if len(args) > 0 {
		a.fail(":" + e.Name + " takes no arguments")
		return nil
	}
	return a.jump(e.Name)
}

// resolve finds the registry entry a ":" name means, saying why when none.
func (a *App) resolve(name string) (registry.Entry, bool) {
	for _, k := range []registry.Kind{registry.Screen, registry.Flow} {
		if e, ok := registry.Lookup(k, name); ok {
			return e, true
		}
	}
	_, matches := components.Completion(name, targets())
	uniq := map[string]registry.Entry{}
	for _, m := range matches {
		for _, k := range []registry.Kind{registry.Screen, registry.Flow} {
			if e, ok := registry.Lookup(k, m); ok {
				uniq[e.Name] = e
			}
		}
	}
	if len(uniq) == 1 {
		for _, e := range uniq {
			return e, true
		}
	}
	// A prefix that names one screen and some flows means the screen
	// (":mi" is the Migrations screen, ":migration" the flow).
	var screen []registry.Entry
	for _, e := range uniq {
		if e.Kind == registry.Screen {
			screen = append(screen, e)
		}
	}
	if len(screen) == 1 {
		return screen[0], true
	}
	if len(uniq) > 1 {
		var names []string
		for n := range uniq {
			names = append(names, n)
		}
		slices.Sort(names)
		a.fail("ambiguous " + common.Quote(name) + ": " + strings.Join(names, ", "))
		return registry.Entry{}, false
	}
	var names []string
	for _, e := range registry.Of(registry.Screen) {
		if e.Key != "" {
			names = append(names, e.Name)
		}
	}
	a.fail("unknown screen or flow " + common.Quote(name) + " — screens: " + strings.Join(names, ", ") + "; ? lists the flows")
	return registry.Entry{}, false
}

// parseAuditArgs reads ":audit --wallet v1 --type T --by LOGIN".
func parseAuditArgs(args []string) (model.OpFilter, error) {
	var f model.OpFilter
	for i := 0; i < len(args); i++ {
		flag := args[i]
		if !strings.HasPrefix(flag, "-") {
			return f, errors.New("expected an option before " + common.Quote(flag) + ": :audit --wallet v1 --type TYPE --by LOGIN")
		}
		if i+1 >= len(args) {
			return f, errors.New(flag + " needs a value: :audit --wallet v1 --type TYPE --by LOGIN")
		}
		val := args[i+1]
		i++
		switch flag {
		case "--wallet", "-w":
			v, err := model.ParseVersion(val)
			if err != nil {
				return f, err
			}
			f.Wallet = &v
		case "--type", "-t":
			f.Type = val
		case "--by", "--operator":
			f.Operator = val
		default:
			return f, errors.New("unknown option " + common.Quote(flag) + " for :audit (use --wallet, --type, --by)")
		}
	}
	return f, nil
}

// complete is tab on the ":" line.
func (a *App) complete() {
	if a.completeWallet() {
		return
	}
	done, matches := components.Completion(a.line.String(), targets())
	switch len(matches) {
	case 0:
		a.msg, a.msgBad = "nothing starts with "+common.Quote(a.line.String()), true
	case 1:
		// A whole name takes its arguments next: leave the space for them.
		if e, ok := a.resolveQuiet(done); ok && len(e.Args) > 0 && !strings.HasSuffix(done, " ") {
			done += " "
		}
		a.line.Reset(":", done)
		a.msg = ""
	default:
		a.line.Reset(":", done)
		a.msg, a.msgBad = "one of: "+strings.Join(matches, ", "), false
	}
}

// resolveQuiet is resolve without a message.
func (a *App) resolveQuiet(name string) (registry.Entry, bool) {
	for _, k := range []registry.Kind{registry.Screen, registry.Flow} {
		if e, ok := registry.Lookup(k, strings.TrimSpace(name)); ok {
			return e, true
		}
	}
	return registry.Entry{}, false
}

// completeWallet completes a wallet argument (":wallet v", ":allocate v1"
// is done, ":audit --wallet v") from the inventory; false when the line is
// not at a wallet argument.
func (a *App) completeWallet() bool {
	line := a.line.String()
	fields := strings.Fields(line)
	if len(fields) == 0 || (!strings.HasSuffix(line, " ") && len(fields) < 2) {
		return false
	}
	e, ok := a.resolveQuiet(fields[0])
	if !ok {
		return false
	}
	wantsWallet := false
	for _, arg := range e.Args {
		wantsWallet = wantsWallet || arg.Type == registry.ArgWallet
	}
	if !wantsWallet {
		return false
	}
	partial := ""
	head := line
	if !strings.HasSuffix(line, " ") {
		partial = fields[len(fields)-1]
		head = strings.TrimSuffix(line, partial)
		if strings.HasPrefix(partial, "-") {
			return false // an option, not its value
		}
	}
	done, matches := components.Completion(strings.ToLower(partial), a.inv.Versions())
	switch len(matches) {
	case 0:
		a.msg, a.msgBad = "no wallet starts with "+common.Quote(partial), true
	case 1:
		a.line.Reset(":", head+done)
		a.msg = ""
	default:
		a.line.Reset(":", head+done)
		a.msg, a.msgBad = "one of: "+strings.Join(matches, ", "), false
	}
	return true
}
