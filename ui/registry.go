package ui

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/registry"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/flows"
	"github.com/plings/walletconsole/ui/pages"
)

// This file binds the registry's screens and flows to their constructors.
// Every Screen and Flow entry of package registry has exactly one binding
// here (TestRegistryBound checks it); the tabs, the number keys, ":" and
// its completion, the Flows menu and help all come from the registry.

// screenCtors make the screens with a tab, by registry name.
var screenCtors = map[string]func(a *App, o Options) page{
	"inventory":  func(a *App, o Options) page { a.inv = pages.NewInventory(a.c); return a.inv },
	"health":     func(a *App, o Options) page { return pages.NewHealth(a.c, o.HSM == nil) },
	"audit":      func(a *App, o Options) page { a.audit = pages.NewAudit(a.c); return a.audit },
	"migrations": func(a *App, o Options) page { return pages.NewMigrations(a.c, o.Migrations) },
	"flows":      func(a *App, o Options) page { a.flows = pages.NewFlows(a.c, a.flowEntries(o)); return a.flows },
}

// screenJumps are the screens without a tab of their own: ":wallet v2"
// opens the inventory's detail.
var screenJumps = map[string]func(a *App, args []string) tea.Cmd{
	"wallet": func(a *App, args []string) tea.Cmd {
		if len(args) != 1 {
			a.fail("which wallet? :wallet v2 (or just :v2)")
			return nil
		}
		v, err := model.ParseVersion(args[0])
		if err != nil {
			a.fail(err.Error())
			return nil
		}
		if !a.knownWallet(v) {
			return nil
		}
		return a.openWallet(v)
	},
}

// screenArgs are the tabbed screens that take ":" arguments; the others
// refuse any.
var screenArgs = map[string]func(a *App, args []string) tea.Cmd{
	// ":audit --wallet v1 --type T --by LOGIN"; ":audit" alone shows the
	// whole log again.
	"audit": func(a *App, args []string) tea.Cmd {
		f, err := parseAuditArgs(args)
		if err != nil {
			a.fail(err.Error())
			return nil
		}
		if f.Wallet != nil && !a.knownWallet(*f.Wallet) {
			return nil
		}
		cmd := a.jump("audit")
		a.audit.SetQuery(f)
		return cmd
	},
}

// flowOpeners start the flows that are built, by registry name. An opener
// returns an error when it cannot start with these arguments; flowMissing
// says why this console cannot run a flow at all ("" when it can).
type flowOpener func(a *App, o Options, args []string) (flows.Wizard, tea.Cmd, error)

var flowMissing = map[string]func(o Options) string{
	"requests": func(o Options) string {
		if o.Requests == nil {
			return "no database connection for requests"
		}
		return ""
	},
	"ceremony": func(o Options) string {
		if o.StartCeremony == nil {
			return "start it with: console ceremony run --token LABEL"
		}
		return ""
	},
	"deploy": func(o Options) string {
		if o.Rollouts == nil {
			return "no database connection for rollouts"
		}
		return ""
	},
	"allocate": func(o Options) string {
		if o.Allocator == nil {
			return "no database connection for allocations"
		}
		return ""
	},
	"activate": func(o Options) string {
		if o.Activator == nil {
			return "no database connection for activations"
		}
		return ""
	},
	"migration": func(o Options) string {
		if o.Migrations == nil {
			return "no database connection for migrations"
		}
		return ""
	},
	"validate": func(o Options) string {
		if o.Validator == nil {
			return "needs --token LABEL (the key on the HSM)"
		}
		return ""
	},
}

