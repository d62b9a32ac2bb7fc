package pages

import "github.com/plings/walletconsole/ui/components"

// What the App's tests read of the pages, without reaching into them.

// Shown is the versions of the wallets the table shows, in order.
func (p *Inventory) Shown() []int {
	vs := make([]int, len(p.rows))
	for i, r := range p.rows {
		vs[i] = r.w.Version
	}
	return vs
}

// Selected is the version of the wallet under the cursor; 0 for none.
func (p *Inventory) Selected() int {
	if r := p.selected(); r != nil {
		return r.w.Version
	}
	return 0
}

// IsOpen reports whether a wallet's detail is open.
func (p *Inventory) IsOpen() bool { return p.isOpen }

// Nav is the table's cursor and scroll position.
func (p *Inventory) Nav() components.ListNav { return p.nav }

// DetailLines is the number of lines the open detail has drawn.
func (p *Inventory) DetailLines() int {
	if p.detail == nil {
		return 0
	}
	return len(p.detail.lines)
}

// Shown is the number of operations the table shows.
func (p *Audit) Shown() int { return len(p.rows) }

// Selected is the version of the wallet under the cursor; 0 for none.
func (p *Health) Selected() int {
	if v := p.selected(); v != nil {
		return v.in.Version
	}
	return 0
}
