package pages

import (
	"strconv"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// This file: the six checks of every wallet, evaluated against the
// thresholds from what the console measures live (database, HSM, signing)
// and what the database stores (daily metrics, open alerts), and what
// changed since the last refresh.

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

// liveCheck is one check the console measures itself; every wallet shares
// it (one database, one HSM).
type liveCheck struct {
	res  *model.CheckResult
	prev *model.CheckResult // the measurement before res
	at   time.Time
}

func (l *liveCheck) set(r model.CheckResult, at time.Time) {
	r.Value, r.Message = common.Inert(r.Value), common.Inert(r.Message)
	l.prev, l.res, l.at = l.res, &r, at
}

// walletInputs is one wallet's stored inputs and the checks evaluated from
// them, with the previous evaluation for the change marks.
type walletInputs struct {
	in         common.HealthInput
	stored     [ckCount]*model.CheckResult // nil for the checks measured live
	prev       [ckCount]*model.CheckResult // from the previous refresh
	isNew      bool                        // not in the previous refresh
	prevStatus model.Status
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

// isLive says whether check i is measured by the console: the database
// always, the HSM and signing when an HSM is configured (otherwise their
// stored daily averages stand in).
func (p *Health) isLive(i int) bool {
	return i == ckDB || (!p.noHSM && (i == ckHSM || i == ckSign))
}

// live is the shared measurement of a live check.
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

// evalStored evaluates the checks that come from the stored inputs.
func (p *Health) evalStored(in common.HealthInput) [ckCount]*model.CheckResult {
	th := p.c.Thresholds
	var out [ckCount]*model.CheckResult
	day := ""
	if in.MetricDate != nil {
		day = " · daily metrics of " + in.MetricDate.UTC().Format(time.DateOnly)
	}
	stored := func(name model.CheckName, d *time.Duration, eval func(time.Duration) model.CheckResult) *model.CheckResult {
		if d == nil {
			return &model.CheckResult{Name: name, State: model.HealthUnknown, Value: "—", Message: "no measurement recorded"}
		}
		r := eval(*d)
		r.Message += day
		return &r
	}
	if p.noHSM {
		out[ckHSM] = stored(model.CheckHSMConnectivity, in.HSMResponseAvg, func(d time.Duration) model.CheckResult { return th.HSMConnectivity(d, nil) })
		out[ckSign] = stored(model.CheckSignaturePerformance, in.SignatureAvg, func(d time.Duration) model.CheckResult { return th.SignaturePerformance(d, nil) })
	}
	out[ckAlloc] = stored(model.CheckPathAllocationRate, in.AllocationAvg, th.PathAllocationRate)
	er := th.ErrorRate(in.Errors, in.Requests)
	er.Message += day
	out[ckErrors] = &er
	al := th.SecurityAlerts(in.OpenWarnings, in.OpenCritical)
	al.Value = strconv.Itoa(in.OpenCritical) + " crit, " + strconv.Itoa(in.OpenWarnings) + " warn"
	out[ckAlerts] = &al
	for _, r := range out {
		if r != nil {
			r.Value, r.Message = common.Inert(r.Value), common.Inert(r.Message)
		}
	}
	return out
}

// setInputs takes a refresh of the stored inputs: each wallet's stored
// checks are evaluated again and the previous ones kept for the marks.
func (p *Health) setInputs(ins []common.HealthInput) {
	first := !p.loaded
	old := make(map[int]*walletInputs, len(p.inputs))
	for i := range p.inputs {
		old[p.inputs[i].in.Version] = &p.inputs[i]
	}
	next := make([]walletInputs, len(ins))
	for i, in := range ins {
		in.Name, in.Status, in.Environment = common.Inert(in.Name), model.Status(common.Inert(string(in.Status))), model.Environment(common.Inert(string(in.Environment)))
		w := walletInputs{in: in, stored: p.evalStored(in), prevStatus: in.Status}
		if o, ok := old[in.Version]; ok {
			w.prev, w.prevStatus = o.stored, o.in.Status
		} else {
			w.isNew = !first
		}
		next[i] = w
	}
	p.inputs = next
}

// unknownCheck stands for a live check not measured yet.
func unknownCheck(name model.CheckName, why string) model.CheckResult {
	return model.CheckResult{Name: name, State: model.HealthUnknown, Value: "—", Message: why}
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

// overallOf folds a wallet's checks: unhealthy when one failed, warning
// when one warns, otherwise unknown when one is unknown (not measured, no
// stored metrics) or there are none, and healthy only when every check is.
func overallOf(rs []model.CheckResult) model.HealthState {
	st := model.Overall(rs)
	if st != model.HealthHealthy {
		return st
	}
	for _, r := range rs {
		if r.State == model.HealthUnknown || r.State == "" {
			return model.HealthUnknown
		}
	}
	return st
}

// evaluate combines live and stored checks into the rows of the screen.
func (p *Health) evaluate() {
	p.all = make([]walletView, len(p.inputs))
	for wi := range p.inputs {
		src := &p.inputs[wi]
		v := walletView{in: src.in, isNew: src.isNew, statusChanged: !src.isNew && src.prevStatus != src.in.Status}
		var cur, before []model.CheckResult
		for i := range ckCount {
			var cv checkView
			if p.isLive(i) {
				l := p.live(i)
				cv.live = true
				if l.res == nil {
					why := "not measured yet"
					if p.noHSM && i != ckDB {
						why = "no HSM configured"
					}
					cv.res = unknownCheck(model.AllChecks[i], why)
				} else {
					cv.res, cv.prev = *l.res, l.prev
				}
			} else if r := src.stored[i]; r != nil {
				cv.res, cv.prev = *r, src.prev[i]
			} else {
				cv.res = unknownCheck(model.AllChecks[i], "not measured yet")
			}
			cv.changed = differs(cv.prev, cv.res, cv.live)
			cur = append(cur, cv.res)
			if cv.prev != nil {
				before = append(before, *cv.prev)
			} else {
				before = append(before, cv.res)
			}
			v.checks[i] = cv
		}
		v.overall, v.prevOverall = overallOf(cur), overallOf(before)
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
	if src.prevStatus != src.in.Status {
		parts = append(parts, "status "+string(src.prevStatus)+"→"+string(src.in.Status))
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
