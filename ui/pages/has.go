package pages

// Has reports whether the loaded inventory lists wallet version (true
// while nothing is loaded yet, so that a cold start does not refuse).
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
