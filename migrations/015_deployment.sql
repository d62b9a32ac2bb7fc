-- The gradual blue-green deployment (issue 11, "Deployment"): validated →
-- deployed, then traffic 1 → 5 → 25 → 50 → 100 % in steps, each judged
-- against the health thresholds, with two gates signed off by a second login.
--
--   * The rollout is a state machine in wallet_rollouts (its steps and dwell
--     times, the current step and when it started, the state and why), so
--     any console can watch it and a controller killed mid-step resumes
--     from the database's own clock. One rollout is open at a time.
--   * wallet_traffic_share (006) is where the identifier service reads its
--     routing: its shares always sum to 100 (a deferred constraint trigger,
--     checked at commit for every role, owner included). Only the rollout
--     functions below change it, each with its audit row.
--   * Measurements per step (time, metric, value, threshold, pass/fail) are
--     computed here, from the per-minute metrics the identifier service
--     writes (wallet_minute_metrics; its `simulated` column is the demo's
--     mark, which nothing below reads).
--   * Every change is a SECURITY DEFINER function: console roles still hold
--     no table grants (013).
--
-- 006's `deployments` table was never written by the console; it is
-- replaced by wallet_rollouts.

DROP TABLE deployments;

CREATE TABLE wallet_rollouts (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  wallet_version   integer NOT NULL REFERENCES wallet_versions(version_id),
  -- The default wallet when the rollout started: traffic comes from it and
  -- goes back to it.
  from_wallet      integer NOT NULL REFERENCES wallet_versions(version_id),
  step_weights     integer[] NOT NULL,
  step_dwells      interval[] NOT NULL,
  measure_interval interval NOT NULL CHECK (measure_interval > interval '0'),
  failure_limit    integer NOT NULL CHECK (failure_limit >= 1),
  on_failure       varchar(10) NOT NULL CHECK (on_failure IN ('rollback', 'pause')),
  gate_timeout     interval NOT NULL CHECK (gate_timeout > interval '0'),
  -- Thresholds (model.DefaultThresholds at start): error rate in percent.
  max_error_rate   numeric NOT NULL,
  max_allocation_ms numeric NOT NULL,
  max_signature_ms numeric NOT NULL,
  -- 0: no step applied yet; k: step_weights[k] is the traffic set now.
  current_step     integer NOT NULL DEFAULT 0,
  step_started_at  timestamptz,
  -- Failed measurements are counted from here (the step's start, or the
  -- last resume: a resumed rollout is judged afresh).
  analysis_since   timestamptz,
  paused_at        timestamptz,
  state            varchar(20) NOT NULL
                     CHECK (state IN ('waiting_for_gate', 'running', 'paused', 'rolled_back', 'completed', 'aborted')),
  reason           text NOT NULL,
  gate             varchar(10) CHECK (gate IN ('go', 'promotion')),
  gate_deadline    timestamptz,
  go_approved_by   text,
  go_approved_at   timestamptz,
  promotion_approved_by text,
  promotion_approved_at timestamptz,
  started_by       text NOT NULL,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  CHECK (from_wallet <> wallet_version),
  CHECK (cardinality(step_weights) >= 1 AND cardinality(step_weights) = cardinality(step_dwells)),
  CHECK (step_weights[cardinality(step_weights)] = 100),
  CHECK (current_step BETWEEN 0 AND cardinality(step_weights)),
  CHECK ((state = 'waiting_for_gate') = (gate IS NOT NULL AND gate_deadline IS NOT NULL))
);

-- One rollout moves traffic at a time: each takes it from the default.
CREATE UNIQUE INDEX one_open_rollout ON wallet_rollouts ((true))
  WHERE state IN ('waiting_for_gate', 'running', 'paused');
CREATE INDEX idx_rollouts_wallet ON wallet_rollouts (wallet_version, id);

CREATE TABLE wallet_rollout_measurements (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rollout_id  bigint NOT NULL REFERENCES wallet_rollouts(id),
  step        integer NOT NULL,
  weight      integer NOT NULL,
  measured_at timestamptz NOT NULL DEFAULT now(),
  metric      varchar(30) NOT NULL
                CHECK (metric IN ('error_rate', 'allocation_latency', 'signature_latency', 'hsm_signature')),
  value       numeric,          -- NULL: no data, which is not a pass
  threshold   numeric NOT NULL, -- the value passes when it is at most this
  passed      boolean NOT NULL,
  detail      text NOT NULL
);
CREATE INDEX idx_rollout_measurements ON wallet_rollout_measurements (rollout_id, step, measured_at);

