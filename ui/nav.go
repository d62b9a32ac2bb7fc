package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/jobs"
)

// This file: going places and coming back (the esc stack), leaving (asking
// first over open work), and the jobs' results.

// backStep is one place esc returns to.
type backStep struct {
	screen int
	// detail: the jump opened the inventory's detail, so closing that
	// detail is what returns.
	detail bool
	// flow: the jump opened a flow, so closing that flow returns.
	flow bool
	// reopen is the wallet whose detail was open when the jump left it (0
	// for none): returning shows it again.
	reopen int
}

func (a *App) pushBack(detail bool) {
	a.back = append(a.back, backStep{screen: a.active, detail: detail, reopen: a.openDetail()})
	a.trimBack()
}

// openDetail is the wallet whose detail is on screen, 0 when none is.
func (a *App) openDetail() int {
	if a.page() == page(a.inv) {
		return a.inv.OpenVersion()
	}
	return 0
}

func (a *App) pushFlowBack() {
	a.back = append(a.back, backStep{screen: a.active, flow: true})
	a.trimBack()
}

func (a *App) trimBack() {
	if len(a.back) > 32 {
		a.back = a.back[1:]
	}
}

// popBack returns to where the last jump came from; nil and false when the
// stack is empty.
func (a *App) popBack() (tea.Cmd, bool) {
	if len(a.back) == 0 {
		return nil, false
	}
	st := a.back[len(a.back)-1]
	a.back = a.back[:len(a.back)-1]
	cmd := a.switchTo(st.screen)
	if st.reopen != 0 && a.page() == page(a.inv) && a.inv.OpenVersion() != st.reopen {
		cmd = tea.Batch(cmd, a.inv.Open(st.reopen))
	}
	return cmd, true
}

// escape is esc outside any input line: the page closes what it has open;
// where that was opened by a jump, or nothing is open, esc goes back where
// the operator came from.
func (a *App) escape() tea.Cmd {
	p := a.page()
	wasOpen := a.flows != nil && a.flows.HasOpen()
	closed := p.Back()
	if closed {
		if n := len(a.back); n > 0 && a.back[n-1].detail && p == page(a.inv) && !a.inv.IsOpen() {
			cmd, _ := a.popBack()
			return cmd
		}
		if wasOpen && !a.flows.HasOpen() {
			return a.flowClosed()
		}
		return nil
	}
	if p.Filter() != "" {
		p.SetFilter("")
		return nil
	}
	if p == page(a.audit) && a.audit.Query() != "" {
		a.audit.SetQuery(model.OpFilter{}) // esc drops ":audit --wallet v1" first, like a filter
		return nil
	}
	cmd, _ := a.popBack()
	return cmd
}

// openWallet shows a wallet's detail, remembering where the operator was
// (another detail included: esc shows it again).
func (a *App) openWallet(v int) tea.Cmd {
	if a.openDetail() != v {
		a.pushBack(true)
	}
	return tea.Batch(a.switchTo(a.index("inventory")), a.inv.Open(v))
}

// jump switches to a screen by name, remembering where the operator was.
func (a *App) jump(name string) tea.Cmd {
	i := a.index(name)
	if i < 0 || i == a.active {
		return nil
	}
	a.pushBack(false)
	return a.switchTo(i)
}

// openFlow opens a flow on the Flows screen; a flow that cannot open says
// why where the operator is, and the console stays there.
func (a *App) openFlow(name string, args []string) tea.Cmd {
	cmd, why := a.flows.OpenFlow(name, args...)
	if why != "" {
		a.fail(why)
		return nil
	}
	if i := a.index("flows"); i != a.active {
		a.pushFlowBack()
		return tea.Batch(a.switchTo(i), cmd)
	}
	return cmd
}

// flowClosed returns where the jump that opened the flow came from.
func (a *App) flowClosed() tea.Cmd {
	if n := len(a.back); n > 0 && a.back[n-1].flow {
		cmd, _ := a.popBack()
		return cmd
	}
	return nil
}

// index is the position of the named screen, -1 when there is none.
func (a *App) index(name string) int {
	for i, p := range a.pages {
		if p.Name() == name {
			return i
		}
	}
	return -1
}

// openWork says what quitting now would drop: running jobs, an open flow
// with typing in it; "" when nothing.
func (a *App) openWork() string {
	if run := a.c.Jobs.Running(); len(run) > 0 {
		what := common.Inert(run[0].Title)
		if len(run) > 1 {
			what += " and " + common.Itoa(len(run)-1) + " more"
		}
		return "a job is running (" + what + "): quitting cancels it"
	}
	for _, p := range a.pages {
		if b, ok := p.(interface{ Busy() bool }); ok && b.Busy() {
			return "a flow is open with work in it: quitting leaves it"
		}
	}
	return ""
}

// askQuit quits at once when nothing is open, else asks first.
func (a *App) askQuit() tea.Cmd {
	if w := a.openWork(); w != "" {
		a.quitAsk = w + " — quit anyway? y/N"
		a.msg, a.msgBad = a.quitAsk, true
		return nil
	}
	return a.quit()
}

// quitKey answers the quit question: only y quits.
func (a *App) quitKey(msg tea.KeyPressMsg) tea.Cmd {
	a.quitAsk = ""
	if s := strings.ToLower(msg.String()); s == "y" || s == "ctrl+c" {
		return a.quit()
	}
	a.msg, a.msgBad = "not quitting", false
	return nil
}

// jobDone tells the operator how a job ended, wherever they are.
func (a *App) jobDone(msg jobs.DoneMsg) {
	j := a.c.Jobs.Get(msg.ID)
	if j == nil {
		return
	}
	// A quit question asked over this job no longer stands once the job's
	// news replaces it on the status line: the next key must not answer it.
	a.quitAsk = ""
	title := common.Inert(j.Title)
	switch j.State {
	case jobs.Done:
		note := "job " + common.Itoa(j.ID) + " done: " + title
		if o, ok := j.Result.(model.Outcome); ok && o.Summary != "" {
			note = "job " + common.Itoa(j.ID) + " done: " + common.OneLine(o.Summary)
		}
		a.msg, a.msgBad = note, false
	case jobs.Cancelled:
		a.msg, a.msgBad = "job "+common.Itoa(j.ID)+" cancelled: "+title, false
	default:
		// The error usually names what failed already; the title is said once.
		why := common.ErrText(j.Err)
		if !strings.Contains(strings.ToLower(why), strings.ToLower(j.Title)) {
			why = title + ": " + why
		}
		a.msg, a.msgBad = "job "+common.Itoa(j.ID)+" failed: "+why, true
	}
}

// fail shows a refusal on the status line.
func (a *App) fail(msg string) { a.msg, a.msgBad = msg, true }

// knownWallet refuses, in place, a wallet the inventory does not list.
func (a *App) knownWallet(v int) bool {
	if a.inv.Has(v) {
		return true
	}
	a.fail("no wallet " + model.VersionName(v) + " (the inventory lists every version: :inventory)")
	return false
}
