// Package ui is the console's terminal UI: the App shell (header, the
// active page, footer, the ":" line) and the API cmd/console builds it with.
// The screens are in ui/pages, the flows in ui/flows, the widgets in
// ui/components, and what they all share in ui/common.
package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/registry"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/jobs"
	"github.com/plings/walletconsole/ui/pages"
)

// Minimum terminal size; below it the console asks for a larger window.
const (
	MinWidth  = 60
	MinHeight = 16
)

// Options configure the console. Only Source is required.
type Options struct {
	// Source is the database side.
	Source Source
	// HSM is the token the console uses; nil when none is configured.
	HSM HSMStatus
	// NoHSMReason says why a configured HSM is not in use (a PIN refused
	// three times); the header shows it in place of "no HSM configured".
	NoHSMReason string
	// ReadOnly hides (disables) every action that changes anything.
	ReadOnly bool
	// Refresh is the interval of the automatic refresh: 0 means 5 s, a
	// negative value turns the timer off (r still refreshes).
	Refresh time.Duration
	// Timeout bounds each database or HSM call: 0 means 10 s.
	Timeout time.Duration
	// Profile is the terminal's colour profile (see DetectProfile). Unknown
	// means: take the profile Bubble Tea detects (tea.ColorProfileMsg).
	Profile colorprofile.Profile
	// Env is the initial environment filter; "" shows all.
	Env model.Environment
	// Screen is the first screen: inventory (default), health, audit,
	// migrations or flows.
	Screen string
	// Thresholds for the live health checks; nil means the defaults.
	Thresholds *model.Thresholds
	// RecentOps is how many operations the wallet detail shows: 0 means 20.
	RecentOps int
	// AuditLimit is how many log rows the audit screen loads: 0 means 500.
	AuditLimit int
	// Context is the parent of every call; cancelled calls end early. nil
	// means context.Background(). Quitting cancels the calls in flight.
	Context context.Context
	// Requests is the creation-request flow's database side; nil hides it.
	Requests RequestSource
	// StartCeremony begins a key ceremony (on the ceremony machine); nil
	// means this console cannot run one.
	StartCeremony CeremonyStarter
	// Allocator is the allocation flow's side; nil hides it.
	Allocator common.Allocator
	// Activator is the activation flow's side; nil hides it.
	Activator common.Activator
	// Validator is the validation flow's side; nil (no token) says why.
	Validator common.Validator
	// Rollouts is the Deployment view's side (flows.ErrNoRollout for a
	// wallet without one); nil hides it.
	Rollouts common.RolloutSource
	// Migrations is the Migrations screen's and the migration flow's side;
	// nil: the screen says there is no database for it.
	Migrations common.Migrator
	// Flow opens a flow of the Flows screen at start ("ceremony", "requests").
	Flow string
	// Now and Location fix the clock and the zone times are shown in; nil
	// means time.Now and time.Local.
	Now      func() time.Time
	Location *time.Location
}

// page is one screen of the console: the component interface plus what the
// shell needs to drive refresh, filter and back navigation.
type page interface {
	Name() string  // for ":name"
	Title() string // for the tabs
	SetSize(w, h int)
	// Update takes keys (only when the page is active) and every data
	// message (always).
	Update(msg tea.Msg) tea.Cmd
	// View draws at most h lines of at most w cells.
	View() string
	// Refresh starts the loads the page needs while it is on screen.
	Refresh() tea.Cmd
	// Status is one line for the footer: counts, position, sort.
	Status() string
	Filterable() bool
	Filter() string
	SetFilter(string)
	// Back closes whatever the page has open (a detail, an entry); false
	// when there was nothing to close.
	Back() bool
	help.KeyMap
}

// Messages of the App's own timers.
type (
	// refreshMsg is the refresh timer.
	refreshMsg struct{}
	// spinMsg advances the header spinner.
	spinMsg struct{}
)

type inputMode int

const (
	inputNone inputMode = iota
	inputFilter
	inputCommand
)

