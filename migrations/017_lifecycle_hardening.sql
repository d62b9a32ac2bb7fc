-- What an attacker's review of 014–016 found, closed (store/attack_lifecycle_psql_test.go):
--
--   * a rollout's starter chose its own thresholds (50 % errors passed), a
--     failure limit of a million and a day-long measuring interval (so that
--     old empty minutes diluted the errors); a one-step {100} plan skipped
--     the promotion gate. Rollouts now hold to the seed's thresholds or
--     stricter, at most 10 failures, at most 10 minutes between
--     measurements, and at least one step below 100 % (so the promotion
--     gate always stands);
--   * promote moved a step on over a failing measurement: it now refuses
--     while a metric's latest measurement of the step failed (with no data
--     it still skips the dwell: that is the operator's call, logged);
--   * any operator could replace the identifier service's minutes, or write
--     minutes long past: a minute written unsimulated is never replaced, and
--     minutes before the previous one are refused;
--   * a wallet marked compromised kept its rollout and its traffic: leaving
--     deployed now rolls an open rollout back (or a completed one's traffic)
--     to the wallet it came from, in the same transaction;
--   * reasons made of tabs or newlines passed as given;
--   * activating without --default a wallet that carries traffic left the
--     default without it, so that the next rollout could not start.
--
--   * a login with the operator's rights recorded a validation run by hand,
--     without the HSM: a run now carries the wallet key's signature over
--     model.ValidationMessage, whose shape is checked here; the console
--     verifies it under the ceremony's key before an activation and in
--     `audit verify` (store.CheckKeys), as it does the backup proof;
--   * pausing and resuming a step reset its count of failed measurements:
--     an operator's pause keeps the count; only resuming a pause the
--     analysis made (--on-failure pause) starts it afresh.
--
-- Not closed here, and said in the README: the identifier service has no
-- role of its own, so an operator can write its minutes before it does.

CREATE FUNCTION wallet_blank(p text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT coalesce(p, '') ~ '^[[:space:]]*$'
$$;

-- The plan of a rollout, for every session (the owner's too).
CREATE FUNCTION wallet_rollouts_plan_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NEW.max_error_rate > 0.1 OR NEW.max_allocation_ms > 500 OR NEW.max_signature_ms > 10 THEN
    RAISE EXCEPTION 'a rollout is judged by the seed''s thresholds or stricter: error rate ≤ 0.1 %%, allocation ≤ 500 ms, signature ≤ 10 ms (these are % %%, % ms, % ms)',
                    NEW.max_error_rate, NEW.max_allocation_ms, NEW.max_signature_ms USING ERRCODE = 'WLDEP';
  END IF;
  IF NEW.failure_limit > 10 THEN
    RAISE EXCEPTION 'a step fails after at most 10 failed measurements of a metric (this asks for %)', NEW.failure_limit
      USING ERRCODE = 'WLDEP';
  END IF;
  IF NEW.measure_interval > interval '10 minutes' THEN
    RAISE EXCEPTION 'a step is measured at least every 10 minutes (this asks for every %)', NEW.measure_interval
      USING ERRCODE = 'WLDEP';
  END IF;
  IF cardinality(NEW.step_weights) < 2 THEN
    RAISE EXCEPTION 'a rollout has at least one step below 100 %%, so that its promotion gate stands before all the traffic moves'
      USING ERRCODE = 'WLDEP', HINT = 'e.g. --steps 1:10m,5:15m,25:20m,50:30m,100';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_rollouts_plan_guard
  BEFORE INSERT ON wallet_rollouts
  FOR EACH ROW EXECUTE FUNCTION wallet_rollouts_plan_guard();

-- 015's promote, refusing over a failed measurement.
CREATE OR REPLACE FUNCTION wallet_rollout_promote(p_version integer, p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r      wallet_rollouts := wallet_rollout_open(p_version);
  failed text;
BEGIN
  PERFORM wallet_rollout_refuse_final(r, 'promote');
  IF r.state = 'waiting_for_gate' THEN
    RAISE EXCEPTION 'v%''s rollout waits for the % gate: promote does not pass a gate; another login than % approves it',
                    p_version, r.gate, r.started_by
      USING ERRCODE = 'WLDEP', HINT = format('console deploy approve v%s --gate %s (as another login)', p_version, r.gate);
  END IF;
  IF r.state = 'paused' THEN
    RAISE EXCEPTION 'v%''s rollout is paused (%): resume it before promoting', p_version, r.reason
      USING ERRCODE = 'WLDEP', HINT = format('console deploy resume v%s', p_version);
  END IF;
  SELECT string_agg(mt, ', ') INTO failed
    FROM unnest(ARRAY['error_rate', 'allocation_latency', 'signature_latency', 'hsm_probe']) mt
   WHERE NOT coalesce((SELECT x.passed FROM wallet_rollout_measurements x
                        WHERE x.rollout_id = r.id AND x.step = r.current_step AND x.metric = mt
                          AND x.measured_at >= coalesce(r.analysis_since, r.step_started_at)
                        ORDER BY x.id DESC LIMIT 1), true);
  IF failed IS NOT NULL THEN
    RAISE EXCEPTION 'step % of v%''s rollout failed its latest measurement of %: promote skips the dwell, not a failing analysis',
                    r.current_step, p_version, failed
      USING ERRCODE = 'WLDEP', HINT = format('look at it (console deploy status v%s), or abort it', p_version);
  END IF;
  PERFORM wallet_log('deployment_promote', p_version, 'completed', p_note, NULL, jsonb_build_object(
    'rollout', r.id, 'step', r.current_step, 'skipped_seconds',
    greatest(0, round(extract(epoch FROM r.step_started_at + r.step_dwells[r.current_step] - now()))),
    'reason', nullif(btrim(coalesce(p_reason, '')), '')));
  RETURN wallet_rollout_next(r, p_note);
END
$$;

-- 015's abort, with a reason that says something.
CREATE OR REPLACE FUNCTION wallet_rollout_abort(p_version integer, p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r   wallet_rollouts := wallet_rollout_open(p_version);
  why text := CASE WHEN wallet_blank(p_reason) THEN NULL ELSE btrim(p_reason) END;
BEGIN
  PERFORM wallet_rollout_refuse_final(r, 'abort');
  IF why IS NULL THEN
    RAISE EXCEPTION 'aborting v%''s rollout needs a reason: say why, for the audit log', p_version
      USING ERRCODE = 'WLDEP', HINT = format('console deploy abort v%s --reason TEXT', p_version);
  END IF;
  RETURN wallet_rollout_back(r, 'aborted', format('aborted by %s: %s; traffic back to v%s', session_user, why, r.from_wallet),
                             'deployment_abort', p_note);
END
$$;

-- A minute the service wrote stands; simulated minutes may be written again
-- (a demo changing its traffic); nothing before the previous minute.
CREATE OR REPLACE FUNCTION wallet_record_minute_metrics(p_version integer, p_rows jsonb, p_simulated boolean, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  n     integer;
  sim   boolean := coalesce(p_simulated, false);
  first timestamptz;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM wallet_versions v WHERE v.version_id = p_version) THEN
    RAISE EXCEPTION 'there is no wallet v%', p_version USING ERRCODE = 'WLDEP';
  END IF;
  SELECT min(date_trunc('minute', (e->>'minute')::timestamptz)) INTO first FROM jsonb_array_elements(p_rows) e;
  IF first < date_trunc('minute', now()) - interval '1 minute' THEN
    RAISE EXCEPTION 'metrics are written as they happen: % is before the previous minute', wallet_rfc3339(first)
      USING ERRCODE = 'WLDEP';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_rows) e
               JOIN wallet_minute_metrics m ON m.wallet_version = p_version
                                           AND m.minute = date_trunc('minute', (e->>'minute')::timestamptz)
              WHERE NOT m.simulated OR NOT sim) THEN
    RAISE EXCEPTION 'a minute of v%''s metrics is written already: the identifier service''s minutes are never replaced', p_version
      USING ERRCODE = 'WLDEP';
  END IF;
  INSERT INTO wallet_minute_metrics (wallet_version, minute, requests, errors, allocation_ms, signature_ms, simulated)
  SELECT p_version, date_trunc('minute', (e->>'minute')::timestamptz), (e->>'requests')::bigint, (e->>'errors')::bigint,
         (e->>'allocation_ms')::numeric, (e->>'signature_ms')::numeric, sim
    FROM jsonb_array_elements(p_rows) e
  ON CONFLICT (wallet_version, minute) DO UPDATE
    SET requests = EXCLUDED.requests, errors = EXCLUDED.errors, allocation_ms = EXCLUDED.allocation_ms,
        signature_ms = EXCLUDED.signature_ms, simulated = EXCLUDED.simulated, written_at = now();
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN wallet_log('service_metrics', p_version, 'completed', p_note, NULL, jsonb_build_object(
    'minutes', n, 'simulated', sim,
    'first', wallet_rfc3339(first),
    'last', (SELECT wallet_rfc3339(max(date_trunc('minute', (e->>'minute')::timestamptz))) FROM jsonb_array_elements(p_rows) e)));
END
$$;

-- A wallet that leaves deployed (compromised) gives its traffic back: an
-- open rollout is rolled back, a completed one's share returns to the
-- wallet it came from.
CREATE FUNCTION wallet_rollout_release(p_version integer, p_why text, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r     wallet_rollouts;
  moved jsonb;
BEGIN
  SELECT * INTO r FROM wallet_rollouts x WHERE x.wallet_version = p_version ORDER BY x.id DESC LIMIT 1 FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF r.state IN ('waiting_for_gate', 'running', 'paused') THEN
    PERFORM wallet_rollout_back(r, 'aborted', format('aborted: %s; traffic back to v%s', p_why, r.from_wallet),
                                'deployment_abort', p_note);
  ELSIF r.state = 'completed'
        AND coalesce((SELECT s.traffic_percentage FROM wallet_traffic_share s WHERE s.wallet_version = p_version), 0) > 0 THEN
    moved := wallet_rollout_set_share(r, 0);
    PERFORM wallet_log('deployment_abort', p_version, 'completed', p_note, NULL, jsonb_build_object(
      'rollout', r.id, 'reason', p_why, 'shares', moved));
  END IF;
END
$$;

-- 016's wallet_transition, with both: a reason that says something, and a
-- compromised wallet's traffic given back in the same transaction.
CREATE OR REPLACE FUNCTION wallet_transition(p_version integer, p_to text, p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  w      wallet_versions;
  c      key_ceremonies;
  reason text := CASE WHEN wallet_blank(p_reason) THEN NULL ELSE btrim(p_reason) END;
  live   bigint;
  typ    text;
BEGIN
  SELECT * INTO w FROM wallet_versions v WHERE v.version_id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no wallet v%', p_version USING ERRCODE = 'WLTRN';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM wallet_status_transitions t WHERE t.from_status = w.status AND t.to_status = p_to) THEN
    SELECT string_agg(t.to_status, ', ' ORDER BY t.to_status) INTO typ FROM wallet_status_transitions t WHERE t.from_status = w.status;
    RAISE EXCEPTION 'illegal status transition for %: % → %', w.version_name, w.status, p_to
      USING ERRCODE = 'WLTRN',
            DETAIL = CASE WHEN typ IS NULL THEN format('%s is final', w.status)
                          ELSE format('from %s the allowed next states are: %s', w.status, typ) END;
  END IF;
  IF p_to IN ('inactive', 'deprecated', 'retired', 'compromised') AND reason IS NULL THEN
    RAISE EXCEPTION 'making % % needs a reason: say why, for the audit log', w.version_name, p_to USING ERRCODE = 'WLTRN';
  END IF;
  CASE
  WHEN p_to = 'validated' THEN
    RAISE EXCEPTION '% is validated only by its validation suite: use console validate %', w.version_name, w.version_name
      USING ERRCODE = 'WLTRN';
  WHEN p_to = 'deployed' THEN
    RAISE EXCEPTION '% is deployed only by starting its rollout: use console deploy start %', w.version_name, w.version_name
      USING ERRCODE = 'WLTRN';
  WHEN p_to = 'active' AND w.status = 'deployed' THEN
    RAISE EXCEPTION '% is activated only with its checks: use console activate %', w.version_name, w.version_name
      USING ERRCODE = 'WLTRN';
  WHEN p_to = 'active' THEN
    SELECT * INTO c FROM key_ceremonies k WHERE k.wallet_version = p_version;
    IF NOT FOUND THEN
      RAISE EXCEPTION '% cannot be activated: it has no imported key ceremony, so nothing proves how its key was made', w.version_name
        USING ERRCODE = 'WLTRN';
    END IF;
    IF NOT c.backup_proven THEN
      RAISE EXCEPTION '% cannot be activated: the backup of its master key is not proven', w.version_name
        USING ERRCODE = 'WLTRN', HINT = 'console ceremony prove-backup ' || w.version_name || ' --backup-token LABEL';
    END IF;
  WHEN p_to IN ('inactive', 'deprecated') THEN
    IF w.is_default THEN
      RAISE EXCEPTION '% is the default wallet: move the default to another active wallet first', w.version_name
        USING ERRCODE = 'WLTRN';
    END IF;
  WHEN p_to = 'retired' THEN
    IF w.status = 'deprecated' THEN
      SELECT coalesce(sum(s.paths), 0) INTO live FROM wallet_path_stats s
       WHERE s.wallet_version = p_version AND s.status IN ('active', 'migrating');
      IF live > 0 THEN
        RAISE EXCEPTION '% cannot be retired: % paths in it are still live; migrate them first', w.version_name, live
          USING ERRCODE = 'WLTRN';
      END IF;
    END IF;
  ELSE
    NULL;
  END CASE;

  IF w.status IN ('validated', 'deployed') AND p_to = 'compromised' THEN
    PERFORM wallet_rollout_release(p_version, w.version_name || ' was marked compromised (' || reason || ')', p_note);
  END IF;
  UPDATE wallet_versions SET status = p_to,
         deprecation_reason = CASE WHEN p_to = 'deprecated' THEN reason ELSE deprecation_reason END
   WHERE version_id = p_version;
  typ := CASE p_to WHEN 'active' THEN 'wallet_reactivation' WHEN 'inactive' THEN 'wallet_deactivation'
                   WHEN 'deprecated' THEN 'wallet_deprecation' WHEN 'retired' THEN 'wallet_retirement'
                   WHEN 'compromised' THEN 'wallet_compromise' ELSE 'wallet_status_change' END;
  RETURN wallet_log(typ, p_version, 'completed', p_note, NULL, jsonb_build_object(
    'from', w.status, 'to', p_to, 'reason', reason));
END
$$;

-- 016's activation: a wallet that carries traffic becomes the default with
-- it, so that the default and the traffic agree (else the next rollout,
-- which takes traffic from the default, could not start).
CREATE OR REPLACE FUNCTION wallet_activate(p_version integer, p_default boolean, p_expect_default integer, p_note text) RETURNS bigint
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

ALTER TABLE validation_runs ADD COLUMN signature bytea;

CREATE OR REPLACE FUNCTION wallet_record_validation(p_version integer, p jsonb, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  w        wallet_versions;
  run      uuid;
  started  timestamptz;
  finished timestamptz;
  names    text[];
  failed   text;
  sig      bytea;
BEGIN
  SELECT * INTO w FROM wallet_versions v WHERE v.version_id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no wallet v%', p_version USING ERRCODE = 'WLTRN';
  END IF;
  IF w.status <> 'created' THEN
    RAISE EXCEPTION '% is %: only a created wallet is validated', w.version_name, w.status USING ERRCODE = 'WLTRN';
  END IF;
  BEGIN
    run := (p->>'run_id')::uuid;
    started := (p->>'started_at')::timestamptz;
    finished := (p->>'finished_at')::timestamptz;
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'the validation run of % is malformed (run id or times)', w.version_name USING ERRCODE = 'WLTRN';
  END;
  IF run IS NULL OR started IS NULL OR finished IS NULL OR finished < started THEN
    RAISE EXCEPTION 'the validation run of % has no run id or no times', w.version_name USING ERRCODE = 'WLTRN';
  END IF;
  -- The run is of this wallet as it is now, and recent: a run kept back
  -- and recorded later says nothing of today's key and token.
  IF started < w.created_at OR finished > now() + interval '1 minute' OR finished < now() - interval '1 hour' THEN
    RAISE EXCEPTION 'the validation run of % ran at % – %, not within the last hour of a wallet created at %',
                    w.version_name, started, finished, w.created_at
      USING ERRCODE = 'WLTRN', HINT = 'run console validate ' || w.version_name || ' again';
  END IF;
  IF jsonb_typeof(p->'tests') IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'the validation run of % has no tests', w.version_name USING ERRCODE = 'WLTRN';
  END IF;
  SELECT array_agg(DISTINCT t->>'name' ORDER BY t->>'name') INTO names FROM jsonb_array_elements(p->'tests') t;
  IF jsonb_array_length(p->'tests') <> 7
     OR names IS DISTINCT FROM (SELECT array_agg(n ORDER BY n) FROM unnest(wallet_validation_tests()) n) THEN
    RAISE EXCEPTION 'the validation run of % holds tests %, not the seven of the suite (%)', w.version_name,
                    coalesce(array_to_string(names, ', '), 'none'), array_to_string(wallet_validation_tests(), ', ')
      USING ERRCODE = 'WLTRN';
  END IF;
  SELECT string_agg(t->>'name', ', ') INTO failed FROM jsonb_array_elements(p->'tests') t
   WHERE NOT coalesce((t->>'passed')::boolean, false);
  IF failed IS NOT NULL THEN
    RAISE EXCEPTION '% cannot be validated: its run failed %', w.version_name, failed
      USING ERRCODE = 'WLTRN', HINT = 'fix what the failed tests say and run console validate ' || w.version_name || ' again';
  END IF;

  -- The wallet's key signed the run (model.ValidationMessage); the shape is
  -- checked here, the signature by the console wherever it relies on the run.
  BEGIN
    sig := decode(p->>'signature', 'hex');
  EXCEPTION WHEN OTHERS THEN
    sig := NULL;
  END;
  IF sig IS NULL OR length(sig) <> 64 OR sig = decode(repeat('00', 64), 'hex') THEN
    RAISE EXCEPTION 'the validation run of % is not signed by its key (64 bytes): run console validate %', w.version_name, w.version_name
      USING ERRCODE = 'WLTRN';
  END IF;
  INSERT INTO validation_runs (run_id, wallet_version, started_at, finished_at, passed, baseline, signature)
  VALUES (run, p_version, started, finished, true, coalesce(p->'baseline', '{}'), sig);
  INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed, details, ran_at)
  SELECT run, p_version, t->>'name', t->>'severity', true, coalesce(t->'details', '{}'), finished
    FROM jsonb_array_elements(p->'tests') t;
  UPDATE wallet_versions SET status = 'validated' WHERE version_id = p_version;
  RETURN wallet_log('wallet_validation', p_version, 'completed', p_note, NULL, jsonb_build_object(
    'from', w.status, 'to', 'validated', 'run_id', run, 'tests_passed', 7,
    'started_at', wallet_rfc3339(started), 'finished_at', wallet_rfc3339(finished),
    'baseline', coalesce(p->'baseline', '{}')));
END
$$;

-- 015's resume: an operator's pause keeps the step's failures counted; a
-- pause the analysis made (its reason says so) is resumed afresh, since the
-- operator has looked at what failed.
CREATE OR REPLACE FUNCTION wallet_rollout_resume(p_version integer, p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_rollouts := wallet_rollout_open(p_version);
BEGIN
  PERFORM wallet_rollout_refuse_final(r, 'resume');
  IF r.state <> 'paused' THEN
    RAISE EXCEPTION 'v%''s rollout is not paused: it is % (%)', p_version, replace(r.state, '_', ' '), r.reason USING ERRCODE = 'WLDEP';
  END IF;
  UPDATE wallet_rollouts SET state = 'running', step_started_at = step_started_at + (now() - paused_at),
         analysis_since = CASE WHEN r.reason LIKE '%; paused (--on-failure pause)' THEN now() ELSE analysis_since END,
         paused_at = NULL,
         reason = format('step %s of %s: %s %% of the traffic (resumed by %s)', r.current_step, cardinality(r.step_weights),
                         r.step_weights[r.current_step], session_user)
   WHERE id = r.id;
  PERFORM wallet_log('deployment_resume', p_version, 'completed', p_note, NULL, jsonb_build_object(
    'rollout', r.id, 'step', r.current_step, 'reason', nullif(btrim(coalesce(p_reason, '')), '')));
  RETURN 'running';
END
$$;

REVOKE EXECUTE ON FUNCTION wallet_blank(text), wallet_rollout_release(integer, text, text) FROM PUBLIC;
