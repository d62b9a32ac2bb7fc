package flows

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/flow"
)

// RunnerWizard shows one run of a flow.Spec on the Flows screen.
type RunnerWizard struct {
	c *common.Common
	r *flow.Runner
}

// NewRunner opens spec with preset field values.
func NewRunner(c *common.Common, spec flow.Spec, preset flow.Values) (*RunnerWizard, tea.Cmd) {
	r, cmd := flow.New(c, spec, preset)
	return &RunnerWizard{c: c, r: r}, cmd
}

// Runner is the run (for tests and the shell).
func (w *RunnerWizard) Runner() *flow.Runner { return w.r }

func (w *RunnerWizard) Update(msg tea.Msg) tea.Cmd { return w.r.Update(msg) }
func (w *RunnerWizard) View(width, h int) string   { return w.r.View(width, h) }
func (w *RunnerWizard) Capturing() bool            { return w.r.Capturing() }

// Back steps back; false once the run is closed (the Flows page drops it).
func (w *RunnerWizard) Back() bool       { return w.r.Back() }
func (w *RunnerWizard) Refresh() tea.Cmd { return nil }
func (w *RunnerWizard) Status() string   { return w.r.Status() }
func (w *RunnerWizard) Closed() bool     { return w.r.Closed() }
func (w *RunnerWizard) Shutdown() string { return "" }

func (w *RunnerWizard) ShortHelp() []key.Binding { return w.r.ShortHelp() }

// Claims is the runner's: the keys it takes before the shell does.
func (w *RunnerWizard) Claims(k tea.KeyPressMsg) bool { return w.r.Claims(k) }

func (w *RunnerWizard) FullHelp() [][]key.Binding {
	k := w.c.Keys
	if w.r.Capturing() {
		return [][]key.Binding{{k.NextField, k.PrevField, k.Choose, k.Submit, k.Back}, k.Global()}
	}
	// Past the fields the runner's own line says its keys (enter, r, e, y,
	// x); here the scrolling and the shell's.
	return [][]key.Binding{{k.Up, k.Down, k.Back}, k.Global()}
}

// Dirty reports whether leaving would lose typing or a running job's screen.
func (w *RunnerWizard) Dirty() bool { return w.r.Dirty() }
