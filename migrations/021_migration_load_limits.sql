-- A migration's own load limits (issue 12: console migration start
-- --max-load): every worker that runs it throttles on them unless its own
-- --max-load is given, so that a migration started gently stays gentle
-- whoever runs its worker (cron, systemd, the console's background job).
-- NULL: the worker's default (waiting=8); 0 turns a limit off.
ALTER TABLE manufacturer_migrations
  ADD COLUMN max_waiting integer CHECK (max_waiting BETWEEN 0 AND 100000),
  ADD COLUMN max_active integer CHECK (max_active BETWEEN 0 AND 100000);

-- Sets them, with its audit row (none when nothing changes). Refused once
-- the migration is over: its limits would mean nothing.
CREATE FUNCTION wallet_migration_limits(p_id bigint, p_waiting integer, p_active integer, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m manufacturer_migrations;
BEGIN
  IF p_waiting < 0 OR p_active < 0 OR p_waiting > 100000 OR p_active > 100000 THEN
    RAISE EXCEPTION 'a load limit is a number of sessions from 0 (off) to 100000, not %',
                    CASE WHEN p_waiting NOT BETWEEN 0 AND 100000 THEN p_waiting ELSE p_active END
      USING ERRCODE = 'WLMIG';
  END IF;
  SELECT * INTO m FROM manufacturer_migrations x WHERE x.id = p_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no migration #%', p_id USING ERRCODE = 'WLMIG',
      HINT = 'console migration status lists them';
  END IF;
  IF m.state NOT IN ('running', 'paused', 'rolling_back', 'moved') THEN
    RAISE EXCEPTION 'migration #% is %: its load limits no longer matter; nothing changed', p_id, m.state
      USING ERRCODE = 'WLMIG';
  END IF;
  IF m.max_waiting IS NOT DISTINCT FROM p_waiting AND m.max_active IS NOT DISTINCT FROM p_active THEN
    RETURN NULL;
  END IF;
  UPDATE manufacturer_migrations x SET max_waiting = p_waiting, max_active = p_active WHERE x.id = p_id;
  RETURN wallet_log('manufacturer_migration_limits', m.target_wallet_version, 'in_progress', p_note, NULL,
    jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name,
                       'max_waiting', p_waiting, 'max_active', p_active,
                       'was', jsonb_build_object('max_waiting', m.max_waiting, 'max_active', m.max_active)));
END
$$;
REVOKE EXECUTE ON FUNCTION wallet_migration_limits(bigint, integer, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wallet_migration_limits(bigint, integer, integer, text) TO wallet_operator;