var flowOpeners = map[string]flowOpener{
	// ":migration [FROM [TO]]": plan each manufacturer, start one, then its worker.
	"migration": func(a *App, o Options, args []string) (flows.Wizard, tea.Cmd, error) {
		if o.Migrations == nil {
			return nil, nil, errors.New("no database connection for migrations")
		}
		if len(args) > 2 {
			return nil, nil, errors.New("at most two wallets: :migration v2 v1 (from, to)")
		}
		var wallets []string
		for _, arg := range args {
			v, err := model.ParseVersion(arg)
			if err != nil {
				return nil, nil, err
			}
			wallets = append(wallets, model.VersionName(v))
		}
		w, cmd := flows.NewMigration(a.c, o.Migrations, wallets...)
		return w, cmd, nil
	},
	// ":deploy v4": the rollout as `deploy status --watch` shows it.
	"deploy": func(a *App, o Options, args []string) (flows.Wizard, tea.Cmd, error) {
		if o.Rollouts == nil {
			return nil, nil, errors.New("no database connection for rollouts")
		}
		if len(args) != 1 {
			return nil, nil, errors.New("which wallet? :deploy v4")
		}
		v, err := model.ParseVersion(args[0])
		if err != nil {
			return nil, nil, err
		}
		w := flows.NewDeployment(a.c, o.Rollouts, v)
		return w, w.Refresh(), nil
	},
	"requests": func(a *App, o Options, _ []string) (flows.Wizard, tea.Cmd, error) {
		if o.Requests == nil {
			return nil, nil, errors.New("no database connection for requests")
		}
		w := flows.NewRequests(a.c, o.Requests)
		return w, w.Refresh(), nil
	},
	"ceremony": func(a *App, o Options, _ []string) (flows.Wizard, tea.Cmd, error) {
		if o.StartCeremony == nil {
			return nil, nil, errors.New("start it on the ceremony machine with: console ceremony run --token LABEL")
		}
		w := flows.NewCeremony(a.c, o.StartCeremony)
		return w, w.Refresh(), nil
	},
	"allocate": func(a *App, o Options, args []string) (flows.Wizard, tea.Cmd, error) {
		if o.Allocator == nil {
			return nil, nil, errors.New("no database connection for allocations")
		}
		preset, err := walletPreset(args)
		if err != nil {
			return nil, nil, err
		}
		w, cmd := flows.NewRunner(a.c, fromRegistry("allocate", flows.AllocateSpec(o.Allocator)), preset)
		return w, cmd, nil
	},
	"activate": func(a *App, o Options, args []string) (flows.Wizard, tea.Cmd, error) {
		if o.Activator == nil {
			return nil, nil, errors.New("no database connection for activations")
		}
		preset, err := walletPreset(args)
		if err != nil {
			return nil, nil, err
		}
		w, cmd := flows.NewRunner(a.c, fromRegistry("activate", flows.ActivateSpec(o.Activator)), preset)
		return w, cmd, nil
	},
	"validate": func(a *App, o Options, args []string) (flows.Wizard, tea.Cmd, error) {
		if o.Validator == nil {
			return nil, nil, errors.New("start the console with --token LABEL: the suite runs against the wallet's key on the HSM")
		}
		preset, err := walletPreset(args)
		if err != nil {
			return nil, nil, err
		}
		w, cmd := flows.NewRunner(a.c, fromRegistry("validate", flows.ValidateSpec(o.Validator)), preset)
		return w, cmd, nil
	},
}

// walletPreset fills a runner flow's wallet field from `:flow vN`.
func walletPreset(args []string) (map[string]string, error) {
	preset := map[string]string{}
	if len(args) > 0 {
		v, err := model.ParseVersion(args[0])
		if err != nil {
			return nil, err
		}
		preset["wallet"] = model.VersionName(v)
	}
	return preset, nil

}

// fromRegistry gives a runner flow what the registry says of it: a flow the
// registry calls destructive is confirmed by typing, whatever its plan says.
func fromRegistry(name string, spec flow.Spec) flow.Spec {
	if e, ok := registry.Lookup(registry.Flow, name); ok && e.Destructive {
		spec.Destructive = true
	}
	return spec
}

// flowEntries is the Flows menu, from the registry.
func (a *App) flowEntries(o Options) []pages.FlowEntry {
	var out []pages.FlowEntry
	for _, e := range registry.Of(registry.Flow) {
		fe := pages.FlowEntry{Name: e.Name, Title: e.Title, About: e.Summary}
		open, ok := flowOpeners[e.Name]
		switch {
		case !e.Built || !ok:
			fe.Missing = "not built yet"
		case flowMissing[e.Name] != nil && flowMissing[e.Name](o) != "":
			fe.Missing = flowMissing[e.Name](o)
		case a.c.ReadOnly && e.ChangesState && !e.Browse:
			fe.Missing = "read-only console: this flow changes state"
		default:
			fe.Open = func(args []string) (flows.Wizard, tea.Cmd, error) { return open(a, o, args) }
		}
		out = append(out, fe)
	}
	return out
}

// goLines are the ":" targets under the keys in the full help, wrapped to
// w: every screen and flow of the registry, a flow not built yet marked.
func goLines(readOnly bool, w int) []string {
	var words []string
	for _, k := range []registry.Kind{registry.Screen, registry.Flow} {
		for _, e := range registry.Of(k) {
			switch {
			case !e.Built:
				words = append(words, ":"+e.Name+"(soon)")
			case readOnly && e.ChangesState && !e.Browse:
			default:
				words = append(words, ":"+e.Usage())
			}
		}
	}
	return common.Wrap("go to: "+strings.Join(words, "  "), max(w, 20))
}

// fullHelp is the screen's keys, then every ":" target.
func (a *App) fullHelp() string {
	keys := a.help.FullHelpView(a.page().FullHelp())
	return keys + "\n" + strings.Join(goLines(a.c.ReadOnly, a.c.Width), "\n")
}
