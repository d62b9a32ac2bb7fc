package pages

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/flows"
)

// FlowEntry is one line of the Flows menu (made from the registry).
type FlowEntry struct {
	Name, Title, About string
	// Open starts the wizard with the ":" arguments; nil when the flow is
	// not built yet or not available in this console (Missing says why).
	Open    func(args []string) (flows.Wizard, tea.Cmd, error)
	Missing string
}

// Flows lists the guided flows and runs the one opened.
type Flows struct {
	Base
	entries []FlowEntry
	nav     components.ListNav
	open    flows.Wizard
	msg     string
}

// NewFlows is the Flows menu over entries, in order.
func NewFlows(c *common.Common, entries []FlowEntry) *Flows {
	p := &Flows{Base: newBase(c, "flows", "Flows"), entries: entries}
	p.nav.SetLen(len(p.entries))
	return p
}

// closer is a wizard that can end by itself (a flow run that was closed).
type closer interface{ Closed() bool }

// drop forgets the open wizard once it closed itself.
func (p *Flows) drop() {
	if c, ok := p.open.(closer); ok && c.Closed() {
		p.open = nil
	}
}

// Busy reports whether the open flow holds typing or work that leaving
// would lose (the shell asks before quitting or replacing it).
func (p *Flows) Busy() bool {
	if p.open == nil {
		return false
	}
	type dirty interface{ Dirty() bool }
	if d, ok := p.open.(dirty); ok {
		return d.Dirty()
	}
	return p.open.Capturing()
}

// Claims: the open flow's keys come before the shell's.
func (p *Flows) Claims(k tea.KeyPressMsg) bool {
	c, ok := p.open.(interface{ Claims(tea.KeyPressMsg) bool })
	return ok && c.Claims(k)
}

// HasOpen reports whether a flow is open.
func (p *Flows) HasOpen() bool { return p.open != nil }

// OpenFlow opens the named flow with args (":allocate v2", the inventory's
// a, `console ceremony run`). An open flow with work in it is kept. When
// the flow cannot open, it says why (and nothing changes on screen).
func (p *Flows) OpenFlow(name string, args ...string) (tea.Cmd, string) {
	for i, e := range p.entries {
		if e.Name != name {
			continue
		}
		if e.Open == nil {
			return nil, e.Title + ": " + e.Missing
		}
		if p.Busy() {
			return nil, "finish or leave the open flow first (esc)"
		}
		w, cmd, err := e.Open(args)
		if err != nil {
			return nil, e.Title + ": " + common.ErrText(err)
		}
		p.nav.Cursor = i
		p.nav.Clamp()
		p.msg, p.open = "", w
		return cmd, ""
	}
	return nil, "no flow " + common.Quote(name)
}

// start opens the flow under the cursor (enter on the menu).
func (p *Flows) start() tea.Cmd {
	cmd, why := p.OpenFlow(p.entries[p.nav.Cursor].Name)
	p.msg = why
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
		cmd := p.open.Update(msg)
		p.drop()
		return cmd
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
		tw = max(tw, common.Width(e.Title))
	}
	tw = min(tw, p.w/2)
	start, end := p.nav.Visible()
	for i := start; i < end; i++ {
		e := p.entries[i]
		about := e.About
		if e.Open == nil {
			about = e.Missing
		}
		mark := "  "
		if i == p.nav.Cursor {
			mark = "> "
		}
		line := common.Fit(mark+common.Fit(e.Title, tw, false)+"  "+about, p.w, false)
		switch {
		case i == p.nav.Cursor:
			line = s.R(s.Selected, line)
		case e.Open == nil:
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
