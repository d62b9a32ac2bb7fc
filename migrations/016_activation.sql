-- Activation (deployed → active), the seed's transaction (000, 4.2), all or
-- nothing, through one function (issue 11).
--
-- wallet_activation_checks lists the preconditions, each with what it found
-- and what to do; the console shows them as the flow's checks, and
-- wallet_activate refuses on the same list, so that the two never disagree.
-- The default moves only if it is still what the operator saw
-- (p_expect_default): of two operators activating two wallets with
-- --default at the same moment, one moves it and the other is told, under
-- the same lock and in the same order as wallet_move_default (013).

-- Why the wallet's rollout does not let it be activated (NULL: it does): its
-- latest rollout (015) completed — it reached 100 % — with its promotion
-- gate signed off.
CREATE FUNCTION wallet_rollout_refusal(p_version integer) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_rollouts;
BEGIN
  SELECT * INTO r FROM wallet_rollouts x WHERE x.wallet_version = p_version ORDER BY x.id DESC LIMIT 1;
  IF NOT FOUND THEN
    RETURN 'v' || p_version || ' has no rollout: no rollout of it reached 100 %';
  END IF;
  IF r.state <> 'completed' THEN
    RETURN format('v%s''s rollout is %s (%s): no rollout of it reached 100 %% yet', p_version, r.state, r.reason);
  END IF;
  IF r.promotion_approved_by IS NULL THEN
    RETURN format('v%s''s rollout completed without a promotion gate sign-off', p_version);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION wallet_activation_checks(p_version integer)
