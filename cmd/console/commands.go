package main

// bindings binds every registry command (registry.Of(registry.Command)) to
// its flags and handler; a test checks that the two lists are the same.
var bindings = map[string]binding{}

func init() {
	// Filled in init: the help handler reads bindings itself.
	for name, b := range map[string]binding{
		"console":               bindConsole,
		"status":                bindStatus,
		"health":                bindHealth,
		"show":                  bindShow,
		"migrate":               bindMigrate,
		"demo":                  bindDemo,
		"allocate":              bindAllocate,
		"audit verify":          bindAuditVerify,
		"audit log":             bindAuditLog,
		"hsm info":              bindHSMInfo,
		"hsm keys":              bindHSMKeys,
		"hsm selftest":          bindHSMSelftest,
		"request new":           bindRequestNew,
		"request list":          bindRequestList,
		"request show":          bindRequestShow,
		"request approve":       bindRequestDecide("approve"),
		"request reject":        bindRequestDecide("reject"),
		"request export":        bindRequestExport,
		"witness add":           bindWitnessAdd,
		"witness list":          bindWitnessList,
		"user add":              bindUserAdd,
		"user list":             bindUserList,
		"user disable":          bindUserDisable,
		"ceremony run":          bindCeremonyRun,
		"ceremony verify":       bindCeremonyVerify,
		"ceremony import":       bindCeremonyImport,
		"ceremony prove-backup": bindProveBackup,
		"activate":              bindActivate,
		"validate":              bindValidate,
		"deploy start":          bindDeployStart,
		"deploy run":            bindDeployRun,
		"deploy status":         bindDeployStatus,
		"deploy pause":          bindDeployControl("pause"),
		"deploy resume":         bindDeployControl("resume"),
		"deploy promote":        bindDeployControl("promote"),
		"deploy abort":          bindDeployControl("abort"),
		"deploy approve":        bindDeployControl("approve"),
		"migration plan":        bindMigrationPlan,
		"migration start":       bindMigrationStart,
		"migration run":         bindMigrationRun,
		"migration status":      bindMigrationStatus,
		"migration pause":       bindMigrationControl("pause"),
		"migration resume":      bindMigrationControl("resume"),
		"migration throttle":    bindMigrationControl("throttle"),
		"migration rollback":    bindMigrationControl("rollback"),
		"migration verify":      bindMigrationVerify,
		"demo traffic":          bindDemoTraffic,
		"help":                  bindHelp,
	} {
		bindings[name] = b
	}
}
