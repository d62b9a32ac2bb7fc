package ui

import (
	"testing"

	"github.com/plings/walletconsole/registry"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// TestRegistryBound: every screen and flow of the registry has its binding
// here, and nothing is bound that the registry does not list, so that a
// screen or flow added in one place shows up everywhere (tabs, :, help, the
// Flows menu) or fails here.
func TestRegistryBound(t *testing.T) {
	listed := map[string]bool{}
	for _, e := range registry.Of(registry.Screen) {
		listed[e.Name] = true
		_, tab := screenCtors[e.Name]
		_, jump := screenJumps[e.Name]
		if tab == jump {
			t.Errorf("screen %s: bound as a tab %v, as a jump %v (want exactly one)", e.Name, tab, jump)
		}
		if tab != (e.Key != "") {
			t.Errorf("screen %s: a tab needs a number key and a jump has none (key %q)", e.Name, e.Key)
		}
	}
	for _, e := range registry.Of(registry.Flow) {
		listed[e.Name] = true
		if _, ok := flowOpeners[e.Name]; ok != e.Built {
			t.Errorf("flow %s: built %v but opener bound %v", e.Name, e.Built, ok)
		}
	}
	for name := range screenCtors {
		if !listed[name] {
			t.Errorf("screen %s is bound but not in the registry", name)
		}
	}
	for name := range screenArgs {
		if _, ok := screenCtors[name]; !ok {
			t.Errorf("screen %s takes arguments but has no tab", name)
		}
	}
	for name := range screenJumps {
		if !listed[name] {
			t.Errorf("jump %s is bound but not in the registry", name)
		}
	}
	for name := range flowOpeners {
		if !listed[name] {
			t.Errorf("flow %s is bound but not in the registry", name)
		}
	}
	// The tabs follow the registry's order and number keys.
	ta := newTestApp(t, uitest.SampleSource(), nil).start(t, 100, 30)
	for i, p := range ta.pages {
		e, ok := registry.Lookup(registry.Screen, p.Name())
		if !ok || e.Key != string(rune('1'+i)) {
			t.Errorf("tab %d is %s, registry key %q", i+1, p.Name(), e.Key)
		}
	}
}
