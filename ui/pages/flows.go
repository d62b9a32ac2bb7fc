package pages

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/flows"
)

// flowEntry is one line of the Flows menu.
type flowEntry struct {
	name, title, about string
	// open starts the wizard; nil when the flow is not built yet or not
	// available in this console (read-only, no source).
	open    func() (flows.Wizard, tea.Cmd)
	missing string // why open is nil
}

// Flows lists the guided flows and runs the one opened.
type Flows struct {
	Base
	entries []flowEntry
	nav     components.ListNav
	open    flows.Wizard
	msg     string
}

func NewFlows(c *common.Common, req common.RequestSource, start common.CeremonyStarter) *Flows {
	p := &Flows{Base: newBase(c, "flows", "Flows")}
	reqs := flowEntry{name: "requests", title: "Creation requests",
		about: "file a wallet creation request, approve or reject one, export an approved one for the ceremony machine"}
	if req != nil {
		reqs.open = func() (flows.Wizard, tea.Cmd) {
			w := flows.NewRequests(c, req)
			return w, w.Refresh()
		}
	} else {
		reqs.missing = "no database connection for requests"
	}
	cer := flowEntry{name: "ceremony", title: "Witnessed key ceremony",
		about: "on the air-gapped machine: request file, offline check, HSM, witnesses, entropy, key, backup, transcript"}
	switch {
	case c.ReadOnly:
		cer.missing = "read-only console"
	case start == nil:
		cer.missing = "start it with: console ceremony run --token LABEL"
	default:
		cer.open = func() (flows.Wizard, tea.Cmd) {
			w := flows.NewCeremony(c, start)
			return w, w.Refresh()
		}
	}
	p.entries = []flowEntry{reqs, cer}
	for _, e := range []struct{ name, title string }{
		{"validation", "Validation suite"},
		{"deployment", "Deployment (blue-green, gradual traffic)"},
		{"activation", "Activation"},
		{"migration", "Manufacturer migration"},
		{"deprecation", "Deprecation"},
		{"retirement", "Retirement"},
		{"incident", "Incident response (compromise runbook)"},
		{"checklist", "Daily checklist"},
		{"review", "Monthly review"},
	} {
		p.entries = append(p.entries, flowEntry{name: e.name, title: e.title, missing: "not built yet"})
	}
	p.nav.SetLen(len(p.entries))
	return p
}

// OpenFlow opens the named flow (for `console ceremony run`).
func (p *Flows) OpenFlow(name string) tea.Cmd {
	for i, e := range p.entries {
		if e.name == name {
			p.nav.Cursor = i
			p.nav.Clamp()
			return p.start()
		}
	}
	return nil
}

func (p *Flows) start() tea.Cmd {
	e := p.entries[p.nav.Cursor]
	if e.open == nil {
		p.msg = e.title + ": " + e.missing
		return nil
	}
	p.msg = ""
	w, cmd := e.open()
	p.open = w
	return cmd
}

func (p *Flows) SetSize(w, h int) {
	p.Base.SetSize(w, h)
	p.nav.SetHeight(max(h-3, 1))
}

// Capturing is the open wizard's.
func (p *Flows) Capturing() bool { return p.open != nil && p.open.Capturing() }

func (p *Flows) Update(msg tea.Msg) tea.Cmd {
	if p.open != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, p.c.Keys.Back) && !p.open.Capturing() {
			if !p.open.Back() {
				p.open = nil
			}
			return nil
		}
		return p.open.Update(msg)
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if p.nav.Key(p.c.Keys, k) {
			p.msg = ""
			return nil
		}
		if key.Matches(k, p.c.Keys.Open) {
			return p.start()
		}
	}
	return nil
}

func (p *Flows) View() string {
	if p.open != nil {
		return p.open.View(p.w, p.h)
	}
	s := p.c.Styles
	out := []string{s.R(s.Section, common.Truncate("Guided flows", p.w))}
	tw := 0
	for _, e := range p.entries {
		tw = max(tw, common.Width(e.title))
	}
	tw = min(tw, p.w/2)
	start, end := p.nav.Visible()
	for i := start; i < end; i++ {
		e := p.entries[i]
		about := e.about
		if e.open == nil {
			about = e.missing
		}
		mark := "  "
		if i == p.nav.Cursor {
			mark = "> "
		}
		line := common.Fit(mark+common.Fit(e.title, tw, false)+"  "+about, p.w, false)
		switch {
		case i == p.nav.Cursor:
			line = s.R(s.Selected, line)
		case e.open == nil:
			line = s.R(s.Muted, line)
		}
		out = append(out, line)
	}
	out = append(out, "")
	if p.msg != "" {
		out = append(out, s.R(s.Info, common.Truncate(p.msg, p.w)))
	}
	return strings.Join(out, "\n")
}

func (p *Flows) Refresh() tea.Cmd {
	if p.open != nil {
		return p.open.Refresh()
	}
	return nil
}

func (p *Flows) Status() string {
	if p.open != nil {
		return p.open.Status()
	}
	return "flows: " + common.Itoa(len(p.entries))
}

func (p *Flows) Back() bool {
	if p.open == nil {
		return false
	}
	if !p.open.Back() {
		p.open = nil
	}
	return true
}

func (p *Flows) ShortHelp() []key.Binding {
	if p.open != nil {
		return p.open.ShortHelp()
	}
	k := p.c.Keys
	return []key.Binding{k.Up, k.Down, k.Open, k.Screens, k.Command, k.Help, k.Quit}
}

func (p *Flows) FullHelp() [][]key.Binding {
	if p.open != nil {
		return p.open.FullHelp()
	}
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.Open}, k.Global()}
}

// Shutdown closes the open wizard (the ceremony aborts if under way).
func (p *Flows) Shutdown() string {
	if p.open == nil {
		return ""
	}
	return p.open.Shutdown()
}
