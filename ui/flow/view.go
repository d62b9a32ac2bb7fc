package flow

import (
	"strconv"
	"strings"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/jobs"
)

// View draws the run in w×h cells: the title, the stage strip, the stage's
// body and a line of what the keys do. Text from the database or the HSM
// is made inert before it is drawn.
func (r *Runner) View(w, h int) string {
	s := r.c.Styles
	var strip strings.Builder
	for i, name := range stages {
		if i > 0 {
			strip.WriteString(" › ")
		}
		if i == r.stage.strip() {
			strip.WriteString(s.R(s.Title, "["+name+"]"))
		} else {
			strip.WriteString(s.R(s.Muted, name))
		}
	}
	head := []string{
		s.R(s.Section, common.Truncate(common.Inert(r.spec.Title), w)),
		common.Truncate(strip.String(), w),
		"",
	}
	var body []string
	var hint string
	switch r.stage {
	case StageInput:
		body = r.form.View(s, w)
		hint = "enter: next · ctrl+s: check · esc: back"
	case StagePlanning:
		body = []string{s.R(s.Muted, "checking…")}
		hint = "esc: back"
	case StagePlan:
		body = r.planLines(w)
		switch {
		case r.planErr != "" || model.Blocking(r.checks):
			hint = "r: check again · e: edit · esc: back"
		default:
			hint = "enter: continue · r: check again · e: edit · esc: back"
		}
	case StageConfirm:
		body = r.confirmLines(w)
		if r.plan.Destructive {
			hint = "enter: confirm · esc: back"
		} else {
			hint = "y: go ahead · n/esc: back"
		}
	case StageRunning:
		body = r.runningLines(w)
		hint = "x: cancel · esc: leave (it keeps running)"
	case StageResult:
		body = r.resultLines(w)
		hint = "enter/esc: close"
	case StageFailed:
		body = r.failedLines(w)
		hint = "r: check again · esc: back"
	}
	if r.ask != "" {
		body = append(body, "", s.R(s.Warn, common.Truncate(r.ask+" y/N", w)))
		hint = "y: discard · any other key: keep editing"
	}
	room := max(h-len(head)-2, 1)
	if len(body) > room {
		// Scroll: keep the window on the body, say what is above and below.
		r.offset = max(min(r.offset, len(body)-(room-1)), 0)
		end := min(r.offset+room-1, len(body))
		below := len(body) - end
		note := "↑↓ scroll"
		if r.offset > 0 {
			note = strconv.Itoa(r.offset) + " above · " + note
		}
		if below > 0 {
			note = strconv.Itoa(below) + " more below · " + note
		}
		body = append(append([]string{}, body[r.offset:end]...), s.R(s.Muted, common.Truncate("… "+note, w)))
	} else {
		r.offset = 0
	}
	out := append(head, body...)
	for len(out) < h-1 {
		out = append(out, "")
	}
	out = append(out, s.R(s.Muted, common.Truncate(hint, w)))
	if len(out) > h {
		out = out[len(out)-h:]
	}
	return strings.Join(out, "\n")
}

// wrapped wraps inert text to w cells with an indent, in style st.
func (r *Runner) wrapped(text string, w int, indent string, render func(string) string) []string {
	var out []string
	cont := strings.Repeat(" ", common.Width(indent)) // a bullet marks the first line only
	// A text's own line breaks are kept (made inert line by line, so they
	// do not show as \x0a).
	var ls []string
	for _, para := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		ls = append(ls, common.Wrap(common.Inert(para), max(w-common.Width(indent), 10))...)
	}
	for i, l := range ls {
		if i > 0 {
			out = append(out, render(cont+l))
			continue
		}
		out = append(out, render(indent+l))
	}
	return out
}