// App is the root model: header, the active screen, footer.
type App struct {
	c        *Common
	interval time.Duration
	cancel   context.CancelFunc
	fixed    bool // the colour profile came from Options

	pages  []page
	active int
	inv    *pages.Inventory
	audit  *pages.Audit
	flows  *pages.Flows
	// back is where esc returns to: the screens the operator jumped from
	// (a detail opened on Health, a ":" jump), most recent last.
	back []backStep
	// quitAsk is the question asked before quitting over open work; "" when
	// none is pending.
	quitAsk string
	// started: the first inventory has answered (the pings wait for it).
	started bool
	flow    string // flow to open at start
	// farewell is what to print on the terminal after the console closes.
	farewell string

	db       connState
	hsm      hsmState
	noHSM    bool
	noHSMWhy string
	where    string
	updated  time.Time // last successful inventory

	spin     spinner.Model
	spinning bool
	// after delivers msg after d; tests replace it to run without timers.
	after func(d time.Duration, msg tea.Msg) tea.Cmd

	help   help.Model
	input  inputMode
	line   components.LineInput
	msg    string
	msgBad bool
	pageH  int
}

// NewApp builds the console. Run it with tea.NewProgram(app).
func NewApp(o Options) *App {
	if o.Refresh == 0 {
		o.Refresh = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.RecentOps <= 0 {
		o.RecentOps = 20
	}
	if o.AuditLimit <= 0 {
		o.AuditLimit = 500
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	th := model.DefaultThresholds()
	if o.Thresholds != nil {
		th = *o.Thresholds
	}
	ctx, cancel := context.WithCancel(o.Context)
	keys := DefaultKeyMap()
	keys.SetReadOnly(o.ReadOnly)
	c := &Common{
		Styles:     NewStyles(o.Profile),
		Keys:       keys,
		ReadOnly:   o.ReadOnly,
		Env:        o.Env,
		Thresholds: th,
		Now:        o.Now,
		Loc:        o.Location,
		Load:       common.NewLoader(ctx, o.Source, o.HSM, o.Timeout, o.RecentOps, o.AuditLimit),
		Jobs:       jobs.NewManager(ctx, o.Now),
		// A negative interval turns the automatic refresh off.
		AutoRefresh: o.Refresh > 0,
	}
	a := &App{
		c:        c,
		interval: o.Refresh,
		cancel:   cancel,
		fixed:    o.Profile != colorprofile.Unknown,
		noHSM:    o.HSM == nil,
		noHSMWhy: common.Inert(o.NoHSMReason),
		spin:     spinner.New(spinner.WithSpinner(spinner.Line)),
		help:     help.New(),
		after: func(d time.Duration, msg tea.Msg) tea.Cmd {
			return tea.Tick(d, func(time.Time) tea.Msg { return msg })
		},
	}
	// The screens' own timers go through the App's, which tests stop.
	c.After = func(d time.Duration, msg tea.Msg) tea.Cmd { return a.after(d, msg) }
	if o.Source != nil {
		a.where = common.Inert(o.Source.Where())
	}
	a.help.Styles = c.Styles.Help
	for _, e := range registry.Of(registry.Screen) {
		if ctor, ok := screenCtors[e.Name]; ok {
			a.pages = append(a.pages, ctor(a, o))
		}
	}
	screen := strings.ToLower(o.Screen)
	if e, ok := registry.Lookup(registry.Screen, screen); ok {
		screen = e.Name
	}
	if o.Flow != "" {
		screen, a.flow = "flows", o.Flow
	}
	for i, p := range a.pages {
		if p.Name() == screen {
			a.active = i
		}
	}
	a.showActive()
	return a
}

// shower is a page that does work only while it is on screen (the
// Migrations screen's fast refresh).
type shower interface{ SetShown(bool) }

// showActive tells the pages which one is on screen.
func (a *App) showActive() {
	for i, p := range a.pages {
		if s, ok := p.(shower); ok {
			s.SetShown(i == a.active)
		}
	}
}

// Common is the shared context (for tests and for the cmd wiring's own
// checks).
func (a *App) Common() *Common { return a.c }

// Screen is the name of the active screen.
func (a *App) Screen() string { return a.page().Name() }

func (a *App) page() page { return a.pages[a.active] }

// Init starts the first loads and the refresh timer.
func (a *App) Init() tea.Cmd {
	var open tea.Cmd
	if a.flow != "" {
		var why string
		if open, why = a.flows.OpenFlow(a.flow); why != "" {
			a.fail(why)
		}
	}
	return tea.Batch(a.refresh(), a.schedule(), open, a.ensureSpin())
}

// Farewell is what the console has to tell the operator once it has closed
// (an aborted ceremony and its transcript); "" when nothing.
func (a *App) Farewell() string { return a.farewell }

// Shutdown ends what must not outlive the console (a ceremony under way is
// aborted: its key destroyed, the transcript written). Quitting calls it;
// cmd/console calls it again after the program ends, for signals.
func (a *App) Shutdown() {
	if msg := a.flows.Shutdown(); msg != "" {
		a.farewell = msg
	}
}

// capturing is an interface of pages whose open form or flow takes every
// key (but ctrl+c) while it has focus.
type capturing interface{ Capturing() bool }

func (a *App) captured() bool {
	c, ok := a.page().(capturing)
	return ok && c.Capturing() && a.input == inputNone
}

// Update handles a message.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if r, ok := msg.(common.LoadResult); ok {
		a.c.Load.Done(r.LoadKey())
	}
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.c.Width, a.c.Height = msg.Width, msg.Height
		a.layout()
		return a, nil
	case tea.ColorProfileMsg:
		if !a.fixed {
			a.c.Styles = NewStyles(msg.Profile)
			a.help.Styles = a.c.Styles.Help
			for _, p := range a.pages {
				p.Update(common.RestyleMsg{})
			}
		}
		return a, nil
	case tea.KeyPressMsg:
		cmd := a.key(msg)
		if a.help.ShowAll {
			a.layout() // the keys on offer may have changed
		}
		return a, tea.Batch(cmd, a.ensureSpin())
	case tea.PasteMsg:
		if a.captured() {
			return a, a.page().Update(msg)
		}
		if a.input != inputNone && a.line.Update(msg) && a.input == inputFilter {
			a.page().SetFilter(a.line.String())
		}
		return a, nil
	case refreshMsg:
		return a, tea.Batch(a.refresh(), a.schedule(), a.ensureSpin())
	case spinMsg:
		if !a.c.Load.Busy() && len(a.c.Jobs.Running()) == 0 {
			a.spinning = false
			return a, nil
		}
		a.spin, _ = a.spin.Update(a.spin.Tick())
		return a, a.after(a.spin.Spinner.FPS, spinMsg{})
	case common.OpenWalletMsg:
		return a, tea.Batch(a.openWallet(msg.Version), a.ensureSpin())
	case common.GotoMsg:
		cmd := a.jump(msg.Screen)
		a.msg, a.msgBad = msg.Note, false
		return a, tea.Batch(cmd, a.ensureSpin())
	case common.OpenFlowMsg:
		return a, tea.Batch(a.openFlow(msg.Name, msg.Args), a.ensureSpin())
	case jobs.ProgressMsg:
		cmds = append(cmds, a.c.Jobs.Update(msg))
	case jobs.DoneMsg:
		cmds = append(cmds, a.c.Jobs.Update(msg))
		a.jobDone(msg)
		// A job that finished changed something: what the screens show is
		// read again now, not at the next refresh.
		if j := a.c.Jobs.Get(msg.ID); j != nil && j.State == jobs.Done && a.c.Load.HasSource() {
			cmds = append(cmds, a.c.Load.Inventory(), a.page().Refresh())
		}
	case common.DBPingMsg:
		a.db.update(msg.Err, msg.Latency, a.c.Clock())
	case common.HSMPingMsg:
		a.hsm.module, a.hsm.token, a.hsm.loggedIn = common.Inert(msg.Module), common.Inert(msg.Token), msg.LoggedIn
		a.hsm.update(msg.Err, msg.Latency, a.c.Clock())
	case common.InventoryMsg:
		if msg.Err == nil {
			a.updated = a.c.Clock()
		}
		if !a.started {
			a.started = true
			cmds = append(cmds, a.c.Load.PingDB(), a.c.Load.PingHSM())
		}
	}
	// Data messages go to every page: a screen not on view keeps its data
	// fresh for when it comes back.
	for _, p := range a.pages {
		cmds = append(cmds, p.Update(msg))
	}
	cmds = append(cmds, a.ensureSpin())
	return a, tea.Batch(cmds...)
}

