package flows

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/flow"
)

// Messages of the creation-request flow.
type (
	requestsMsg struct {
		common.Result
		reqs []model.CreationRequest
		err  error
	}
)

type reqMode int

const (
	reqList reqMode = iota
	reqDetail
)

// requestsWizard files, decides and exports wallet creation requests (seed
// 000, 1.1–1.2). The database enforces the two-person rule on the login;
// this screen shows who you are and what each request still needs.
type requestsWizard struct {
	// run is the change under way (file, decide, export) on the runner.
	run    *flow.Runner
	c      *common.Common
	src    common.RequestSource
	login  string
	reqs   []model.CreationRequest
	nav    components.ListNav
	mode   reqMode
	open   string // id of the request in detail
	sc     components.Scroller
	err    string
	note   string
	loaded bool
}

// NewRequests opens the flow.
func NewRequests(c *common.Common, src common.RequestSource) Wizard {
	return &requestsWizard{c: c, src: src, login: common.Inert(src.Login())}
}

func (r *requestsWizard) Refresh() tea.Cmd {
	src := r.src
	return r.c.Load.Run("requests", func(ctx context.Context) tea.Msg {
		reqs, err := src.Requests(ctx)
		return requestsMsg{common.Result{Key: "requests"}, reqs, err}
	})
}

func (r *requestsWizard) current() *model.CreationRequest {
	for i := range r.reqs {
		if r.reqs[i].ID == r.open {
			return &r.reqs[i]
		}
	}
	return nil
}

func (r *requestsWizard) Capturing() bool { return r.run != nil && r.run.Capturing() }

// Dirty reports whether leaving would lose typing.
func (r *requestsWizard) Dirty() bool { return r.run != nil && (r.run.Dirty() || r.run.Running()) }

// StateKeys are the keys that change state where the list or a request is shown.
func (r *requestsWizard) StateKeys() []*key.Binding {
	if r.run != nil {
		return nil
	}
	k := r.c.Keys
	return []*key.Binding{&k.NewReq, &k.Approve, &k.Reject, &k.Export}
}

// who is the database login the change will be recorded under.
func (r *requestsWizard) who() string { return common.Inert(r.src.Login()) }

// start opens a change on the runner.
func (r *requestsWizard) start(spec flow.Spec) tea.Cmd {
	run, cmd := flow.New(r.c, spec, nil)
	r.run, r.note, r.err = run, "", ""
	return cmd
}

// closeRun drops a finished run, keeping its summary as the note.
func (r *requestsWizard) closeRun() tea.Cmd {
	if r.run == nil || !r.run.Closed() {
		return nil
	}
	if o, ok := r.run.Outcome(); ok {
		r.note = common.OneLine(o.Summary)
		if id, ok := strings.CutPrefix(o.Summary, "filed "); ok {
			r.open, r.mode = strings.Fields(id)[0], reqDetail
			r.open = strings.TrimSuffix(r.open, ":")
		}
	}
	r.run = nil
	return r.Refresh()
}

func (r *requestsWizard) Back() bool {
	if r.run != nil {
		if !r.run.Back() {
			r.closeRun()
		}
		return true
	}
	if r.mode == reqList {
		return false
	}
	r.mode, r.err = reqList, ""
	return true
}

func (r *requestsWizard) Update(msg tea.Msg) tea.Cmd {
	if r.run != nil {
		if m, ok := msg.(requestsMsg); ok {
			r.takeRequests(m)
			return nil
		}
		cmd := r.run.Update(msg)
		return tea.Batch(cmd, r.closeRun())
	}
	switch msg := msg.(type) {
	case requestsMsg:
		r.takeRequests(msg)
		return nil
	case tea.KeyPressMsg, tea.PasteMsg:
		return r.input(msg)
	}
	return nil
}

func (r *requestsWizard) takeRequests(msg requestsMsg) {
	if msg.err != nil {
		r.err = common.ErrText(msg.err)
		return
	}
	r.loaded = true
	r.reqs = msg.reqs
	r.nav.SetLen(len(r.reqs))
}

func (r *requestsWizard) input(msg tea.Msg) tea.Cmd {
	k := r.c.Keys
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch r.mode {
	case reqList:
		switch {
		case r.nav.Key(k, km):
		case key.Matches(km, k.Open):
			if r.nav.Cursor < len(r.reqs) {
				r.open, r.mode, r.note, r.err = r.reqs[r.nav.Cursor].ID, reqDetail, "", ""
				r.sc.Offset = 0
			}
		case key.Matches(km, k.NewReq):
			return r.start(fileSpec(r.src, r.who()))
		}
	case reqDetail:
		req := r.current()
		switch {
		case r.sc.Key(k, km):
		case req == nil:
		case key.Matches(km, k.Approve):
			return r.start(decideSpec(r.src, *req, "approved", r.who()))
		case key.Matches(km, k.Reject):
			return r.start(decideSpec(r.src, *req, "rejected", r.who()))
		case key.Matches(km, k.Export):
			return r.start(exportSpec(r.src, *req, r.c.Now))
		}
	}
	return nil
}

func (r *requestsWizard) View(w, h int) string {
	if r.run != nil {
		return r.run.View(w, h)
	}
	var out []string
	switch r.mode {
	case reqList:
		out = r.listView(w, h)
	case reqDetail:
		out = r.detailView(w, h)
	}
	return strings.Join(out, "\n")
}

