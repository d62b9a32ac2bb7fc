-- No console role may take an advisory lock of its own (issue 10, point 1).
--
-- 007 revoked pg_advisory_lock* from PUBLIC but left pg_try_advisory_lock_shared
-- and the pg_try_advisory_xact_lock* variants executable by every login, and
-- granted pg_advisory_xact_lock(int, int) and its shared form to the operator
-- and approver so that the schema's triggers could take their locks as them.
-- A viewer holding pg_try_advisory_lock_shared(20251113, 1) (the audit
-- chain's key) stalled every write. Now:
--
--   * EXECUTE on every advisory-lock function (every pg_catalog function
--     named pg%advisory%, whatever its arguments) is revoked from PUBLIC and
--     from the console roles; the migrating owner keeps them (tern's lock,
--     the demo loader's lock);
--   * the triggers that take the schema's locks run as the owner (SECURITY
--     DEFINER; each already pins its search_path). A trigger function can
--     only be called as a trigger, so no console role can use them to hold a
--     lock of its choosing. They read session_user (the login), never
--     current_user, so what they record is unchanged.
--
-- A later migration that replaces one of these functions (CREATE OR REPLACE)
-- must say SECURITY DEFINER again: store/custody_psql_test.go fails when a
-- function of the schema that takes an advisory lock runs as its caller.

ALTER FUNCTION wallet_versions_guard() SECURITY DEFINER;
ALTER FUNCTION path_registry_guard() SECURITY DEFINER;
ALTER FUNCTION path_registry_allocation_rule() SECURITY DEFINER;
ALTER FUNCTION wallet_operations_log_chain() SECURITY DEFINER;
ALTER FUNCTION wallet_creation_approvals_two_person() SECURITY DEFINER;
ALTER FUNCTION wallet_creation_request_id() SECURITY DEFINER;

-- Revoking from PUBLIC needs the bootstrap superuser (it owns pg_catalog); an
-- owner who is not one is told so, and the functions stay as they were.
DO $$
DECLARE
  f regprocedure;
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE NOTICE 'revoking the advisory-lock functions needs a superuser: every login can still hold an advisory lock (lock_timeout turns that into an error, not a hang)';
    RETURN;
  END IF;
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
           WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg%advisory%'
           ORDER BY p.oid::regprocedure::text LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, wallet_viewer, wallet_operator, wallet_approver', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, current_user);
  END LOOP;
END
$$;
