package model

// OperationType is the operation_type of a wallet_operations_log row. The
// values are stored and filtered on (`console audit log --type`), so they
// must not change; every type the console writes is listed here.
type OperationType string

const (
	// Creation requests and the key ceremony.
	OpCreationRequest           OperationType = "creation_request"
	OpCreationApproval          OperationType = "creation_approval"
	OpCreationRejection         OperationType = "creation_rejection"
	OpCreationRequestExport     OperationType = "creation_request_export"
	OpWalletCreationRequest     OperationType = "wallet_creation_request" // demo data's seed-000 name
	OpWalletCreationApproval    OperationType = "wallet_creation_approval"
	OpWalletCreationRequestUsed OperationType = "wallet_creation_request_used"
	OpWitnessAddition           OperationType = "witness_addition"
	OpKeyCeremony               OperationType = "key_ceremony"
	OpKeyCeremonyImport         OperationType = "key_ceremony_import"
	OpBackupProof               OperationType = "backup_proof"

	// The wallet's lifecycle.
	OpWalletCreation      OperationType = "wallet_creation"
	OpWalletValidation    OperationType = "wallet_validation"
	OpWalletDeployment    OperationType = "wallet_deployment"
	OpWalletActivation    OperationType = "wallet_activation"
	OpWalletDeprecation   OperationType = "wallet_deprecation"
	OpWalletRetirement    OperationType = "wallet_retirement"
	OpWalletStatusChange  OperationType = "wallet_status_change"
	OpWalletWindDown      OperationType = "wallet_wind_down"
	OpWalletArchive       OperationType = "wallet_archive"
	OpDefaultWalletChange OperationType = "default_wallet_change"

	// Manufacturers, paths and migrations.
	OpManufacturerRegistration     OperationType = "manufacturer_registration"
	OpManufacturerLineageUpdate    OperationType = "manufacturer_lineage_update"
	OpManufacturerMigrationStarted OperationType = "manufacturer_migration_started"
	OpPathMigrationProgress        OperationType = "path_migration_progress"
	OpPathAllocation               OperationType = "path_allocation"
	OpPathBulkAllocation           OperationType = "path_bulk_allocation"
	OpPathBulkGeneration           OperationType = "path_bulk_generation"

	// Monitoring and reviews.
	OpHealthCheck           OperationType = "health_check"
	OpDailyChecklist        OperationType = "daily_checklist"
	OpMonthlyReview         OperationType = "monthly_review"
	OpMonitoringHistoryLoad OperationType = "monitoring_history_load"
	OpDemoDataLoad          OperationType = "demo_data_load"
)

// OperationTypes is every type above, for completion and for checking a
// --type filter.
var OperationTypes = []OperationType{
	OpCreationRequest, OpCreationApproval, OpCreationRejection, OpCreationRequestExport,
	OpWalletCreationRequest, OpWalletCreationApproval, OpWalletCreationRequestUsed,
	OpWitnessAddition, OpKeyCeremony, OpKeyCeremonyImport, OpBackupProof,
	OpWalletCreation, OpWalletValidation, OpWalletDeployment, OpWalletActivation,
	OpWalletDeprecation, OpWalletRetirement, OpWalletStatusChange, OpWalletWindDown,
	OpWalletArchive, OpDefaultWalletChange,
	OpManufacturerRegistration, OpManufacturerLineageUpdate, OpManufacturerMigrationStarted,
	OpPathMigrationProgress, OpPathAllocation, OpPathBulkAllocation, OpPathBulkGeneration,
	OpHealthCheck, OpDailyChecklist, OpMonthlyReview, OpMonitoringHistoryLoad, OpDemoDataLoad,
	OpDeploymentStart, OpDeploymentGateWaiting, OpDeploymentGate, OpDeploymentStep, OpDeploymentPause,
	OpDeploymentResume, OpDeploymentPromote, OpDeploymentRollback, OpDeploymentAbort, OpDeploymentCompleted,
	OpServiceMetrics,
}