-- What the identifier service measures, one row per wallet and minute (the
-- daily wallet_health_metrics is too coarse for a 10-minute step).
CREATE TABLE wallet_minute_metrics (
  wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  minute         timestamptz NOT NULL CHECK (minute = date_trunc('minute', minute)),
  requests       bigint NOT NULL CHECK (requests >= 0),
  errors         bigint NOT NULL CHECK (errors >= 0 AND errors <= requests),
  allocation_ms  numeric(10, 2) CHECK (allocation_ms >= 0),
  signature_ms   numeric(10, 2) CHECK (signature_ms >= 0),
  -- Written by `console demo traffic`, not by the service. Only people
  -- read it: the analysis never does.
  simulated      boolean NOT NULL DEFAULT false,
  written_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (wallet_version, minute)
);

GRANT SELECT ON wallet_rollouts, wallet_rollout_measurements, wallet_minute_metrics
  TO wallet_viewer, wallet_operator, wallet_approver;

-- ---------------------------------------------------------------------------
-- The shares always sum to 100 (when there are any: an empty table routes
-- nothing yet). Deferred to commit, so that one transaction may move n %
-- from one wallet to another in two statements.

CREATE FUNCTION wallet_traffic_share_total() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  total numeric;
  n     bigint;
BEGIN
  SELECT coalesce(sum(traffic_percentage), 0), count(*) INTO total, n FROM wallet_traffic_share;
  IF n > 0 AND total <> 100 THEN
    RAISE EXCEPTION 'the traffic shares would sum to % %%, not 100 %%: the identifier service routes every request to some wallet',
                    trim_scale(total)
      USING ERRCODE = 'WLDEP', CONSTRAINT = 'traffic_shares_sum_to_100',
            HINT = 'shares move only with a rollout: console deploy start|abort vN';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER traffic_shares_sum_to_100
  AFTER INSERT OR UPDATE OR DELETE ON wallet_traffic_share
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION wallet_traffic_share_total();

-- ---------------------------------------------------------------------------
-- Internal steps (callable by nobody but the owner). Each takes the rollout
-- row already locked FOR UPDATE by its caller.

-- Sets the new wallet's share to p_weight, taking the difference from (or
-- giving it back to) the wallet the rollout started from; returns what
-- moved, for the audit row.
CREATE FUNCTION wallet_rollout_set_share(r wallet_rollouts, p_weight integer) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  cur_new  numeric;
  cur_from numeric;
  delta    numeric;
BEGIN
  -- 010's per-wallet key, taken exclusively: an allocation in flight that
  -- read the old share commits first, and none commits against a share
  -- already left (as with a status change).
  PERFORM pg_advisory_xact_lock(20251109, r.wallet_version);
  PERFORM 1 FROM wallet_traffic_share s WHERE s.wallet_version IN (r.wallet_version, r.from_wallet)
    ORDER BY s.wallet_version FOR UPDATE;
  SELECT coalesce((SELECT traffic_percentage FROM wallet_traffic_share WHERE wallet_version = r.wallet_version), 0) INTO cur_new;
  SELECT traffic_percentage INTO cur_from FROM wallet_traffic_share WHERE wallet_version = r.from_wallet;
  IF NOT FOUND THEN
    cur_from := 0;
  END IF;
  delta := p_weight - cur_new;
  IF cur_from - delta < 0 THEN
    RAISE EXCEPTION 'v% has % %% of the traffic, and % %% would have to move from it to v%',
                    r.from_wallet, trim_scale(cur_from), trim_scale(delta), r.wallet_version
      USING ERRCODE = 'WLDEP', HINT = 'the shares changed outside this rollout; abort it (console deploy abort vN) and start again';
  END IF;
  INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage, updated_at)
  VALUES (r.wallet_version, p_weight, now())
  ON CONFLICT (wallet_version) DO UPDATE SET traffic_percentage = EXCLUDED.traffic_percentage, updated_at = now();
  UPDATE wallet_traffic_share SET traffic_percentage = cur_from - delta, updated_at = now()
   WHERE wallet_version = r.from_wallet;
  RETURN jsonb_build_object(
    'v' || r.wallet_version, jsonb_build_object('before', trim_scale(cur_new), 'after', p_weight),
    'v' || r.from_wallet, jsonb_build_object('before', trim_scale(cur_from), 'after', trim_scale(cur_from - delta)));
END
$$;

-- The measurements of the current step since its analysis began, newest
-- first, for audit rows.
CREATE FUNCTION wallet_rollout_recent(r wallet_rollouts) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('at', wallet_rfc3339(m.measured_at), 'metric', m.metric,
                  'value', trim_scale(m.value), 'threshold', trim_scale(m.threshold), 'passed', m.passed, 'detail', m.detail)
                  ORDER BY m.id DESC), '[]')
    FROM (SELECT * FROM wallet_rollout_measurements x
           WHERE x.rollout_id = r.id AND x.step = r.current_step AND x.measured_at >= r.analysis_since
           ORDER BY x.id DESC LIMIT 24) m
$$;