RETURNS TABLE (name text, passed boolean, evidence text, fix text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  w        wallet_versions;
  c        key_ceremonies;
  vn       text := 'v' || p_version;
  last_ok  timestamptz;
  rollout  text;
BEGIN
  SELECT * INTO w FROM wallet_versions v WHERE v.version_id = p_version;
  IF NOT FOUND THEN
    name := 'the wallet exists'; passed := false; evidence := 'there is no wallet ' || vn;
    fix := 'console status lists the wallets'; RETURN NEXT;
    RETURN;
  END IF;

  name := 'it is deployed';
  passed := w.status = 'deployed';
  evidence := vn || ' is ' || w.status;
  fix := CASE w.status WHEN 'active' THEN 'it is active already'
                       WHEN 'created' THEN 'validate it, then deploy it: console validate ' || vn
                       WHEN 'validated' THEN 'deploy it first: console deploy start ' || vn
                       ELSE 'only a deployed wallet is activated' END;
  RETURN NEXT;

  rollout := wallet_rollout_refusal(p_version);
  name := 'its rollout reached 100 % and passed the promotion gate';
  passed := rollout IS NULL;
  evidence := coalesce(rollout, 'the rollout of ' || vn || ' completed at 100 % after its promotion gate');
  fix := 'finish the rollout: console deploy status ' || vn;
  RETURN NEXT;

  SELECT max(r.last_at) INTO last_ok FROM (
    SELECT max(x.ran_at) AS last_at FROM validation_results x
     WHERE x.wallet_version = p_version
     GROUP BY x.run_id HAVING count(DISTINCT x.test_name) >= 7 AND bool_and(x.passed)) r;
  name := 'it passed validation in the last 30 days';
  passed := last_ok IS NOT NULL AND last_ok > now() - interval '30 days';
  evidence := CASE WHEN last_ok IS NULL THEN 'no validation run of ' || vn || ' passed all seven tests'
                   ELSE 'its last passing validation ran at ' || to_char(last_ok AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' END;
  fix := 'validate it again: console validate ' || vn;
  RETURN NEXT;

  SELECT * INTO c FROM key_ceremonies k WHERE k.wallet_version = p_version;
  name := 'the backup of its master key is proven';
  passed := FOUND AND c.backup_proven
            AND EXISTS (SELECT 1 FROM key_ceremony_backup_proofs p WHERE p.ceremony_id = c.ceremony_id);
  evidence := CASE WHEN c.ceremony_id IS NULL THEN vn || ' has no imported key ceremony, so nothing proves its backup'
                   WHEN passed THEN 'key ceremony ' || c.ceremony_id || '''s backup is proven'
                   ELSE 'the backup of ' || vn || '''s master key (key ceremony ' || c.ceremony_id || ') is not proven' END;
  fix := 'console ceremony prove-backup ' || vn || ' --backup-token LABEL';
  RETURN NEXT;
END
$$;

-- The seed's activation. A wallet that carries traffic becomes the default
-- with it, so that the default and the traffic agree (else the next rollout,
-- which takes traffic from the default, could not start).
CREATE FUNCTION wallet_activate(p_version integer, p_default boolean, p_expect_default integer, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  w       wallet_versions;
  prev    integer;
  missing text;
  plings  uuid := '00000000-0000-0000-0000-000000000000';
BEGIN
  IF p_default THEN
    PERFORM pg_advisory_xact_lock(20251110, 0);   -- wallet_move_default's lock, first
    PERFORM 1 FROM wallet_versions v WHERE v.version_id = p_version OR v.is_default ORDER BY v.version_id FOR UPDATE;
  END IF;
  SELECT * INTO w FROM wallet_versions v WHERE v.version_id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no wallet v%', p_version USING ERRCODE = 'WLTRN';
  END IF;
  SELECT string_agg(c.evidence || ' (' || c.fix || ')', '; ') INTO missing
    FROM wallet_activation_checks(p_version) c WHERE NOT c.passed;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '% cannot be activated: %', w.version_name, missing USING ERRCODE = 'WLTRN';
  END IF;
  IF NOT p_default AND coalesce((SELECT s.traffic_percentage FROM wallet_traffic_share s WHERE s.wallet_version = p_version), 0) > 0 THEN
    RAISE EXCEPTION '% carries % %% of the traffic: activate it with --default, so that the default and the traffic agree',
                    w.version_name, (SELECT trim_scale(s.traffic_percentage) FROM wallet_traffic_share s WHERE s.wallet_version = p_version)
      USING ERRCODE = 'WLTRN', HINT = 'console activate ' || w.version_name || ' --default';
  END IF;
  SELECT v.version_id INTO prev FROM wallet_versions v WHERE v.is_default;
  IF p_default AND prev IS DISTINCT FROM nullif(p_expect_default, 0) THEN
    RAISE EXCEPTION 'the default moved to % while % was being activated (it was % when you looked); nothing changed: look again and activate once more',
                    coalesce('v' || prev, 'none'), w.version_name, coalesce('v' || nullif(p_expect_default, 0), 'none')
      USING ERRCODE = 'WLTRN';
  END IF;

  UPDATE wallet_versions SET status = 'active' WHERE version_id = p_version;
  IF p_default THEN
    UPDATE wallet_versions SET is_default = (version_id = p_version) WHERE is_default OR version_id = p_version;
  END IF;
  INSERT INTO manufacturer_registry (wallet_version, manufacturer_index, manufacturer_name, status, registered_by)
  VALUES (p_version, 1, 'Plings', 'active', plings)
  ON CONFLICT (wallet_version, manufacturer_index) DO NOTHING;
  IF p_default THEN
    INSERT INTO manufacturer_lineage (canonical_name, current_wallet_version, current_manufacturer_index,
                                      predecessor_wallet, predecessor_index, migration_reason, migration_status,
                                      migration_completion_percentage)
    VALUES ('Plings', p_version, 1, prev, CASE WHEN prev IS NULL THEN NULL ELSE 1 END, 'wallet_activation', 'completed', 100)
    ON CONFLICT (canonical_name) DO UPDATE SET
      current_wallet_version = p_version, current_manufacturer_index = 1,
      predecessor_wallet = EXCLUDED.predecessor_wallet, predecessor_index = EXCLUDED.predecessor_index,
      migration_reason = 'wallet_activation', migration_date = now(),
      migration_status = 'completed', migration_completion_percentage = 100;
  END IF;
  RETURN wallet_log('wallet_activation', p_version, 'completed', p_note, w.approval_id, jsonb_build_object(
    'set_as_default', p_default, 'previous_default_wallet', CASE WHEN prev IS NULL THEN NULL ELSE 'v' || prev END,
    'activation_method', 'blue_green_deployment'));
END
$$;

REVOKE EXECUTE ON FUNCTION wallet_rollout_refusal(integer), wallet_activation_checks(integer),
  wallet_activate(integer, boolean, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wallet_activation_checks(integer) TO wallet_viewer, wallet_operator, wallet_approver;
GRANT EXECUTE ON FUNCTION wallet_activate(integer, boolean, integer, text) TO wallet_operator;
