-- Manufacturer migration, its first two steps (issue 12): the plan's
-- refusals and the seed's zero-downtime start (000, "Wallet Migration and
-- Transition", 1.2), all or nothing, through one function.
--
-- wallet_migration_refusals lists why a manufacturer cannot be moved from
-- one wallet to another (no rows: it can); `console migration plan` shows
-- them and wallet_migration_start refuses on the same list, under its locks,
-- so that the plan and the start never disagree. Moving the paths (the
-- engine), verifying and rolling back come later; they read what the start
-- writes here: the queue, the manufacturer_migrations row, the lineage.

-- A migration's row carries what the engine (018) and the Migrations
-- screen read: the batch size chosen at the start (the worker adapts it),
-- the exact counts, the throttle and pause with their reasons, the
-- direction (forward, or back to the source after a rollback) and the
-- lineage as it was before the start, so that a rollback restores it.
--   moved      every path is in the target; verify completes it
--   rolling_back / rolled_back   the paths are going / gone back
ALTER TABLE manufacturer_migrations
  ADD COLUMN batch_size integer NOT NULL DEFAULT 5000 CHECK (batch_size BETWEEN 1 AND 100000),
  ADD COLUMN total_paths bigint NOT NULL DEFAULT 0,
  ADD COLUMN moved_paths bigint NOT NULL DEFAULT 0,
  ADD COLUMN skipped_paths bigint NOT NULL DEFAULT 0,
  ADD COLUMN returned_paths bigint NOT NULL DEFAULT 0,
  ADD COLUMN batches integer NOT NULL DEFAULT 0,
  ADD COLUMN last_batch_at timestamptz,
  ADD COLUMN direction varchar(10) NOT NULL DEFAULT 'forward' CHECK (direction IN ('forward', 'rollback')),
  ADD COLUMN pause_reason text,
  ADD COLUMN throttle_reason text,
  ADD COLUMN throttled_by varchar(10) CHECK (throttled_by IN ('operator', 'worker')),
  ADD COLUMN throttled_until timestamptz,
  ADD COLUMN verified_at timestamptz,
  ADD COLUMN verify_findings integer,
  ADD COLUMN prior_lineage jsonb,
  DROP CONSTRAINT manufacturer_migrations_state_check,
  ADD CONSTRAINT manufacturer_migrations_state_check
    CHECK (state IN ('planned', 'running', 'paused', 'moved', 'completed', 'rolling_back', 'rolled_back', 'failed'));
DROP INDEX one_open_migration_per_manufacturer;
CREATE UNIQUE INDEX one_open_migration_per_manufacturer
  ON manufacturer_migrations (manufacturer_name)
  WHERE state IN ('planned', 'running', 'paused', 'moved', 'rolling_back');

-- The queue belongs to its migration; batch_no says which batch moved a
-- row (its checksum is in migration_batches, 018). The engine claims the
-- lowest ids still queued: the start inserts them in priority order.
ALTER TABLE path_migration_queue
  ADD COLUMN migration_id bigint REFERENCES manufacturer_migrations(id),
  ADD COLUMN batch_no integer;
CREATE INDEX idx_migration_queue_todo ON path_migration_queue (migration_id, id)
  WHERE migration_status IN ('queued', 'in_progress');
CREATE INDEX idx_migration_queue_batch ON path_migration_queue (migration_id, batch_no, id);

-- Where a manufacturer's namespace is while it moves (the overlap rule in
-- 018 reads these): allocations under it in a wallet whose row says
-- allocations_go_to are refused there and made in that wallet instead, and
-- an allocation in a wallet whose row says overlap_also_in is checked
-- against that wallet's live paths as well, since the namespace lives in
-- both until the last batch.
ALTER TABLE manufacturer_registry
  ADD COLUMN allocations_go_to integer REFERENCES wallet_versions(version_id),
  ADD COLUMN overlap_also_in integer REFERENCES wallet_versions(version_id);

-- A path moved by a migration names the wallet it came from (no foreign
-- key: one more probe per row on a table of tens of millions).
ALTER TABLE path_registry ADD COLUMN migrated_from_wallet integer;