func (r *Runner) planLines(w int) []string {
	s := r.c.Styles
	plain := func(x string) string { return x }
	var out []string
	if r.planErr != "" {
		out = append(out, r.wrapped("could not check: "+r.planErr, w, "", func(x string) string { return s.R(s.Error, x) })...)
		return append(out, r.wrapped("nothing was changed; press r to try again", w, "", plain)...)
	}
	if r.plan.Title != "" {
		out = append(out, r.wrapped(r.plan.Title, w, "", func(x string) string { return s.R(s.Title, x) })...)
	}
	for _, st := range r.plan.Steps {
		out = append(out, r.wrapped(st, w, "  • ", plain)...)
	}
	failed := 0
	for _, c := range r.checks {
		if c.State != model.CheckPass && c.State != model.CheckWarn {
			failed++ // a check that says neither blocks (model.Blocking)
		}
	}
	if failed > 0 {
		msg := strconv.Itoa(failed) + " check failed"
		if failed > 1 {
			msg = strconv.Itoa(failed) + " checks failed"
		}
		out = append(out, "", s.R(s.Error, common.Truncate("blocked: "+msg+"; nothing will change until it passes", w)))
	}
	if len(r.checks) > 0 {
		out = append(out, "", s.R(s.Section, "Checks"))
	}
	for _, c := range orderChecks(r.checks) {
		word, st := "FAIL", s.Bad
		switch c.State {
		case model.CheckPass:
			word, st = "PASS", s.OK
		case model.CheckWarn:
			word, st = "WARN", s.Warn
		}
		line := c.Name
		if c.Evidence != "" {
			line += " — " + c.Evidence
		}
		ls := common.Wrap(common.Inert(line), max(w-7, 10))
		for i, l := range ls {
			if i == 0 {
				out = append(out, " "+s.R(st, word)+" "+l)
			} else {
				out = append(out, "      "+l)
			}
		}
		if word == "FAIL" && c.Fix != "" {
			out = append(out, r.wrapped("fix: "+c.Fix, w, "      ", func(x string) string { return s.R(s.Muted, x) })...)
		}
	}
	return out
}

// orderChecks puts failures first, then warnings, then passes, each in the
// order the flow gave them: in a small window what blocks is what shows.
func orderChecks(cs []model.Check) []model.Check {
	out := make([]model.Check, 0, len(cs))
	rank := func(c model.Check) int {
		switch c.State {
		case model.CheckPass:
			return 2
		case model.CheckWarn:
			return 1
		}
		return 0 // fail, and any state that is neither pass nor warn
	}
	for want := range 3 {
		for _, c := range cs {
			if rank(c) == want {
				out = append(out, c)
			}
		}
	}
	return out
}

func (r *Runner) confirmLines(w int) []string {
	s := r.c.Styles
	title := r.plan.Title
	if title == "" {
		title = r.spec.Title
	}
	out := r.wrapped(title, w, "", func(x string) string { return s.R(s.Title, x) })
	if !r.plan.Destructive {
		return append(out, "", s.R(s.Prompt, "go ahead? y/N"))
	}
	out = append(out, "", s.R(s.Warn, common.Truncate("this cannot be undone", w)))
	out = append(out, common.Truncate("type "+common.Inert(r.plan.Target)+" to confirm:", w))
	v, _ := r.typed.View(max(w-4, 4))
	out = append(out, "> "+v+"▏")
	if r.confErr != "" {
		out = append(out, r.wrapped(r.confErr, w, "", func(x string) string { return s.R(s.Error, x) })...)
	}
	return out
}

// Bar draws progress as text that needs no colour: [#####.....] 50%.
func Bar(p jobs.Progress, w int) string {
	pct := p.Percent()
	if pct < 0 {
		return ""
	}
	n := max(min(w, 30), 10)
	full := n * pct / 100
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", n-full) + "] " + strconv.Itoa(pct) + "%"
}

func (r *Runner) runningLines(w int) []string {
	s := r.c.Styles
	out := []string{common.Truncate("running as job "+strconv.Itoa(r.job)+"…", w)}
	if b := Bar(r.prog, w-10); b != "" {
		out = append(out, b+" "+common.Group(r.prog.Done)+"/"+common.Group(r.prog.Total))
	}
	if r.prog.Note != "" {
		out = append(out, r.wrapped(r.prog.Note, w, "", func(x string) string { return s.R(s.Muted, x) })...)
	}
	return out
}

func (r *Runner) resultLines(w int) []string {
	s := r.c.Styles
	o := r.outcome
	out := r.wrapped(o.Summary, w, "", func(x string) string { return s.R(s.OK, x) })
	for _, ch := range o.Changes {
		out = append(out, r.wrapped(ch, w, "  • ", func(x string) string { return x })...)
	}
	if len(o.AuditSeqs) > 0 {
		seqs := make([]string, len(o.AuditSeqs))
		for i, q := range o.AuditSeqs {
			seqs[i] = "#" + strconv.FormatInt(q, 10)
		}
		out = append(out, "", common.Truncate("audit rows: "+strings.Join(seqs, ", "), w))
	}
	return out
}

func (r *Runner) failedLines(w int) []string {
	s := r.c.Styles
	out := r.wrapped("failed: "+r.runErr, w, "", func(x string) string { return s.R(s.Error, x) })
	if r.spec.OneTransaction {
		out = append(out, r.wrapped("nothing was changed: the change and its audit row are one transaction", w, "",
			func(x string) string { return s.R(s.Muted, x) })...)
	}
	return out
}
