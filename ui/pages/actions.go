package pages

import (
	"charm.land/bubbles/v2/key"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// This file: what the pages offer that changes state (so that read-only
// mode can refuse it in one place, saying why), and the audit screen's
// ":audit --wallet v1" query.

// Has reports whether the inventory lists wallet version; before the first
// load it knows of no wallet yet and says true, so that ":v2" on a cold
// start is not refused (the detail then says whether it exists).
func (p *Inventory) Has(version int) bool {
	if !p.loaded {
		return true
	}
	for i := range p.all {
		if p.all[i].w.Version == version {
			return true
		}
	}
	return false
}

// StateKeys are the inventory's keys that change state.
func (p *Inventory) StateKeys() []*key.Binding { return []*key.Binding{&p.c.Keys.Allocate} }

// StateKeys are the open flow's keys that change state.
func (p *Flows) StateKeys() []*key.Binding {
	if s, ok := p.open.(interface{ StateKeys() []*key.Binding }); ok {
		return s.StateKeys()
	}
	return nil
}

// auditQuery narrows the audit screen to one wallet, operation type or
// login; the zero value matches every row.
type auditQuery struct{ f model.OpFilter }

func (q auditQuery) match(o *model.Operation) bool {
	if q.f.Wallet != nil && (o.Wallet == nil || *o.Wallet != *q.f.Wallet) {
		return false
	}
	if q.f.Type != "" && o.Type != q.f.Type {
		return false
	}
	if q.f.Operator != "" && o.Actor() != q.f.Operator {
		return false
	}
	return true
}

// SetQuery narrows the screen to the rows f selects (":audit --wallet v1");
// the zero filter clears the narrowing (a plain ":audit", esc). The cursor
// goes to the newest row that matches, not to the row number it had.
func (p *Audit) SetQuery(f model.OpFilter) {
	p.query = auditQuery{f}
	p.rebuild()
	p.toNewest()
}

// Query describes the narrowing in force, "" for none (the heading and the
// status line show it).
func (p *Audit) Query() string {
	var parts []string
	if p.query.f.Wallet != nil {
		parts = append(parts, "wallet "+model.VersionName(*p.query.f.Wallet))
	}
	if p.query.f.Type != "" {
		parts = append(parts, "type "+common.Inert(p.query.f.Type))
	}
	if p.query.f.Operator != "" {
		parts = append(parts, "by "+common.Inert(p.query.f.Operator))
	}
	out := ""
	for i, x := range parts {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// Versions are the loaded inventory's wallet names (v1, v2, …), for
// completing a ":" argument.
func (p *Inventory) Versions() []string {
	out := make([]string, 0, len(p.all))
	for i := range p.all {
		out = append(out, model.VersionName(p.all[i].w.Version))
	}
	return out
}

// OpenVersion is the wallet whose detail is open, 0 when none is.
func (p *Inventory) OpenVersion() int {
	if !p.isOpen || p.detail == nil {
		return 0
	}
	return p.detail.version
}