-- What moving each manufacturer of a wallet involves (p_name NULL: every
-- one), the facts of the seed's assess_manufacturer_migration_complexity,
-- which the seed leaves undefined; the rules here:
--   complexity: high with 10,000 live paths or more, or a delegated key
--     (it must be delegated again in the target); medium with 1,000 or
--     more, or a million identifiers; low otherwise. The score, for the
--     seed's ordering, is the live paths (plus 10,000 for a delegated key).
--   business priority: high when it allocated in the last 30 days (its
--     newest paths are the ones in use), medium in the last 90, else low.
-- The queue's priorities by age are counted over its active paths, the
-- ones the start queues.
CREATE FUNCTION wallet_migration_assessment(p_from integer, p_name text)
RETURNS TABLE (manufacturer_name text, manufacturer_index integer, registry_status text, organization text,
               organization_type text, key_delegation_level text, live_paths bigint, active_paths bigint,
               identifiers bigint, recent_allocations bigint, last_allocated_at timestamptz,
               queue_high bigint, queue_medium bigint, queue_low bigint,
               complexity text, complexity_score bigint, business_priority text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT f.*,
         CASE WHEN f.live >= 10000 OR f.kdl <> 'none' THEN 'high'
              WHEN f.live >= 1000 OR f.ids >= 1000000 THEN 'medium' ELSE 'low' END,
         f.live + CASE WHEN f.kdl <> 'none' THEN 10000 ELSE 0 END,
         CASE WHEN f.last_at > now() - interval '30 days' THEN 'high'
              WHEN f.last_at > now() - interval '90 days' THEN 'medium' ELSE 'low' END
    FROM (SELECT m.manufacturer_name::text, m.manufacturer_index, m.status::text, o.name, o.type,
                 m.key_delegation_level::text AS kdl,
                 coalesce(p.live, 0) AS live, coalesce(p.active, 0), coalesce(p.ids, 0) AS ids,
                 coalesce(p.recent, 0), p.last_at AS last_at,
                 coalesce(p.high, 0), coalesce(p.medium, 0), coalesce(p.low, 0)
            FROM manufacturer_registry m
            LEFT JOIN organizations o ON o.id = m.organization_id
            LEFT JOIN LATERAL (
              SELECT count(*) FILTER (WHERE r.status IN ('active', 'migrating')) AS live,
                     count(*) FILTER (WHERE r.status = 'active') AS active,
                     sum(r.quantity) FILTER (WHERE r.status IN ('active', 'migrating')) AS ids,
                     count(*) FILTER (WHERE r.allocated_at > now() - interval '30 days') AS recent,
                     max(r.allocated_at) AS last_at,
                     count(*) FILTER (WHERE r.status = 'active' AND r.allocated_at > now() - interval '30 days') AS high,
                     count(*) FILTER (WHERE r.status = 'active' AND r.allocated_at <= now() - interval '30 days'
                                        AND r.allocated_at > now() - interval '90 days') AS medium,
                     count(*) FILTER (WHERE r.status = 'active' AND r.allocated_at <= now() - interval '90 days') AS low
                FROM path_registry r
               WHERE r.wallet_version = m.wallet_version AND r.manufacturer_index = m.manufacturer_index) p ON true
           WHERE m.wallet_version = p_from AND (p_name IS NULL OR m.manufacturer_name = p_name)) f
   ORDER BY f.manufacturer_index
$$;

CREATE FUNCTION wallet_migration_refusals(p_from integer, p_to integer, p_name text)
RETURNS TABLE (reason text, fix text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  src   wallet_versions;
  dst   wallet_versions;
  reg   manufacturer_registry;
  other manufacturer_registry;
  mig   manufacturer_migrations;
  lin   manufacturer_lineage;
  inc   incidents;
  fv    text := 'v' || p_from;
  tv    text := 'v' || p_to;
BEGIN
  SELECT * INTO src FROM wallet_versions v WHERE v.version_id = p_from;
  IF NOT FOUND THEN
    reason := 'there is no wallet ' || fv; fix := 'console status lists the wallets'; RETURN NEXT;
  END IF;
  SELECT * INTO dst FROM wallet_versions v WHERE v.version_id = p_to;
  IF NOT FOUND THEN
    reason := 'there is no wallet ' || tv; fix := 'console status lists the wallets'; RETURN NEXT;
  END IF;
  IF src.version_id IS NULL OR dst.version_id IS NULL THEN
    RETURN;
  END IF;
  IF p_from = p_to THEN
    reason := 'the source and the target are the same wallet (' || fv || ')';
    fix := 'name another wallet with --to'; RETURN NEXT;
    RETURN;
  END IF;
  -- Paths are moved into a wallet that is allocating now: anything else
  -- would leave the manufacturer with no wallet to allocate in.
  IF dst.status <> 'active' THEN
    reason := tv || ' is ' || dst.status || ': paths are moved only into an active wallet';
    fix := 'activate it first (console activate ' || tv || ') or choose an active wallet';
    RETURN NEXT;
  END IF;
  IF src.status IN ('created', 'validated', 'deployed', 'retired') THEN
    reason := fv || ' is ' || src.status || ': it has no live paths to move';
    fix := 'a migration moves paths out of a wallet that has been in service'; RETURN NEXT;
  END IF;

  -- An incident still being worked on either wallet: a move would change
  -- the very rows the responders are looking at.
  FOR inc IN SELECT * FROM incidents i
              WHERE i.wallet_version IN (p_from, p_to) AND i.status IN ('open', 'investigating', 'contained')
              ORDER BY i.id LOOP
    reason := format('incident #%s on v%s is %s (%s, %s)', inc.id, inc.wallet_version, inc.status, inc.severity, inc.title);
    fix := 'resolve the incident first'; RETURN NEXT;
  END LOOP;

  SELECT * INTO reg FROM manufacturer_registry m WHERE m.wallet_version = p_from AND m.manufacturer_name = p_name;
  IF NOT FOUND THEN
    reason := format('%s is not registered in %s', p_name, fv);
    fix := 'console show ' || fv || ' lists its manufacturers (the name as registered)'; RETURN NEXT;
    RETURN;
  END IF;

  -- A migration of this manufacturer under way from anywhere: two would
  -- queue the same paths twice.
  FOR mig IN SELECT * FROM manufacturer_migrations x
              WHERE x.manufacturer_name = p_name AND x.state IN ('planned', 'running', 'paused', 'moved', 'rolling_back')
              ORDER BY x.id LOOP
    reason := format('a migration of %s is already in flight: #%s, v%s → v%s, %s',
                     p_name, mig.id, mig.source_wallet_version, mig.target_wallet_version, mig.state);
    fix := 'let it finish or roll it back first'; RETURN NEXT;
  END LOOP;
  IF NOT FOUND THEN
    SELECT * INTO lin FROM manufacturer_lineage l WHERE l.canonical_name = p_name;
    IF FOUND AND lin.migration_status IN ('in_progress', 'paused') THEN
      reason := format('%s''s lineage says a migration into v%s is %s (%s %%)', p_name,
                       lin.current_wallet_version, lin.migration_status, lin.migration_completion_percentage);
      fix := 'let it finish or roll it back first'; RETURN NEXT;
    END IF;
  END IF;

  IF reg.status <> 'active' THEN
    reason := format('%s is %s in %s: only an active manufacturer is moved', p_name, reg.status, fv);
    fix := 'console show ' || fv; RETURN NEXT;
  END IF;

  -- The index is kept (a moved path keeps its base path, and its first
  -- component is the index), so it must be free in the target or be this
  -- manufacturer's already.
  SELECT * INTO other FROM manufacturer_registry m WHERE m.wallet_version = p_to AND m.manufacturer_index = reg.manufacturer_index;
  IF FOUND AND other.manufacturer_name <> p_name THEN
    reason := format('index %s is taken in %s by %s: %s''s paths keep their index, so they have nowhere to go',
                     reg.manufacturer_index, tv, other.manufacturer_name, p_name);
    fix := 'choose another target wallet'; RETURN NEXT;
  END IF;
  SELECT * INTO other FROM manufacturer_registry m WHERE m.wallet_version = p_to AND m.manufacturer_name = p_name;
  IF FOUND THEN
    reason := CASE WHEN other.manufacturer_index = reg.manufacturer_index
                   THEN format('%s is already registered in %s (index %s, %s)', p_name, tv, other.manufacturer_index, other.status)
                   ELSE format('%s is already registered in %s under another index (%s, not %s)', p_name, tv,
                               other.manufacturer_index, reg.manufacturer_index) END;
    fix := CASE other.status WHEN 'migrating' THEN 'it is being moved into ' || tv || ' already'
                WHEN 'active' THEN 'it allocates in ' || tv || ' already: nothing to migrate into'
                ELSE 'its row in ' || tv || ' is ' || other.status || ': look at its history (console show ' || tv || ')' END;
    RETURN NEXT;
  END IF;
END
$$;

-- The start, the seed's transaction: the manufacturer registered in the
-- target as migrating with its source's index, its lineage in_progress at
-- 0 %, its active paths queued with priority by age, the migration's row,
-- the audit row. Returns the migration's id.
CREATE FUNCTION wallet_migration_start(p_from integer, p_to integer, p_name text, p_reason text,
  p_batch integer, p_note text, OUT migration_id bigint, OUT queued bigint, OUT seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  reg     manufacturer_registry;
  why     text;
  reason  text := coalesce(nullif(btrim(coalesce(p_reason, '')), ''), 'manufacturer_migration');
  op_user uuid;
  high    bigint;
  medium  bigint;
  low     bigint;
  cx      text;
  prio    text;
  prior   jsonb;
BEGIN
  IF p_batch IS NULL OR p_batch < 1 OR p_batch > 100000 THEN
    RAISE EXCEPTION 'a batch of % paths: give between 1 and 100000', p_batch USING ERRCODE = 'WLMIG';
  END IF;
  -- Two starts touching the same wallets wait for each other (in version
  -- order, so they cannot deadlock): the second sees the first's registry
  -- row and migration and is refused on them. NO KEY UPDATE, so that
  -- allocations (which take KEY SHARE through their foreign key) carry on.
  PERFORM 1 FROM wallet_versions v WHERE v.version_id IN (p_from, p_to) ORDER BY v.version_id FOR NO KEY UPDATE;
  SELECT string_agg(r.reason || ' (' || r.fix || ')', '; ') INTO why FROM wallet_migration_refusals(p_from, p_to, p_name) r;
  IF why IS NOT NULL THEN
    RAISE EXCEPTION 'migration of % from v% to v% refused: %; nothing changed', p_name, p_from, p_to, why
      USING ERRCODE = 'WLMIG';
  END IF;
  SELECT * INTO reg FROM manufacturer_registry m WHERE m.wallet_version = p_from AND m.manufacturer_name = p_name FOR UPDATE;
  -- The namespace's own lock in the source, the one every allocation under
  -- it takes (shared) before it reads the registry (018's guard): an
  -- allocation in flight commits before the queue is read below, and one
  -- after this commits reads allocations_go_to and goes to the target.
  -- Held for this transaction only, and only this namespace waits.
  PERFORM pg_advisory_xact_lock(20251101, hashtext(p_from::text || ':' || reg.manufacturer_index::text) & 1023);
  -- The person behind the login registers the manufacturer; a login without
  -- a person record registers it as the system user (the audit row names
  -- the login either way).
  SELECT u.id INTO op_user FROM users u WHERE u.db_login = session_user;
  op_user := coalesce(op_user, '00000000-0000-0000-0000-000000000000');

  -- Step 1: parallel registration in the target, same index; allocations
  -- under it there are checked against the source too, until it is empty.
  INSERT INTO manufacturer_registry (wallet_version, manufacturer_index, manufacturer_name, organization_id,
                                     public_key, key_delegation_level, status, registered_by, migrated_from_wallet,
                                     overlap_also_in)
  VALUES (p_to, reg.manufacturer_index, reg.manufacturer_name, reg.organization_id,
          reg.public_key, reg.key_delegation_level, 'migrating', op_user, p_from, p_from);
  -- The source's namespace is being moved: said on its row, so that the
  -- engine and the screens read one state, and new allocations go to the
  -- target.
  UPDATE manufacturer_registry SET status = 'migrating', allocations_go_to = p_to WHERE id = reg.id;

  -- Step 2: lineage (as it was is kept on the migration, for a rollback).
  SELECT to_jsonb(l) INTO prior FROM manufacturer_lineage l WHERE l.canonical_name = p_name;
  INSERT INTO manufacturer_lineage (canonical_name, current_wallet_version, current_manufacturer_index,
                                    predecessor_wallet, predecessor_index, migration_reason, migration_date,
                                    migration_status, migration_completion_percentage)
  VALUES (p_name, p_to, reg.manufacturer_index, p_from, reg.manufacturer_index, left(reason, 50), now(), 'in_progress', 0)
  ON CONFLICT (canonical_name) DO UPDATE SET
    current_wallet_version = p_to, current_manufacturer_index = reg.manufacturer_index,
    predecessor_wallet = manufacturer_lineage.current_wallet_version,
    predecessor_index = manufacturer_lineage.current_manufacturer_index,
    migration_reason = EXCLUDED.migration_reason, migration_date = now(),
    migration_status = 'in_progress', migration_completion_percentage = 0;

  -- The migration's row: the plan's complexity and priority (the same rule
  -- as wallet_migration_assessment, which the plan shows).
  SELECT a.complexity, a.business_priority INTO cx, prio FROM wallet_migration_assessment(p_from, p_name) a;
  INSERT INTO manufacturer_migrations (manufacturer_name, source_wallet_version, target_wallet_version, migration_reason,
                                       priority, complexity, phase, total_phases, state, started_at, batch_size, prior_lineage)
  VALUES (p_name, p_from, p_to, left(reason, 50), prio, cx, 1, 3, 'running', now(), p_batch, prior)
  RETURNING id INTO migration_id;

  -- Step 3: the queue, priority by age (newest first within a priority);
  -- phase 1 is the high paths, 2 medium, 3 low, as the demo's migration.
  -- Inserted in that order, so the engine's keyset (the lowest ids still
  -- queued) is the priority order.
  WITH ins AS (
    INSERT INTO path_migration_queue (migration_id, source_wallet_version, target_wallet_version, manufacturer_name,
                                      base_path, priority, phase, migration_status, queued_at)
    SELECT migration_id, p_from, p_to, p_name, q.base_path, q.pr, CASE q.pr WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
           'queued', now()
      FROM (SELECT p.base_path, p.allocated_at,
                   CASE WHEN p.allocated_at > now() - interval '30 days' THEN 'high'
                        WHEN p.allocated_at > now() - interval '90 days' THEN 'medium'
                        ELSE 'low' END AS pr
              FROM path_registry p
             WHERE p.wallet_version = p_from AND p.manufacturer_index = reg.manufacturer_index AND p.status = 'active') q
     ORDER BY CASE q.pr WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, q.allocated_at DESC, q.base_path
    RETURNING priority)
  SELECT count(*), count(*) FILTER (WHERE ins.priority = 'high'), count(*) FILTER (WHERE ins.priority = 'medium'),
         count(*) FILTER (WHERE ins.priority = 'low')
    INTO queued, high, medium, low FROM ins;
  UPDATE manufacturer_migrations m SET total_paths = queued,
         phase = CASE WHEN high > 0 THEN 1 WHEN medium > 0 THEN 2 ELSE 3 END,
         state = CASE WHEN queued = 0 THEN 'moved' ELSE 'running' END
   WHERE m.id = migration_id;

  -- Step 4: the audit row, on the target as the seed writes it.
  seq := wallet_log('manufacturer_migration_started', p_to, 'in_progress', p_note, NULL, jsonb_build_object(
    'migration_id', migration_id, 'source_wallet', p_from, 'manufacturer_name', p_name,
    'manufacturer_index', reg.manufacturer_index, 'migration_reason', reason, 'total_paths_queued', queued,
    'queued_high', high, 'queued_medium', medium, 'queued_low', low, 'batch_size', p_batch,
    'complexity', cx, 'business_priority', prio));
END
$$;

REVOKE EXECUTE ON FUNCTION wallet_migration_assessment(integer, text), wallet_migration_refusals(integer, integer, text),
  wallet_migration_start(integer, integer, text, text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wallet_migration_assessment(integer, text), wallet_migration_refusals(integer, integer, text)
  TO wallet_viewer, wallet_operator, wallet_approver;
GRANT EXECUTE ON FUNCTION wallet_migration_start(integer, integer, text, text, integer, text) TO wallet_operator;