func (r *requestsWizard) listView(w, h int) []string {
	s := r.c.Styles
	out := []string{s.R(s.Section, common.Truncate("Creation requests — you are "+r.login, w))}
	if r.err != "" {
		out = append(out, s.R(s.Error, common.Truncate(r.err, w)))
	}
	if !r.loaded {
		return append(out, s.R(s.Muted, "loading…"))
	}
	if len(r.reqs) == 0 {
		return append(out, "", "  no creation requests yet — n files one")
	}
	// Every row starts with the marker, "> " on the selected one, as in
	// the other lists: the selection shows without colour (NO_COLOR).
	cols := []int{20, 12, 10, 0}
	cols[3] = max(w-2-cols[0]-cols[1]-cols[2]-3, 8)
	out = append(out, s.R(s.Header, common.Fit("  "+common.Fit("ID", cols[0], false)+" "+common.Fit("ENVIRONMENT", cols[1], false)+" "+
		common.Fit("STATUS", cols[2], false)+" "+"PURPOSE / WAITING FOR", w, false)))
	r.nav.SetHeight(max(h-len(out)-2, 1))
	start, end := r.nav.Visible()
	for i := start; i < end; i++ {
		q := &r.reqs[i]
		rest := common.Inert(q.Purpose)
		if q.Status == "pending" {
			rest += " — waiting for " + strings.Join(q.WaitingFor(), ", ")
		} else if q.ApprovalID != "" {
			rest += " — " + common.Inert(q.ApprovalID)
		}
		mark := "  "
		if i == r.nav.Cursor {
			mark = "> "
		}
		line := mark + common.Fit(common.Inert(q.ID), cols[0], false) + " " + common.Fit(common.Inert(string(q.Environment)), cols[1], false) + " " +
			common.Fit(common.Inert(string(q.Status)), cols[2], false) + " " + common.Truncate(rest, cols[3])
		line = common.Fit(line, w, false)
		if i == r.nav.Cursor {
			line = s.R(s.Selected, line)
		}
		out = append(out, line)
	}
	return out
}

func (r *requestsWizard) detailView(w, h int) []string {
	s := r.c.Styles
	req := r.current()
	out := []string{}
	if req == nil {
		return append(out, s.R(s.Muted, "loading "+common.Inert(r.open)+"…"))
	}
	out = append(out, s.R(s.Section, common.Truncate("Request "+common.Inert(req.ID)+" — "+common.Inert(string(req.Status)), w)))
	var body []string
	kv := func(k, v string) {
		if v == "" {
			return
		}
		for i, l := range common.Wrap(common.Inert(v), max(w-20, 10)) {
			if i == 0 {
				body = append(body, common.Fit("  "+k, 20, false)+l)
			} else {
				body = append(body, strings.Repeat(" ", 20)+l)
			}
		}
	}
	kv("filed by", req.RequestedBy+" on "+common.DateTime(req.RequestDate, r.c.Loc))
	kv("environment", string(req.Environment))
	kv("purpose", req.Purpose)
	kv("security level", string(req.SecurityLevel))
	kv("risk / priority", string(req.RiskLevel)+" / "+string(req.Priority))
	kv("lifespan", req.EstimatedLifespan)
	kv("justification", req.Reason)
	kv("business impact", req.BusinessImpact)
	kv("HSM", req.HSMRequirements)
	kv("performance", req.PerformanceRequirements)
	kv("needs", strings.Join(req.RequiredApprovals, ", "))
	for _, a := range req.Approvals {
		line := a.Role + ": " + string(a.Decision) + " by " + a.Approver + " " + common.DateTime(a.DecidedAt, r.c.Loc)
		if a.Reason != "" {
			line += " — " + a.Reason
		}
		kv("decision", line)
	}
	switch req.Status {
	case "pending":
		kv("waiting for", strings.Join(req.WaitingFor(), ", "))
	case "approved":
		kv("approval", req.ApprovalID+", valid until "+common.DateTime(req.ValidUntil, r.c.Loc))
	case "used":
		kv("used by", model.VersionName(req.WalletVersion))
	}
	if r.note != "" {
		body = append(body, "", s.R(s.Info, common.Truncate("  "+r.note, w)))
	}
	r.sc.N, r.sc.Height = len(body), max(h-1, 1)
	r.sc.Clamp()
	a, b := r.sc.Visible()
	return append(out, body[a:b]...)
}

func (r *requestsWizard) Status() string {
	switch {
	case r.run != nil:
		return r.run.Status()
	case r.mode == reqDetail:
		return "request " + common.Inert(r.open)
	}
	return "requests: " + common.Itoa(len(r.reqs))
}

func (r *requestsWizard) ShortHelp() []key.Binding {
	k := r.c.Keys
	if r.run != nil {
		return r.run.ShortHelp()
	}
	switch r.mode {
	case reqList:
		return []key.Binding{k.Up, k.Down, k.Open, k.NewReq, k.Back, k.Help, k.Quit}
	case reqDetail:
		return []key.Binding{k.Approve, k.Reject, k.Export, k.Back, k.Help, k.Quit}
	}
	return []key.Binding{k.NextField, k.Choose, k.Submit, k.Cancel}
}

func (r *requestsWizard) FullHelp() [][]key.Binding {
	k := r.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.Open, k.Back}, {k.NewReq, k.Approve, k.Reject, k.Export},
		{k.NextField, k.PrevField, k.Choose, k.Submit, k.Cancel}, k.Global()}
}

func (r *requestsWizard) Shutdown() string { return "" }