-- Applies step k: its traffic, its start, its audit row. The last step
-- without a dwell completes the rollout at once.
CREATE FUNCTION wallet_rollout_apply_step(r wallet_rollouts, k integer, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  moved jsonb;
  n     integer := cardinality(r.step_weights);
BEGIN
  moved := wallet_rollout_set_share(r, r.step_weights[k]);
  UPDATE wallet_rollouts SET current_step = k, step_started_at = now(), analysis_since = now(), state = 'running',
         gate = NULL, gate_deadline = NULL, paused_at = NULL,
         reason = format('step %s of %s: %s %% of the traffic', k, n, r.step_weights[k])
   WHERE id = r.id;
  PERFORM wallet_log('deployment_step', r.wallet_version, 'completed', p_note, NULL, jsonb_build_object(
    'rollout', r.id, 'step', k, 'steps', n, 'weight', r.step_weights[k],
    'dwell_seconds', extract(epoch FROM r.step_dwells[k]), 'shares', moved));
  IF k = n AND r.step_dwells[k] = interval '0' THEN
    SELECT * INTO r FROM wallet_rollouts WHERE id = r.id;
    RETURN wallet_rollout_complete(r, p_note);
  END IF;
  RETURN 'running';
END
$$;

CREATE FUNCTION wallet_rollout_complete(r wallet_rollouts, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  UPDATE wallet_rollouts SET state = 'completed', finished_at = now(),
         reason = format('all %s steps done: v%s takes 100 %% of the traffic', cardinality(r.step_weights), r.wallet_version)
   WHERE id = r.id;
  PERFORM wallet_log('deployment_completed', r.wallet_version, 'completed', p_note, NULL, jsonb_build_object(
    'rollout', r.id, 'from', 'v' || r.from_wallet, 'go_approved_by', r.go_approved_by,
    'promotion_approved_by', r.promotion_approved_by));
  RETURN 'completed';
END
$$;

-- After step k: the next step, or the promotion gate before 100 %, or done.
CREATE FUNCTION wallet_rollout_next(r wallet_rollouts, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  n integer := cardinality(r.step_weights);
  k integer := r.current_step;
BEGIN
  IF k >= n THEN
    RETURN wallet_rollout_complete(r, p_note);
  END IF;
  IF r.step_weights[k + 1] = 100 AND r.promotion_approved_by IS NULL THEN
    UPDATE wallet_rollouts SET state = 'waiting_for_gate', gate = 'promotion', gate_deadline = now() + r.gate_timeout,
           reason = format('step %s of %s passed; 100 %% waits for the promotion gate: another login than %s approves',
                           k, n, r.started_by)
     WHERE id = r.id;
    PERFORM wallet_log('deployment_gate_waiting', r.wallet_version, 'in_progress', p_note, NULL, jsonb_build_object(
      'rollout', r.id, 'gate', 'promotion', 'step', k, 'deadline', wallet_rfc3339(now() + r.gate_timeout)));
    RETURN 'waiting_for_gate';
  END IF;
  RETURN wallet_rollout_apply_step(r, k + 1, p_note);
END
$$;

-- Traffic back to the wallet it came from, in this transaction, with the
-- audit row carrying why and the measurements.
CREATE FUNCTION wallet_rollout_back(r wallet_rollouts, p_state text, p_reason text, p_type text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  moved jsonb;
BEGIN
  moved := wallet_rollout_set_share(r, 0);
  UPDATE wallet_rollouts SET state = p_state, reason = p_reason, finished_at = now(), gate = NULL, gate_deadline = NULL
   WHERE id = r.id;
  PERFORM wallet_log(p_type, r.wallet_version, 'completed', p_note, NULL, jsonb_build_object(
    'rollout', r.id, 'state', p_state, 'reason', p_reason, 'step', r.current_step,
    'weight', CASE WHEN r.current_step > 0 THEN r.step_weights[r.current_step] ELSE 0 END,
    'shares', moved, 'measurements', CASE WHEN r.analysis_since IS NULL THEN NULL ELSE wallet_rollout_recent(r) END));
  RETURN p_state;
END
$$;

-- The open rollout of a wallet, locked; refused in the operator's words.
CREATE FUNCTION wallet_rollout_open(p_version integer) RETURNS wallet_rollouts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_rollouts;
BEGIN
  SELECT * INTO r FROM wallet_rollouts x WHERE x.wallet_version = p_version ORDER BY x.id DESC LIMIT 1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'v% has no rollout', p_version
      USING ERRCODE = 'WLDEP', HINT = format('start one: console deploy start v%s', p_version);
  END IF;
  RETURN r;
END
$$;

CREATE FUNCTION wallet_rollout_refuse_final(r wallet_rollouts, what text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF r.state IN ('rolled_back', 'completed', 'aborted') THEN
    RAISE EXCEPTION 'cannot % v%''s rollout: it is % (%)', what, r.wallet_version, replace(r.state, '_', ' '), r.reason
      USING ERRCODE = 'WLDEP',
            HINT = CASE WHEN r.state = 'completed' THEN 'nothing is left to do in it'
                        ELSE format('start a new one: console deploy start v%s', r.wallet_version) END;
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- What console roles call.

-- deploy start: validated → deployed (or a deployed wallet whose last rollout
-- was rolled back or aborted), the rollout made, waiting for the go gate.
CREATE FUNCTION wallet_rollout_start(p_version integer, p_weights integer[], p_dwells interval[], p_interval interval,
  p_failure_limit integer, p_on_failure text, p_gate_timeout interval,
  p_max_error_rate numeric, p_max_allocation_ms numeric, p_max_signature_ms numeric, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  w    wallet_versions;
  d    wallet_versions;
  o    wallet_rollouts;
  id_  bigint;
  i    integer;
  n    integer := coalesce(cardinality(p_weights), 0);
BEGIN
  SELECT * INTO w FROM wallet_versions v WHERE v.version_id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no wallet v%', p_version USING ERRCODE = 'WLDEP';
  END IF;
  IF w.status = 'deployed' THEN
    IF EXISTS (SELECT 1 FROM wallet_rollouts x WHERE x.wallet_version = p_version AND x.state = 'completed') THEN
      RAISE EXCEPTION '% was deployed already: its rollout completed', w.version_name
        USING ERRCODE = 'WLDEP', HINT = 'activate it: console activate ' || w.version_name;
    END IF;
  ELSIF w.status <> 'validated' THEN
    RAISE EXCEPTION '% is %: only a validated wallet is deployed', w.version_name, w.status
      USING ERRCODE = 'WLDEP',
            HINT = CASE WHEN w.status = 'created' THEN 'validate it first: console validate ' || w.version_name
                        ELSE 'it is past deployment' END;
  END IF;
  SELECT * INTO o FROM wallet_rollouts x WHERE x.state IN ('waiting_for_gate', 'running', 'paused');
  IF FOUND THEN
    RAISE EXCEPTION 'v%''s rollout is % (started by %): one rollout moves traffic at a time', o.wallet_version,
                    replace(o.state, '_', ' '), o.started_by
      USING ERRCODE = 'WLDEP', HINT = format('let it finish, or abort it: console deploy abort v%s --reason TEXT', o.wallet_version);
  END IF;
  SELECT * INTO d FROM wallet_versions v WHERE v.is_default;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no default wallet to take traffic from' USING ERRCODE = 'WLDEP',
      HINT = 'make an active wallet the default first';
  END IF;
  IF n = 0 OR cardinality(p_dwells) IS DISTINCT FROM n THEN
    RAISE EXCEPTION 'a rollout needs its steps, each with its weight and dwell' USING ERRCODE = 'WLDEP';
  END IF;
  FOR i IN 1 .. n LOOP
    IF p_weights[i] IS NULL OR p_weights[i] < 1 OR p_weights[i] > 100 OR (i > 1 AND p_weights[i] <= p_weights[i - 1]) THEN
      RAISE EXCEPTION 'step weights go up from 1 to 100 %%, each above the one before (step % is %)', i, coalesce(p_weights[i]::text, 'empty')
        USING ERRCODE = 'WLDEP';
    END IF;
    IF p_dwells[i] IS NULL OR p_dwells[i] < interval '0' OR (p_weights[i] < 100 AND p_dwells[i] = interval '0') THEN
      RAISE EXCEPTION 'step % (% %%) needs a dwell time: it is judged over it', i, p_weights[i] USING ERRCODE = 'WLDEP';
    END IF;
  END LOOP;
  IF p_weights[n] <> 100 THEN
    RAISE EXCEPTION 'the last step is 100 %% (it is % %%)', p_weights[n] USING ERRCODE = 'WLDEP';
  END IF;
  IF p_on_failure NOT IN ('rollback', 'pause') THEN
    RAISE EXCEPTION 'on failure a rollout rolls back or pauses, not %', p_on_failure USING ERRCODE = 'WLDEP';
  END IF;
  -- The identifier service routes everything to the default until now.
  IF NOT EXISTS (SELECT 1 FROM wallet_traffic_share) THEN
    INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage) VALUES (d.version_id, 100);
  ELSIF coalesce((SELECT traffic_percentage FROM wallet_traffic_share s WHERE s.wallet_version = d.version_id), 0) < p_weights[n] - p_weights[1] THEN
    NULL; -- checked step by step (wallet_rollout_set_share)
  END IF;

  IF w.status = 'validated' THEN
    UPDATE wallet_versions SET status = 'deployed' WHERE version_id = p_version;
    PERFORM wallet_log('wallet_deployment', p_version, 'completed', p_note, NULL, jsonb_build_object(
      'from', 'validated', 'to', 'deployed'));
  END IF;
  INSERT INTO wallet_rollouts (wallet_version, from_wallet, step_weights, step_dwells, measure_interval, failure_limit,
                               on_failure, gate_timeout, max_error_rate, max_allocation_ms, max_signature_ms,
                               state, reason, gate, gate_deadline, started_by)
  VALUES (p_version, d.version_id, p_weights, p_dwells, p_interval, p_failure_limit, p_on_failure, p_gate_timeout,
          p_max_error_rate, p_max_allocation_ms, p_max_signature_ms, 'waiting_for_gate',
          format('waiting for the go gate: another login than %s approves the first step', session_user),
          'go', now() + p_gate_timeout, session_user)
  RETURNING id INTO id_;
  PERFORM wallet_log('deployment_start', p_version, 'started', p_note, NULL, jsonb_build_object(
    'rollout', id_, 'from', d.version_name, 'weights', to_jsonb(p_weights),
    'dwell_seconds', (SELECT jsonb_agg(extract(epoch FROM x)) FROM unnest(p_dwells) x),
    'interval_seconds', extract(epoch FROM p_interval), 'failure_limit', p_failure_limit, 'on_failure', p_on_failure,
    'gate_deadline', wallet_rfc3339(now() + p_gate_timeout)));
  RETURN id_;
END
$$;

-- A gate passed by a login other than the one who started the rollout.
-- A gate past its deadline aborts the rollout instead (no error: the abort
-- must commit); the caller reads the returned state.
CREATE FUNCTION wallet_rollout_approve(p_version integer, p_gate text, p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_rollouts := wallet_rollout_open(p_version);
BEGIN
  PERFORM wallet_rollout_refuse_final(r, 'approve a gate of');
  IF p_gate NOT IN ('go', 'promotion') THEN
    RAISE EXCEPTION 'the gates are go (before the first step) and promotion (before 100 %%), not %', p_gate USING ERRCODE = 'WLDEP';
  END IF;
  IF r.state <> 'waiting_for_gate' THEN
    RAISE EXCEPTION 'v%''s rollout is not waiting for a gate: it is % (%)', p_version, r.state, r.reason USING ERRCODE = 'WLDEP';
  END IF;
  IF r.gate <> p_gate THEN
    RAISE EXCEPTION 'v%''s rollout waits for the % gate, not the % gate', p_version, r.gate, p_gate
      USING ERRCODE = 'WLDEP', HINT = format('console deploy approve v%s --gate %s', p_version, r.gate);
  END IF;
  IF session_user = r.started_by THEN
    RAISE EXCEPTION '% started this rollout and cannot approve its % gate: another person signs it off', session_user, p_gate
      USING ERRCODE = 'WLDEP', HINT = format('ask an approver or another operator to run console deploy approve v%s --gate %s', p_version, p_gate);
  END IF;
  IF now() > r.gate_deadline THEN
    RETURN wallet_rollout_back(r, 'aborted',
      format('the %s gate was not approved by its deadline %s', r.gate, wallet_rfc3339(r.gate_deadline)), 'deployment_abort', p_note);
  END IF;
  IF p_gate = 'go' THEN
    UPDATE wallet_rollouts SET go_approved_by = session_user, go_approved_at = now() WHERE id = r.id;
  ELSE
    UPDATE wallet_rollouts SET promotion_approved_by = session_user, promotion_approved_at = now() WHERE id = r.id;
  END IF;
  PERFORM wallet_log('deployment_gate_approval', p_version, 'completed', p_note, NULL, jsonb_build_object(
    'rollout', r.id, 'gate', p_gate, 'approved_by', session_user::text, 'started_by', r.started_by,
    'reason', nullif(btrim(coalesce(p_reason, '')), '')));
  SELECT * INTO r FROM wallet_rollouts WHERE id = r.id;
  RETURN wallet_rollout_apply_step(r, r.current_step + 1, p_note);
END
$$;

-- A gate left waiting past its deadline aborts the rollout (the controller
-- calls this each round). Returns the state.
CREATE FUNCTION wallet_rollout_expire(p_version integer, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_rollouts := wallet_rollout_open(p_version);
BEGIN
  IF r.state = 'waiting_for_gate' AND now() > r.gate_deadline THEN
    RETURN wallet_rollout_back(r, 'aborted',
      format('the %s gate was not approved by its deadline %s', r.gate, wallet_rfc3339(r.gate_deadline)), 'deployment_abort', p_note);
  END IF;
  RETURN r.state;
END
$$;

-- One measurement round of step p_step: each metric over the last minutes
-- of the per-minute table (and the controller's HSM probe when it made one),
-- then the failure limit. A round for a step no longer current changes
-- nothing (a controller's stale view). Returns the state.
CREATE FUNCTION wallet_rollout_measure(p_version integer, p_step integer, p_probe_ms numeric, p_probe_error text, p_note text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r       wallet_rollouts := wallet_rollout_open(p_version);
  win     interval;
  req     numeric;
  err     numeric;
  alloc   numeric;
  sig     numeric;
  nodata  text;
  failing text;
  why     text;
BEGIN
  IF r.state <> 'running' OR r.current_step <> p_step THEN
    RETURN r.state;
  END IF;
  -- The minute in progress and the one before: a service that writes a
  -- minute when it ends is seen too.
  win := greatest(r.measure_interval, interval '2 minutes');
  SELECT sum(m.requests), sum(m.errors),
         sum(m.allocation_ms * m.requests) FILTER (WHERE m.allocation_ms IS NOT NULL)
           / nullif(sum(m.requests) FILTER (WHERE m.allocation_ms IS NOT NULL), 0),
         sum(m.signature_ms * m.requests) FILTER (WHERE m.signature_ms IS NOT NULL)
           / nullif(sum(m.requests) FILTER (WHERE m.signature_ms IS NOT NULL), 0)
    INTO req, err, alloc, sig
    FROM wallet_minute_metrics m
   WHERE m.wallet_version = p_version AND m.minute > now() - win AND m.minute <= now();
  nodata := format('no data: no requests recorded for v%s in the last %s', p_version, win);
  INSERT INTO wallet_rollout_measurements (rollout_id, step, weight, metric, value, threshold, passed, detail)
  VALUES
    (r.id, p_step, r.step_weights[p_step], 'error_rate',
     CASE WHEN req > 0 THEN round(100 * err / req, 4) END, r.max_error_rate,
     coalesce(req > 0 AND 100 * err / req <= r.max_error_rate, false),
     CASE WHEN req > 0 THEN format('%s errors in %s requests', err, req) ELSE nodata END),
    (r.id, p_step, r.step_weights[p_step], 'allocation_latency', round(alloc, 2), r.max_allocation_ms,
     coalesce(req > 0 AND alloc <= r.max_allocation_ms, false),
     CASE WHEN req > 0 AND alloc IS NOT NULL THEN format('average over %s requests', req) ELSE nodata END),
    (r.id, p_step, r.step_weights[p_step], 'signature_latency', round(sig, 2), r.max_signature_ms,
     coalesce(req > 0 AND sig <= r.max_signature_ms, false),
     CASE WHEN req > 0 AND sig IS NOT NULL THEN format('average over %s requests', req) ELSE nodata END);
  IF p_probe_ms IS NOT NULL OR p_probe_error IS NOT NULL THEN
    INSERT INTO wallet_rollout_measurements (rollout_id, step, weight, metric, value, threshold, passed, detail)
    VALUES (r.id, p_step, r.step_weights[p_step], 'hsm_signature', round(p_probe_ms, 3), r.max_signature_ms,
            p_probe_error IS NULL AND p_probe_ms <= r.max_signature_ms,
            coalesce('HSM probe failed: ' || left(p_probe_error, 200), 'live signature with the new key on the HSM'));
  END IF;

  SELECT string_agg(format('%s failed %s times (limit %s)', f.metric, f.n, r.failure_limit), '; ' ORDER BY f.metric)
    INTO failing
    FROM (SELECT x.metric, count(*) AS n FROM wallet_rollout_measurements x
           WHERE x.rollout_id = r.id AND x.step = p_step AND x.measured_at >= r.analysis_since AND NOT x.passed
           GROUP BY x.metric HAVING count(*) >= r.failure_limit) f;
  IF failing IS NULL THEN
    RETURN 'running';
  END IF;
  why := format('step %s (%s %%) failed its analysis: %s', p_step, r.step_weights[p_step], failing);
  IF r.on_failure = 'pause' THEN
    UPDATE wallet_rollouts SET state = 'paused', paused_at = now(), reason = why || '; paused (--on-failure pause)'
     WHERE id = r.id;
    PERFORM wallet_log('deployment_pause', p_version, 'completed', p_note, NULL, jsonb_build_object(
      'rollout', r.id, 'step', p_step, 'reason', why, 'measurements', wallet_rollout_recent(r)));
    RETURN 'paused';
  END IF;
  RETURN wallet_rollout_back(r, 'rolled_back', why || '; traffic back to v' || r.from_wallet, 'deployment_rollback', p_note);
END
$$;

-- The end of step p_step's dwell: the next step (or the promotion gate, or
-- done) when every metric's latest measurement passed. Refused, with what is
-- missing, when the step is not done; a call for a step no longer current
-- changes nothing (two rounds of one controller never apply a step twice).
CREATE FUNCTION wallet_rollout_advance(p_version integer, p_step integer, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r       wallet_rollouts := wallet_rollout_open(p_version);
  missing text;
BEGIN
  IF r.state <> 'running' OR r.current_step <> p_step THEN
    RETURN r.state;
  END IF;
  IF now() < r.step_started_at + r.step_dwells[p_step] THEN
    RAISE EXCEPTION 'step % of v%''s rollout has % of its dwell left', p_step, p_version,
                    date_trunc('second', r.step_started_at + r.step_dwells[p_step] - now())
      USING ERRCODE = 'WLDWT', HINT = format('wait, or skip the rest: console deploy promote v%s', p_version);
  END IF;
  SELECT string_agg(mt, ', ') INTO missing
    FROM unnest(ARRAY['error_rate', 'allocation_latency', 'signature_latency']) mt
   WHERE NOT coalesce((SELECT x.passed FROM wallet_rollout_measurements x
                        WHERE x.rollout_id = r.id AND x.step = p_step AND x.metric = mt AND x.measured_at >= r.analysis_since
                        ORDER BY x.id DESC LIMIT 1), false);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'step % of v%''s rollout has no passing latest measurement of %: no data is not a pass', p_step, p_version, missing
      USING ERRCODE = 'WLDWT', HINT = 'the controller keeps measuring (console deploy run); or promote it by hand';
  END IF;
  RETURN wallet_rollout_next(r, p_note);
END
$$;

CREATE FUNCTION wallet_rollout_pause(p_version integer, p_reason text, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r   wallet_rollouts := wallet_rollout_open(p_version);
  why text := coalesce(nullif(btrim(coalesce(p_reason, '')), ''), 'paused by ' || session_user);
BEGIN
  PERFORM wallet_rollout_refuse_final(r, 'pause');
  IF r.state = 'paused' THEN
    RAISE EXCEPTION 'v%''s rollout is paused already (%)', p_version, r.reason
      USING ERRCODE = 'WLDEP', HINT = format('console deploy resume v%s', p_version);
  END IF;
  IF r.state = 'waiting_for_gate' THEN
    RAISE EXCEPTION 'v%''s rollout waits for the % gate: nothing moves until it is approved, so there is nothing to pause', p_version, r.gate
      USING ERRCODE = 'WLDEP', HINT = format('approve it as another login, or abort: console deploy abort v%s --reason TEXT', p_version);
  END IF;
  UPDATE wallet_rollouts SET state = 'paused', paused_at = now(), reason = why WHERE id = r.id;
  PERFORM wallet_log('deployment_pause', p_version, 'completed', p_note, NULL, jsonb_build_object(
    'rollout', r.id, 'step', r.current_step, 'reason', why));
  RETURN 'paused';
END
$$;

-- Resume keeps the step's remaining dwell (its start moves by the pause).
-- An operator's pause keeps the step's failures counted; a
-- pause the analysis made (its reason says so) is resumed afresh, since the
-- operator has looked at what failed.
CREATE FUNCTION wallet_rollout_resume(p_version integer, p_reason text, p_note text) RETURNS text
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

-- Promote skips the rest of this step's dwell; it never passes a gate, and
-- it refuses while a metric's latest measurement of the step failed.
CREATE FUNCTION wallet_rollout_promote(p_version integer, p_reason text, p_note text) RETURNS text
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

-- Abort rolls the traffic back now, with a reason that says something.
CREATE FUNCTION wallet_rollout_abort(p_version integer, p_reason text, p_note text) RETURNS text
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

-- Two controllers never drive one rollout: a session-level advisory lock
-- per wallet, held by the controller's connection (released when it
-- closes, a kill -9 included). NULL when taken; otherwise who holds it.
-- The key space (20251114, wallet) is taken by nothing else, so holding it
-- stalls no writer.
CREATE FUNCTION wallet_rollout_lock(p_version integer) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  who text;
BEGIN
  IF pg_try_advisory_lock(20251114, p_version) THEN
    RETURN NULL;
  END IF;
  SELECT format('login %s (database session pid %s%s, connected since %s)', a.usename, a.pid,
                CASE WHEN a.client_addr IS NULL THEN ', on this host' ELSE ', from ' || host(a.client_addr) END,
                coalesce(wallet_rfc3339(a.backend_start), 'unknown'))
    INTO who
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
   WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 20251114 AND l.objid = p_version AND l.objsubid = 2
   LIMIT 1;
  RETURN coalesce(who, 'another session');
END
$$;

CREATE FUNCTION wallet_rollout_unlock(p_version integer) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT pg_advisory_unlock(20251114, p_version)
$$;

-- A minute the service wrote stands; simulated minutes may be written again
-- (a demo changing its traffic); nothing before the previous minute.
CREATE FUNCTION wallet_record_minute_metrics(p_version integer, p_rows jsonb, p_simulated boolean, p_note text) RETURNS bigint
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


-- ---------------------------------------------------------------------------
-- 010's allocation rule, opened as DESIGN.md says: a deployed wallet takes
-- production allocations while a rollout gives it a share above 0 %. Only
-- the rollout functions write wallet_traffic_share now (013 took the
-- operator's grants), so the share can be trusted here. Same words as
-- model.AllocationAllowed, which store's tests compare for every status,
-- type and share.
CREATE OR REPLACE FUNCTION wallet_allocation_refusal(version integer, wstatus text, alloc_type text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT CASE
    WHEN wstatus = 'active' THEN NULL
    WHEN wstatus = 'deployed' AND alloc_type = 'test' THEN NULL
    WHEN wstatus = 'deployed' AND alloc_type = 'production' AND share > 0 THEN NULL
    ELSE format('v%s is %s: %s; allocate in an active wallet (console status lists them)', version, wstatus,
      CASE wstatus
        WHEN 'deployed' THEN
          CASE WHEN share > 0
               THEN format('it takes test and production allocations only (%s allocations wait until it is active)', alloc_type)
               WHEN alloc_type = 'production'
               THEN 'it takes test allocations only until a rollout gives it traffic'
               ELSE format('it takes test allocations only (%s allocations wait until it is active)', alloc_type) END
        WHEN 'created' THEN 'it takes no allocations before it is deployed'
        WHEN 'validated' THEN 'it takes no allocations before it is deployed'
        WHEN 'inactive' THEN 'it takes no allocations while it is inactive'
        WHEN 'deprecated' THEN 'it takes only allocations made by a migration, none by hand'
        ELSE 'it takes no allocations any more'
      END)
  END
  FROM (SELECT coalesce((SELECT s.traffic_percentage FROM public.wallet_traffic_share s WHERE s.wallet_version = version), 0) AS share) x
$$;

-- ---------------------------------------------------------------------------
-- What every rollout holds to, and what leaving deployed does to its traffic.

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

-- However the wallet is marked compromised (wallet_transition, or the
-- owner's own UPDATE), its rollout's traffic goes back in the same
-- transaction.
CREATE FUNCTION wallet_versions_compromise_release() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM wallet_rollout_release(NEW.version_id, NEW.version_name || ' was marked compromised', NULL);
  RETURN NULL;
END
$$;

CREATE TRIGGER wallet_versions_compromise_release
  AFTER UPDATE OF status ON wallet_versions
  FOR EACH ROW WHEN (NEW.status = 'compromised' AND OLD.status IN ('validated', 'deployed'))
  EXECUTE FUNCTION wallet_versions_compromise_release();

-- ---------------------------------------------------------------------------
-- Who may call what (013's default privileges already keep PUBLIC out; said
-- again so that the intent is in one place).

REVOKE EXECUTE ON FUNCTION
  wallet_rollout_release(integer, text, text),
  wallet_traffic_share_total(),
  wallet_rollout_set_share(wallet_rollouts, integer),
  wallet_rollout_recent(wallet_rollouts),
  wallet_rollout_apply_step(wallet_rollouts, integer, text),
  wallet_rollout_complete(wallet_rollouts, text),
  wallet_rollout_next(wallet_rollouts, text),
  wallet_rollout_back(wallet_rollouts, text, text, text, text),
  wallet_rollout_open(integer),
  wallet_rollout_refuse_final(wallet_rollouts, text),
  wallet_rollout_start(integer, integer[], interval[], interval, integer, text, interval, numeric, numeric, numeric, text),
  wallet_rollout_approve(integer, text, text, text),
  wallet_rollout_expire(integer, text),
  wallet_rollout_measure(integer, integer, numeric, text, text),
  wallet_rollout_advance(integer, integer, text),
  wallet_rollout_pause(integer, text, text),
  wallet_rollout_resume(integer, text, text),
  wallet_rollout_promote(integer, text, text),
  wallet_rollout_abort(integer, text, text),
  wallet_rollout_lock(integer),
  wallet_rollout_unlock(integer),
  wallet_record_minute_metrics(integer, jsonb, boolean, text)
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
  wallet_rollout_start(integer, integer[], interval[], interval, integer, text, interval, numeric, numeric, numeric, text),
  wallet_rollout_expire(integer, text),
  wallet_rollout_measure(integer, integer, numeric, text, text),
  wallet_rollout_advance(integer, integer, text),
  wallet_rollout_pause(integer, text, text),
  wallet_rollout_resume(integer, text, text),
  wallet_rollout_promote(integer, text, text),
  wallet_rollout_abort(integer, text, text),
  wallet_rollout_lock(integer),
  wallet_rollout_unlock(integer),
  wallet_record_minute_metrics(integer, jsonb, boolean, text)
TO wallet_operator;
GRANT EXECUTE ON FUNCTION wallet_rollout_approve(integer, text, text, text) TO wallet_operator, wallet_approver;
