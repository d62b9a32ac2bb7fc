package main

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// appDriver runs a Bubble Tea model the way the program loop does, but on
// the test's goroutine: each key's commands (and theirs) run to the end
// before the next key, so a test reads the screen after a key settles.
type appDriver struct {
	t *testing.T
	m tea.Model
}

func (d *appDriver) drain(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0 && n < 10000; n++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if msg == nil {
			continue
		}
		if _, quit := msg.(tea.QuitMsg); quit {
			continue
		}
		var next tea.Cmd
		d.m, next = d.m.Update(msg)
		queue = append(queue, next)
	}
}

func (d *appDriver) send(msg tea.Msg) {
	var cmd tea.Cmd
	d.m, cmd = d.m.Update(msg)
	d.drain(cmd)
}

// press sends one key by name ("enter", "esc", "tab", "down", "ctrl+s",
// or a printable character).
func (d *appDriver) press(k string) {
	var msg tea.KeyPressMsg
	switch k {
	case "enter":
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		msg = tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		msg = tea.KeyPressMsg{Code: tea.KeyTab}
	case "down":
		msg = tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		msg = tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+s":
		msg = tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	default:
		msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
	}
	d.send(msg)
}

// typeText types s one character at a time.
func (d *appDriver) typeText(s string) {
	for _, r := range s {
		d.press(string(r))
	}
}

// colon runs a ":" line.
func (d *appDriver) colon(line string) {
	d.press(":")
	d.typeText(line)
	d.press("enter")
}

func (d *appDriver) screen() string { return d.m.View().Content }

func (d *appDriver) mustShow(want ...string) {
	d.t.Helper()
	out := d.screen()
	for _, w := range want {
		if !strings.Contains(out, w) {
			d.t.Fatalf("screen lacks %q:\n%s", w, out)
		}
	}
}
