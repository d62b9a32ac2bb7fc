package registry

// screens are the console's screens, in tab order (their number keys);
// flows its guided flows, in the order of the Flows menu. ui binds each to
// its constructor; a flow not Built yet is listed and says so when opened.
var (
	screens = []Entry{
		{Kind: Screen, Name: "inventory", Aliases: []string{"inv"}, Title: "Inventory", Key: "1", Built: true,
			Summary: "every wallet version: status, environment, manufacturers, paths, health"},
		{Kind: Screen, Name: "health", Title: "Health", Key: "2", Built: true,
			Summary: "the six checks of every wallet against their thresholds, with trends"},
		{Kind: Screen, Name: "audit", Aliases: []string{"log"}, Title: "Audit", Key: "3", Built: true,
			Summary: "the operations log and its hash chain (--wallet vN, --type T, --by LOGIN)",
			Args:    []Arg{{Name: "--wallet vN", Type: ArgWallet}}},
		{Kind: Screen, Name: "migrations", Title: "Migrations", Key: "4", Built: true,
			Summary: "every manufacturer migration: progress, rate, ETA, state and why; pause, resume, throttle, roll back, verify, run the worker"},
		{Kind: Screen, Name: "flows", Title: "Flows", Key: "5", Built: true,
			Summary: "the guided flows"},
		{Kind: Screen, Name: "wallet", Aliases: []string{"show", "detail"}, Title: "Wallet", Built: true,
			Summary: "one wallet: manufacturers, allocations, lineage, operations (:v2 for short)",
			Args:    []Arg{{Name: "version", Type: ArgWallet, Required: true}}},
	}

	flows = []Entry{
		{Kind: Flow, Name: "requests", Aliases: []string{"request"}, Title: "Creation requests", Built: true, ChangesState: true, Browse: true,
			Summary: "file a wallet creation request, approve or reject one, export an approved one for the ceremony machine"},
		{Kind: Flow, Name: "ceremony", Title: "Witnessed key ceremony", Built: true, ChangesState: true,
			Summary: "on the air-gapped machine: request file, offline check, HSM, witnesses, entropy, key, backup, transcript"},
		{Kind: Flow, Name: "allocate", Aliases: []string{"allocation"}, Title: "Allocate a path", Built: true, ChangesState: true,
			Summary: "allocate a path (and its identifiers) to a manufacturer in a wallet",
			Args:    []Arg{{Name: "wallet", Type: ArgWallet}}},
		{Kind: Flow, Name: "validate", Aliases: []string{"validation"}, Title: "Validation suite", Built: true, ChangesState: true,
			Summary: "the seven tests against the wallet's key: created → validated",
			Args:    []Arg{{Name: "wallet", Type: ArgWallet, Required: true}}},
		{Kind: Flow, Name: "deploy", Aliases: []string{"deployment"}, Title: "Deployment (blue-green, gradual traffic)", Built: true, ChangesState: true, Browse: true,
			Summary: "a wallet's rollout: step, weights, time left, measurements, gates, what to type next (refreshes every second)",
			Args:    []Arg{{Name: "wallet", Type: ArgWallet, Required: true}}},
		{Kind: Flow, Name: "activate", Aliases: []string{"activation"}, Title: "Activation", ChangesState: true, Built: true,
			Summary: "deployed → active, optionally the default",
			Args:    []Arg{{Name: "wallet", Type: ArgWallet, Required: true}}},
		{Kind: Flow, Name: "migration", Title: "Manufacturer migration", ChangesState: true, Built: true,
			Summary: "plan each manufacturer of a wallet, start moving one to another wallet (then its worker, live)",
			Args:    []Arg{{Name: "from", Type: ArgWallet}, {Name: "to", Type: ArgWallet}}},
		{Kind: Flow, Name: "deprecate", Aliases: []string{"deprecation"}, Title: "Deprecation", ChangesState: true, Destructive: true,
			Summary: "active → deprecated, after the three eligibility checks",
			Args:    []Arg{{Name: "wallet", Type: ArgWallet, Required: true}}},
		{Kind: Flow, Name: "retire", Aliases: []string{"retirement"}, Title: "Retirement", ChangesState: true, Destructive: true,
			Summary: "archive, certificate, staged key destruction",
			Args:    []Arg{{Name: "wallet", Type: ArgWallet, Required: true}}},
		{Kind: Flow, Name: "incident", Aliases: []string{"compromise"}, Title: "Incident response (compromise runbook)", ChangesState: true, Destructive: true,
			Summary: "mark a wallet compromised and run the runbook",
			Args:    []Arg{{Name: "wallet", Type: ArgWallet, Required: true}}},
		{Kind: Flow, Name: "checklist", Title: "Daily checklist",
			Summary: "the seed's seven daily checks"},
		{Kind: Flow, Name: "review", Title: "Monthly review",
			Summary: "the month's inventory, performance, security events and capacity"},
	}
)
