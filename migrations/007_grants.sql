-- What each console role may do. The viewer reads; nothing else is granted to it.
-- Nobody is granted UPDATE, DELETE or TRUNCATE on the operations log (and its
-- triggers refuse them even for the owner).

GRANT USAGE ON SCHEMA public TO wallet_viewer, wallet_operator, wallet_approver;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO wallet_viewer, wallet_operator, wallet_approver;

GRANT INSERT, UPDATE ON
  wallet_versions, manufacturer_registry, manufacturer_path_schemas, path_level_values,
  manufacturer_lineage, path_registry, path_migration_queue, manufacturer_migrations,
  wallet_health_metrics, incidents, security_alerts, deployments, wallet_traffic_share,
  key_ceremonies, retirement_records, organizations, users
TO wallet_operator;
GRANT INSERT ON wallet_health_checks, validation_results TO wallet_operator;
GRANT INSERT ON wallet_creation_requests TO wallet_operator;
GRANT UPDATE (status, approval_id, approved_at, valid_until, wallet_version)
  ON wallet_creation_requests TO wallet_operator, wallet_approver;
GRANT INSERT ON wallet_creation_approvals TO wallet_approver;
GRANT INSERT ON wallet_operations_log TO wallet_operator, wallet_approver;
-- The stats counters are written by triggers running as the inserting role.
GRANT INSERT, UPDATE ON wallet_path_stats TO wallet_operator;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO wallet_operator, wallet_approver;

-- Tables added by later migrations are readable by every console role.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT ON TABLES TO wallet_viewer, wallet_operator, wallet_approver;
