package flows

import (
	"context"
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// ErrNoRollout is what a RolloutSource returns (wrapped) for a wallet
// without a rollout; the view then says how to start one.
var ErrNoRollout = errors.New("no rollout")

type (
	rolloutMsg struct {
		common.Result
		r   *model.Rollout
		err error
	}
	rolloutTick struct{ version int }
)

// deploymentView shows one wallet's rollout as `console deploy status
// --watch` does, read again every second until it ends. The controls stay
// on the command line (deploy approve must be another login's, deploy run
// a process of its own); the view says which to type.
type deploymentView struct {
	c       *common.Common
	src     common.RolloutSource
	version int
	r       *model.Rollout
	none    bool
	err     string
	sc      components.Scroller
}

// NewDeployment opens the Deployment view of wallet version.
func NewDeployment(c *common.Common, src common.RolloutSource, version int) Wizard {
	return &deploymentView{c: c, src: src, version: version}
}

func (d *deploymentView) Refresh() tea.Cmd {
	src, v := d.src, d.version
	return d.c.Load.Run("rollout", func(ctx context.Context) tea.Msg {
		r, err := src.DeployStatus(ctx, v)
		return rolloutMsg{common.Result{Key: "rollout"}, r, err}
	})
}

func (d *deploymentView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case rolloutMsg:
		d.err, d.none = "", false
		switch {
		case errors.Is(msg.err, ErrNoRollout):
			d.none, d.r = true, nil
		case msg.err != nil:
			d.err = common.ErrText(msg.err)
		default:
			d.r = msg.r
		}
		// Read again each second while it moves; an ended rollout, a wallet
		// without one or an error wait for r.
		if d.r == nil || d.none || d.err != "" || d.r.State.Done() {
			return nil
		}
		v := d.version
		return tea.Tick(time.Second, func(time.Time) tea.Msg { return rolloutTick{v} })
	case rolloutTick:
		if msg.version == d.version {
			return d.Refresh()
		}
	case tea.KeyPressMsg:
		if key.Matches(msg, d.c.Keys.Refresh) {
			return d.Refresh()
		}
		d.sc.Key(d.c.Keys, msg)
	}
	return nil
}

func (d *deploymentView) View(w, h int) string {
	s := d.c.Styles
	vn := model.VersionName(d.version)
	lines := []string{s.Title.Render("Deployment of " + vn)}
	var body []string
	switch {
	case d.err != "":
		body = append(body, s.Bad.Render(common.Inert(d.err)))
	case d.none:
		body = append(body, vn+" has no rollout.", "Start one on the command line: console deploy start "+vn)
	case d.r == nil:
		body = append(body, "reading the rollout…")
	default:
		for _, l := range d.r.Report() {
			body = append(body, common.Truncate(common.Inert(l), w))
		}
	}
	d.sc.N, d.sc.Height = len(body), max(h-1, 1)
	d.sc.Clamp()
	a, b := d.sc.Visible()
	return strings.Join(append(lines, body[a:b]...), "\n")
}

func (d *deploymentView) Capturing() bool { return false }
func (d *deploymentView) Back() bool      { return false }
func (d *deploymentView) Shutdown() string {
	return ""
}

func (d *deploymentView) Status() string {
	if d.r == nil {
		return "deployment " + model.VersionName(d.version)
	}
	return "deployment " + model.VersionName(d.version) + ": " + d.r.State.Words()
}

func (d *deploymentView) ShortHelp() []key.Binding {
	k := d.c.Keys
	return []key.Binding{k.Up, k.Down, k.Refresh, k.Back, k.Help, k.Quit}
}

func (d *deploymentView) FullHelp() [][]key.Binding {
	k := d.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Refresh, k.Back}, k.Global()}
}
