-- The validation suite's runs (issue 11, "Validation suite"; seed 000, 3.1).
--
-- `console validate vN` runs seven tests against the wallet's key on the HSM
-- and the database; when all seven pass it records the run, its results and
-- its performance baseline, moves the wallet created → validated and writes
-- the audit row, all in one call of wallet_record_validation (one
-- transaction). A run that failed is not recorded: nothing changes.
-- wallet_transition no longer validates: a run written by hand into
-- validation_results (only the owner can) proves nothing the suite checked.

CREATE TABLE validation_runs (
  run_id         uuid PRIMARY KEY,
  wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL,
  validated_by   text NOT NULL DEFAULT session_user,   -- the login, as in the audit log
  passed         boolean NOT NULL,
  baseline       jsonb NOT NULL DEFAULT '{}',
  -- The wallet key's signature over model.ValidationMessage: the console
  -- verifies it before it relies on the run (store.CheckKeys), so that a
  -- run typed by hand, without the key on the HSM, does not count.
  signature      bytea NOT NULL CHECK (length(signature) = 64),
  CHECK (finished_at >= started_at)
);

CREATE INDEX idx_validation_runs_wallet ON validation_runs (wallet_version, finished_at DESC);
CREATE INDEX idx_validation_results_run ON validation_results (run_id);

GRANT SELECT ON validation_runs TO wallet_viewer, wallet_operator, wallet_approver;

-- The seven tests a run must hold, by the names the console stores.
CREATE FUNCTION wallet_validation_tests() RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT ARRAY['hsm_connectivity', 'crypto_operations', 'path_derivation', 'database_integration',
               'performance', 'security_controls', 'backup_recovery']
$$;

-- p is {"run_id", "started_at", "finished_at", "baseline": {...},
-- "tests": [{"name", "severity", "passed", "details": {...}}, ...]}.
CREATE FUNCTION wallet_record_validation(p_version integer, p jsonb, p_note text) RETURNS bigint
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

REVOKE EXECUTE ON FUNCTION wallet_validation_tests(), wallet_record_validation(integer, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wallet_record_validation(integer, jsonb, text) TO wallet_operator;