// key handles a key press.
func (a *App) key(msg tea.KeyPressMsg) tea.Cmd {
	k := a.c.Keys
	if a.quitAsk != "" {
		return a.quitKey(msg)
	}
	if msg.String() == "ctrl+c" {
		// ctrl+c always leaves a ceremony (which aborts it); over a running
		// job it asks, and a second ctrl+c confirms.
		if len(a.c.Jobs.Running()) > 0 {
			return a.askQuit()
		}
		return a.quit()
	}
	if a.input != inputNone {
		return a.inputKey(msg)
	}
	if a.captured() {
		return a.pageKey(msg)
	}
	a.msg = ""
	p := a.page()
	if why := a.refused(msg); why != "" {
		a.fail(why)
		return nil
	}
	if a.help.ShowAll && key.Matches(msg, k.Back) {
		a.help.ShowAll = false // esc closes the full help first
		a.layout()
		return nil
	}
	if c, ok := p.(claimer); ok && c.Claims(msg) {
		return a.pageKey(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return a.askQuit()
	case key.Matches(msg, k.Help):
		a.help.ShowAll = !a.help.ShowAll
		a.layout()
		return nil
	case key.Matches(msg, k.Command):
		a.input = inputCommand
		a.line.Reset(":", "")
		return nil
	case key.Matches(msg, k.Filter):
		// The line opens even where there is nothing to filter, so that what
		// is typed next ("/quick") is typed, never taken as keys.
		if !p.Filterable() {
			a.msg, a.msgBad = "nothing to filter on this screen (esc closes the line)", false
		}
		a.input = inputFilter
		a.line.Reset("/", p.Filter())
		return nil
	case key.Matches(msg, k.Env):
		a.c.Env = common.NextEnv(a.c.Env)
		var cmds []tea.Cmd
		for _, p := range a.pages {
			cmds = append(cmds, p.Update(common.EnvChangedMsg{}))
		}
		return tea.Batch(cmds...)
	case key.Matches(msg, k.Refresh):
		return a.refresh()
	case key.Matches(msg, k.Screens):
		return a.switchTo(int(msg.String()[0] - '1'))
	case key.Matches(msg, k.Next):
		return a.switchTo((a.active + 1) % len(a.pages))
	case key.Matches(msg, k.Prev):
		return a.switchTo((a.active + len(a.pages) - 1) % len(a.pages))
	case key.Matches(msg, k.Back):
		return a.escape()
	}
	return a.pageKey(msg)
}

// claimer is a page whose open flow takes some keys before the shell (r, e
// at a flow's checks).
type claimer interface{ Claims(tea.KeyPressMsg) bool }

// pageKey gives a key to the page; when that closes a flow that a jump
// opened, the console returns where the jump came from.
func (a *App) pageKey(msg tea.KeyPressMsg) tea.Cmd {
	wasOpen := a.flows != nil && a.flows.HasOpen()
	cmd := a.page().Update(msg)
	if wasOpen && !a.flows.HasOpen() {
		return tea.Batch(cmd, a.flowClosed())
	}
	return cmd
}

// switchTo makes screen i active and starts its loads.
func (a *App) switchTo(i int) tea.Cmd {
	if i < 0 || i >= len(a.pages) {
		return nil
	}
	a.active = i
	a.showActive()
	a.layout()
	return a.page().Refresh()
}

// refresh starts every load: pings, inventory, and the active screen's own.
func (a *App) refresh() tea.Cmd {
	l := a.c.Load
	if !a.started && a.c.Load.HasSource() {
		// The first frame first: the pings would open a second database
		// session (a new backend) while the inventory is read on the first.
		// They follow as soon as the inventory has answered.
		return tea.Batch(l.Inventory(), a.page().Refresh())
	}
	return tea.Batch(l.PingDB(), l.PingHSM(), l.Inventory(), a.page().Refresh())
}

// schedule arms the refresh timer.
func (a *App) schedule() tea.Cmd {
	if a.interval <= 0 {
		return nil
	}
	return a.after(a.interval, refreshMsg{})
}

// ensureSpin starts the header spinner when a load is in flight.
func (a *App) ensureSpin() tea.Cmd {
	if a.spinning || (!a.c.Load.Busy() && len(a.c.Jobs.Running()) == 0) {
		return nil // the spinner turns while a load or a job is under way
	}
	a.spinning = true
	return a.after(a.spin.Spinner.FPS, spinMsg{})
}

func (a *App) quit() tea.Cmd {
	a.Shutdown()
	a.cancel()
	// Cancelled jobs end their work before the program does: a migration
	// batch in flight commits or rolls back whole, a worker leaves no
	// session behind.
	a.c.Jobs.Wait(10 * time.Second)
	return tea.Quit
}

// layout shares the height between header, screen and footer.
func (a *App) layout() {
	w, h := a.c.Width, a.c.Height
	a.help.SetWidth(0) // shortHelp fits the short help; FullHelpView is clamped
	helpH := 1
	if a.help.ShowAll {
		helpH = max(len(strings.Split(a.fullHelp(), "\n")), 1)
	}
	// Keep at least a few lines of the screen visible.
	helpH = min(helpH, max(h-a.headerLines()-1-5, 1))
	a.pageH = max(h-a.headerLines()-1-helpH, 0)
	for _, p := range a.pages {
		p.SetSize(w, a.pageH)
	}
}

// View draws the console.
func (a *App) View() tea.View {
	content, cursor := a.render()
	v := tea.NewView(strings.Join(common.ClampLines(content, a.c.Width, a.c.Height), "\n"))
	v.AltScreen = true
	v.WindowTitle = "wallet console"
	v.Cursor = cursor
	return v
}

// render composes the screen. Every part keeps to the terminal size on its
// own; View clamps once more as a last guard.
func (a *App) render() (string, *tea.Cursor) {
	w, h := a.c.Width, a.c.Height
	if w <= 0 || h <= 0 {
		return "", nil
	}
	if w < MinWidth || h < MinHeight {
		return tooSmall(w, h), nil
	}
	out := make([]string, 0, h)
	out = append(out, a.header()...)
	body := a.page().View()
	var ls []string
	if body != "" {
		ls = strings.Split(body, "\n")
	}
	out = append(out, common.PadLines(ls, a.pageH)...)
	status, cx := a.statusLine()
	out = append(out, status)
	out = append(out, a.helpLines()...)
	var cur *tea.Cursor
	if a.input != inputNone {
		cur = tea.NewCursor(cx, a.headerLines()+a.pageH)
	}
	return strings.Join(out, "\n"), cur
}

// tooSmall is the whole screen below the minimum size.
func tooSmall(w, h int) string {
	msg := "enlarge the window to at least " + common.Itoa(MinWidth) + "x" + common.Itoa(MinHeight) +
		" (now " + common.Itoa(w) + "x" + common.Itoa(h) + ")"
	ls := common.Wrap(msg, w)
	if len(ls) > h {
		ls = ls[:h]
	}
	top := (h - len(ls)) / 2
	out := make([]string, 0, h)
	for range top {
		out = append(out, "")
	}
	for _, l := range ls {
		l = strings.TrimSpace(l)
		out = append(out, strings.Repeat(" ", max((w-common.Width(l))/2, 0))+l)
	}
	return strings.Join(out, "\n")
}
