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
-- Only "approved → used" (ceremony import) and "→ expired"; see 005's guard.
GRANT UPDATE (status, wallet_version) ON wallet_creation_requests TO wallet_operator;
GRANT INSERT ON wallet_creation_approvals TO wallet_approver;
GRANT INSERT ON wallet_operations_log TO wallet_operator, wallet_approver;
-- wallet_path_stats is written only by its SECURITY DEFINER triggers.
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO wallet_operator, wallet_approver;

-- Tables added by later migrations are readable by every console role.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT ON TABLES TO wallet_viewer, wallet_operator, wallet_approver;

-- Functions any login may call by default that would let the viewer write
-- (large objects) or stall every writer (advisory locks held open). Revoking
-- them needs the bootstrap superuser; an owner who is not one is told so.
DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'lo_create(oid)', 'lo_creat(integer)', 'lo_from_bytea(oid, bytea)', 'lo_import(text)',
    'lo_import(text, oid)', 'lo_put(oid, bigint, bytea)', 'lo_unlink(oid)',
    'pg_advisory_lock(bigint)', 'pg_advisory_lock(integer, integer)',
    'pg_advisory_lock_shared(bigint)', 'pg_advisory_lock_shared(integer, integer)',
    'pg_try_advisory_lock(bigint)', 'pg_try_advisory_lock(integer, integer)',
    'pg_advisory_xact_lock(bigint)', 'pg_advisory_xact_lock(integer, integer)',
    'pg_advisory_xact_lock_shared(bigint)', 'pg_advisory_xact_lock_shared(integer, integer)'] LOOP
    BEGIN
      EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'could not revoke % from PUBLIC (needs a superuser): the viewer can still call it', f;
    END;
  END LOOP;
  -- The migrating owner (tern's lock) and the writing roles (overlap and
  -- audit-chain locks) keep what they use.
  EXECUTE format('GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint), pg_advisory_unlock(bigint) TO %I', current_user);
  GRANT EXECUTE ON FUNCTION pg_advisory_xact_lock(integer, integer), pg_advisory_xact_lock_shared(integer, integer)
    TO wallet_operator, wallet_approver;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'advisory lock grants need a superuser; left as they are';
END
$$;
