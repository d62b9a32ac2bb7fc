package pages

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// Placeholder stands for a screen that is not built yet. It says so and
// says what will be there; it shows no data, real or made up.
type Placeholder struct {
	Base
	text   []string // paragraphs
	lines  []string
	sc     components.Scroller
	status string
}

func NewMigrations(c *common.Common) *Placeholder {
	return &Placeholder{Base: newBase(c, "migrations", "Migrations"), status: "migrations: not built yet", text: []string{
		"Migrations: not built yet.",
		"This screen will list every manufacturer migration in flight: source wallet → target wallet, manufacturer, phase, paths done / total, rate, ETA and state, with pause, resume and roll back of a phase.",
		"Until then the wallet detail (Inventory, enter) shows each wallet's lineage with its migration status and completion.",
	}}
}

func (p *Placeholder) SetSize(w, h int) {
	if w != p.w {
		p.w = w
		s := p.c.Styles
		p.lines = nil
		for i, para := range p.text {
			if i > 0 {
				p.lines = append(p.lines, "")
			}
			for _, l := range common.Wrap(para, max(w-2, 1)) {
				l = "  " + strings.TrimRight(l, " ")
				if i == 0 {
					l = s.R(s.Title, l)
				}
				p.lines = append(p.lines, l)
			}
		}
		p.lines = append([]string{""}, p.lines...)
		p.sc.N = len(p.lines)
	}
	p.h = h
	p.sc.Height = h
	p.sc.Clamp()
}

func (p *Placeholder) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		p.sc.Key(p.c.Keys, msg)
	case common.RestyleMsg:
		w := p.w
		p.w = -1
		p.SetSize(w, p.h)
	}
	return nil
}

func (p *Placeholder) View() string {
	start, end := p.sc.Visible()
	if start >= end {
		return ""
	}
	return strings.Join(p.lines[start:end], "\n")
}

func (p *Placeholder) Status() string { return p.status }
func (p *Placeholder) ShortHelp() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Screens, k.Next, k.Command, k.Help, k.Quit}
}
func (p *Placeholder) FullHelp() [][]key.Binding {
	return [][]key.Binding{p.c.Keys.Global()}
}
