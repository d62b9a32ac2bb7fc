package pages

import (
	"strconv"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// This file: the six checks of every wallet, graded by the one evaluation
// (model.EvaluateHealth) from what the console measures live (database,
// HSM, signing) and what the database stores (daily metrics, open alerts),
// and what changed since the last refresh.

// Check positions, in model.AllChecks order.
const (
	ckHSM = iota
	ckSign
	ckAlloc
	ckDB
	ckErrors
	ckAlerts
	ckCount
)

// checkShort names the checks in the wallet table's headings and in the
// change notes.
// They are at most five wide, so that at 60 columns the wallet's name, its
// overall state and the six checks fit on a line.
var checkShort = [ckCount]string{"HSM", "SIGN", "ALLOC", "DB", "ERR", "ALERT"}

// liveCheck is one measurement the console takes itself (database, HSM,
// signing); every wallet shares it. The evaluation against the thresholds
// is model.EvaluateHealth's.
type liveCheck struct {
	cur  *model.Measurement
	prev *model.Measurement // the measurement before cur
	at   time.Time
}

func (l *liveCheck) set(m model.Measurement, at time.Time) {
	l.prev, l.cur, l.at = l.cur, &m, at
}

// before is the measurement of the previous refresh, or the current one
// when there was none.
func (l *liveCheck) before() *model.Measurement {
	if l.prev != nil {
		return l.prev
	}
	return l.cur
}

// walletInputs is one wallet's stored inputs, with those of the previous
// refresh for the change marks.
type walletInputs struct {
	in    common.HealthInput
	prev  *common.HealthInput // nil for a wallet not in the previous refresh
	isNew bool                // not in the previous refresh (and there was one)
}

// checkView is one check of one wallet as shown.
type checkView struct {
	res     model.CheckResult
	prev    *model.CheckResult
	live    bool
	changed bool
}

// walletView is one wallet of the health screen.
type walletView struct {
	in            common.HealthInput
	checks        [ckCount]checkView
	overall       model.HealthState
	prevOverall   model.HealthState
	changed       bool // anything on its row changed since the last refresh
	isNew         bool
	statusChanged bool
	note          string
	cells         []string
	search        string
}

// liveNow is the live measurements for the evaluation; liveBefore those of
// the previous refresh.
func (p *Health) liveNow() model.LiveHealth {
	return model.LiveHealth{Database: p.db.cur, NoHSM: p.noHSM, HSM: p.hsm.cur, Signature: p.sig.cur}
}

func (p *Health) liveBefore() model.LiveHealth {
	return model.LiveHealth{Database: p.db.before(), NoHSM: p.noHSM, HSM: p.hsm.before(), Signature: p.sig.before()}
}

// live is the shared measurement of live check i.
func (p *Health) live(i int) *liveCheck {
	switch i {
	case ckHSM:
		return &p.hsm
	case ckSign:
		return &p.sig
	default:
		return &p.db
	}
}

// grade is model.EvaluateHealth of a wallet's inputs, its texts made inert
// (and the alert counts written short).
func (p *Health) grade(in common.HealthInput, live model.LiveHealth) model.WalletHealth {
	wh := model.EvaluateHealth(in, live, p.c.Thresholds)
	for i := range wh.Checks {
		r := &wh.Checks[i]
		r.Value, r.Message, r.Threshold = common.Inert(r.Value), common.Inert(r.Message), common.Inert(r.Threshold)
		if r.Name == model.CheckSecurityAlerts { // short, for the VALUE column
			r.Value = strconv.Itoa(in.OpenCritical) + " crit, " + strconv.Itoa(in.OpenWarnings) + " warn"
		}
	}
	return wh
}

// setInputs takes a refresh of the stored inputs, keeping the previous
// ones for the marks.
func (p *Health) setInputs(ins []common.HealthInput) {
	first := !p.loaded
	old := make(map[int]*common.HealthInput, len(p.inputs))
	for i := range p.inputs {
		old[p.inputs[i].in.Version] = &p.inputs[i].in
	}
	next := make([]walletInputs, len(ins))
	for i, in := range ins {
		in.Name, in.Status, in.Environment = common.Inert(in.Name), model.Status(common.Inert(string(in.Status))), model.Environment(common.Inert(string(in.Environment)))
		w := walletInputs{in: in}
		if o, ok := old[in.Version]; ok {
			cp := *o
			w.prev = &cp
		} else {
			w.isNew = !first
		}
		next[i] = w
	}
	p.inputs = next
}

// differs says whether a check changed between two refreshes: its state
// for the live checks (their timings move on every measurement), its state
// or value for the stored ones (a new value is new data).
func differs(prev *model.CheckResult, cur model.CheckResult, live bool) bool {
	if prev == nil {
		return false
	}
	return prev.State != cur.State || (!live && prev.Value != cur.Value)
}

// evaluate grades every wallet now and as of the previous refresh, into the
// rows of the screen.
func (p *Health) evaluate() {
	now, before := p.liveNow(), p.liveBefore()
	p.all = make([]walletView, len(p.inputs))
	for wi := range p.inputs {
		src := &p.inputs[wi]
		cur := p.grade(src.in, now)
		prevIn := src.in
		if src.prev != nil {
			prevIn = *src.prev
		}
		was := p.grade(prevIn, before)
		v := walletView{in: src.in, isNew: src.isNew, statusChanged: src.prev != nil && src.prev.Status != src.in.Status,
			overall: cur.Overall, prevOverall: was.Overall}
		for i := range ckCount {
			cv := checkView{res: cur.Checks[i], live: now.IsLive(model.AllChecks[i])}
			// A previous result exists for a live check once it was measured
			// twice, for a stored one once the wallet was loaded before.
			if (cv.live && p.live(i).prev != nil) || (!cv.live && src.prev != nil) {
				cv.prev = &was.Checks[i]
			}
			cv.changed = differs(cv.prev, cv.res, cv.live)
			v.checks[i] = cv
		}
		v.note = p.changeNote(src, &v)
		v.changed = v.note != ""
		p.all[wi] = v
	}
}

// changeNote says what changed on a wallet's row since the last refresh.
func (p *Health) changeNote(src *walletInputs, v *walletView) string {
	if src.isNew {
		return "new wallet"
	}
	var parts []string
	if v.statusChanged {
		parts = append(parts, "status "+string(src.prev.Status)+"→"+string(src.in.Status))
	}
	if v.prevOverall != v.overall {
		parts = append(parts, "overall "+string(v.prevOverall)+"→"+string(v.overall))
	}
	for i, c := range v.checks {
		if !c.changed {
			continue
		}
		if c.prev.State != c.res.State {
			parts = append(parts, checkShort[i]+" "+shortState(c.prev.State)+"→"+shortState(c.res.State))
		} else {
			parts = append(parts, checkShort[i]+" "+c.prev.Value+"→"+c.res.Value)
		}
	}
	note := ""
	for i, s := range parts {
		if i > 0 {
			note += ", "
		}
		note += s
	}
	return note
}

// shortState is a check's state in the wallet table: short, and readable
// without colour.
func shortState(h model.HealthState) string {
	switch h {
	case model.HealthHealthy:
		return "ok"
	case model.HealthWarning:
		return "warn"
	case model.HealthFailed, model.HealthUnhealthy:
		return "FAIL"
	default:
		return "—"
	}
}

// limitText is a check's threshold for the narrow LIMIT column.
func limitText(th model.Thresholds, r model.CheckResult) string {
	if r.Name == model.CheckErrorRate {
		f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
		return "> " + f(th.ErrorRateWarning) + " / " + f(th.ErrorRateCritical) + " %"
	}
	if r.Threshold == "" {
		return "—"
	}
	return common.Inert(r.Threshold)
}
