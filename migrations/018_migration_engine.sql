-- Manufacturer migration, the engine (issue 12): batches that move a
-- migration's queued paths into the target and back after a rollback,
-- pause, resume, throttle, verify and completion. Every function writes its
-- change and its audit row in the caller's transaction; the worker
-- (console migration run) calls wallet_migration_batch in a loop, one short
-- transaction per batch.
--
-- How allocation stays live and the overlap rule holds in both wallets
-- while a namespace N (a manufacturer's index) moves from S to T:
--   * the start (017) marks S's registry row allocations_go_to = T and T's
--     overlap_also_in = S, under N's lock in S: from then on allocations
--     under N are refused in S (the console makes them in T), and one in T
--     is checked against S's live paths first, then T's own.
--   * a batch moves paths in one transaction: marked migrated in S and
--     inserted into T. It takes no overlap locks: an allocation P in T
--     checks S before T, each in its own snapshot, so whenever the batch
--     commits relative to those two reads, P sees an overlapping moved path
--     Q live in S (before the commit) or in T (after it). The moved rows
--     cannot overlap each other (they were live together in S) nor T's
--     other namespaces (their first component is N).
--   * a rollback is the same with S and T swapped.
-- The guard's own work for rows a batch writes is skipped when the
-- setting wallet.engine is on, which only the engine's functions set (as a
-- function attribute); wallet_allocate_path sets it off, so a login that
-- sets it by hand gains nothing.

-- One row per batch: what it moved, its checksum over the rows as moved
-- (recomputed by verify on both wallets), and how long it took (the rate).
CREATE TABLE migration_batches (
  migration_id   bigint NOT NULL REFERENCES manufacturer_migrations(id),
  batch_no       integer NOT NULL,
  direction      varchar(10) NOT NULL CHECK (direction IN ('forward', 'rollback')),
  paths          integer NOT NULL,
  skipped        integer NOT NULL DEFAULT 0,
  first_path     text COLLATE "C",
  last_path      text COLLATE "C",
  checksum       text NOT NULL,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL,
  worker         text NOT NULL,
  -- A rollback batch of paths allocated in the target since the start (no
  -- queue rows: the set comparison checks them).
  native         boolean NOT NULL DEFAULT false,
  PRIMARY KEY (migration_id, batch_no)
);
CREATE INDEX idx_migration_batches_recent ON migration_batches (migration_id, finished_at);
GRANT SELECT ON migration_batches TO wallet_viewer, wallet_operator, wallet_approver;

-- A rollback claims the moved rows newest first.
CREATE INDEX idx_migration_queue_moved ON path_migration_queue (migration_id, id)
  WHERE migration_status = 'completed' AND error IS NULL;

-- What must be the same in a path's two copies (the source's row and the
-- target's), as one line (not its status or completion: a copy may be
-- exhausted in the target later); a batch's checksum is the md5 of its lines in
-- base_path order.
CREATE FUNCTION wallet_path_line(p_path text, p_type text, p_quantity integer, p_start integer, p_end integer,
  p_org uuid, p_purpose text, p_by uuid, p_at timestamptz, p_name text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT concat_ws('|', p_path, p_type, p_quantity, p_start, p_end, coalesce(p_org::text, ''),
                   md5(coalesce(p_purpose, '')), p_by, extract(epoch FROM p_at)::numeric(20, 6), coalesce(p_name, ''))
$$;

-- ---------------------------------------------------------------------------
-- The overlap rule (003) with the moving namespace: rows written by the
-- engine pass (see above); a namespace whose row says allocations_go_to
-- takes nothing here; one whose row says overlap_also_in is checked against
-- that wallet first. The registry is read after the namespace's lock (the
-- start takes it exclusively).
CREATE OR REPLACE FUNCTION path_registry_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER -- as 011 made it: its locks are the owner's to take
SET enable_seqscan = off
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  comps     text[];
  depth     int;
  lockdepth int;
  prefix    text;
  conflict  text;
  wstatus   text;
  bucket    int;
  i         int;
  reg       record;
  ancestors text[] := '{}';
BEGIN
  IF char_length(NEW.base_path) > 50 OR NEW.base_path !~ '^[1-9][0-9]{0,8}(\.[1-9][0-9]{0,8})*$' THEN
    PERFORM wallet_check_base_path(NEW.base_path);
  END IF;

  IF NEW.allocated_range_end IS NULL THEN
    IF NEW.allocated_range_start::bigint + NEW.quantity - 1 > 2147483647 THEN
      RAISE EXCEPTION 'range % + % instances ends beyond 2147483647', NEW.allocated_range_start, NEW.quantity
        USING ERRCODE = 'WLPTH';
    END IF;
    NEW.allocated_range_end := NEW.allocated_range_start + NEW.quantity - 1;
  END IF;

  IF NEW.status NOT IN ('active', 'migrating') THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status IN ('active', 'migrating')
     AND OLD.base_path = NEW.base_path AND OLD.wallet_version = NEW.wallet_version THEN
    RETURN NEW; -- already live and already checked
  END IF;
  IF current_setting('wallet.engine', true) = 'on' THEN
    RETURN NEW; -- a migration batch's row: checked by the argument at the top of 018
  END IF;

  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'live paths are allocated in READ COMMITTED transactions only (this one is %)',
                    current_setting('transaction_isolation')
      USING ERRCODE = 'WLISO',
            HINT = 'the overlap check must see allocations committed while it waited; retry without SET TRANSACTION ISOLATION LEVEL';
  END IF;

  PERFORM pg_advisory_xact_lock_shared(20251109, NEW.wallet_version);
  SELECT status INTO wstatus FROM wallet_versions WHERE version_id = NEW.wallet_version;
  IF wstatus IN ('inactive', 'deprecated', 'retired', 'compromised') THEN
    RAISE EXCEPTION 'wallet v% is %: it takes no new allocations', NEW.wallet_version, wstatus
      USING ERRCODE = 'WLWST';
  END IF;

  comps := string_to_array(NEW.base_path, '.');
  depth := array_length(comps, 1);
  lockdepth := least(depth, 2);
  FOR i IN 1 .. lockdepth LOOP
    bucket := (hashtext(NEW.wallet_version::text || ':' || array_to_string(comps[1:i], '.')) & 1023);
    IF i < lockdepth THEN
      PERFORM pg_advisory_xact_lock_shared(20251100 + i, bucket);
    ELSE
      PERFORM pg_advisory_xact_lock(20251100 + i, bucket);
    END IF;
  END LOOP;

  -- The ancestors, once: every probe below reads them.
  prefix := comps[1];
  FOR i IN 1 .. depth - 1 LOOP
    IF i > 1 THEN
      prefix := prefix || '.' || comps[i];
    END IF;
    ancestors := ancestors || prefix;
  END LOOP;

  SELECT m.manufacturer_name, m.status, m.allocations_go_to, m.overlap_also_in INTO reg
    FROM manufacturer_registry m
   WHERE m.wallet_version = NEW.wallet_version AND m.manufacturer_index = comps[1]::integer;
  IF reg.allocations_go_to IS NOT NULL THEN
    RAISE EXCEPTION '% (index %) % v%: new paths under it are allocated in v%', reg.manufacturer_name, comps[1],
                    CASE WHEN reg.status = 'migrating' THEN 'is being moved to' ELSE 'has moved to' END,
                    reg.allocations_go_to, reg.allocations_go_to
      USING ERRCODE = 'WLMOV', DETAIL = reg.allocations_go_to::text,
            HINT = format('allocate %s in v%s (console allocate --wallet v%s)', NEW.base_path, reg.allocations_go_to, reg.allocations_go_to);
  END IF;

  -- The other wallet first (the order is what makes it race-free, see the top).
  IF reg.overlap_also_in IS NOT NULL THEN
    SELECT p.base_path INTO conflict FROM path_registry p
     WHERE p.wallet_version = reg.overlap_also_in
       AND (p.base_path = NEW.base_path
            OR (p.status IN ('active', 'migrating')
                AND p.base_path = ANY (ARRAY(SELECT array_to_string(comps[1:k], '.') FROM generate_series(1, depth - 1) k))))
     LIMIT 1;
    IF NOT FOUND THEN
      SELECT p.base_path INTO conflict FROM path_registry p
       WHERE p.wallet_version = reg.overlap_also_in
         AND p.status IN ('active', 'migrating')
         AND p.base_path >= NEW.base_path || '.'
         AND p.base_path <  NEW.base_path || '/'
       ORDER BY p.base_path
       LIMIT 1;
    END IF;
    IF FOUND THEN
      RAISE EXCEPTION 'path % overlaps % in wallet v%, from which % is being moved here', NEW.base_path, conflict,
                      reg.overlap_also_in, reg.manufacturer_name
        USING ERRCODE = 'WLPOV', DETAIL = conflict, CONSTRAINT = 'overlap_in_moving_source',
              TABLE = reg.overlap_also_in::text,  -- which wallet, for the console's message
              HINT = 'while a namespace moves, a new path must overlap no path of it in either wallet';
    END IF;
  END IF;

  -- One equality probe per ancestor: an "= ANY(array)" condition may be
  -- planned as a filter on a small table, and that plan would then be
  -- cached (a bulk load then turns quadratic).
  FOREACH prefix IN ARRAY ancestors LOOP
    SELECT p.base_path INTO conflict FROM path_registry p
     WHERE p.wallet_version = NEW.wallet_version
       AND p.base_path = prefix
       AND p.status IN ('active', 'migrating')
       AND p.id <> NEW.id;
    IF FOUND THEN
      RAISE EXCEPTION 'path % overlaps % in wallet v%: % is already allocated and is an ancestor of %',
                      NEW.base_path, conflict, NEW.wallet_version, conflict, NEW.base_path
        USING ERRCODE = 'WLPOV', DETAIL = conflict,
              HINT = 'a live path may be neither a prefix nor an extension of another live path in the same wallet';
    END IF;
  END LOOP;

  SELECT p.base_path INTO conflict FROM path_registry p
   WHERE p.wallet_version = NEW.wallet_version
     AND p.status IN ('active', 'migrating')
     AND p.base_path >= NEW.base_path || '.'
     AND p.base_path <  NEW.base_path || '/'
     AND p.id <> NEW.id
   ORDER BY p.base_path
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'path % overlaps % in wallet v%: % is already allocated and is a descendant of %',
                    NEW.base_path, conflict, NEW.wallet_version, conflict, NEW.base_path
      USING ERRCODE = 'WLPOV', DETAIL = conflict,
            HINT = 'a live path may be neither a prefix nor an extension of another live path in the same wallet';
  END IF;

  NEW.manufacturer_name := reg.manufacturer_name;
  RETURN NEW;
END
$$;

-- The allocation rule (010) lets the engine's rows through: a rollback
-- returns paths to a source that is deprecated by then.
CREATE OR REPLACE FUNCTION path_registry_allocation_rule() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  wstatus text;
  refusal text;
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW.wallet_version = OLD.wallet_version
     AND NEW.allocation_type = OLD.allocation_type
     AND (OLD.status IN ('active', 'migrating') OR NEW.status NOT IN ('active', 'migrating')) THEN
    RETURN NEW;
  END IF;
  IF current_setting('wallet.engine', true) = 'on' THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(20251109, NEW.wallet_version);
  SELECT status INTO wstatus FROM wallet_versions WHERE version_id = NEW.wallet_version;
  IF NOT FOUND THEN
    RETURN NEW; -- the foreign key refuses it
  END IF;
  refusal := wallet_allocation_refusal(NEW.wallet_version, wstatus, NEW.allocation_type);
  IF refusal IS NOT NULL THEN
    RAISE EXCEPTION '%', refusal
      USING ERRCODE = 'WLALC', CONSTRAINT = 'allocation_type_for_wallet_status',
            DETAIL = format('path %s, %s allocation, wallet v%s is %s', NEW.base_path, NEW.allocation_type,
                            NEW.wallet_version, wstatus);
  END IF;
  RETURN NEW;
END
$$;

-- The path counters (003) of a batch's rows go to a slot of their own (16;
-- a backend's are pid % 16): a batch holds its counter rows until it
-- commits, and an allocation that hashed to the same slot would wait for
-- the whole batch. Readers sum every slot.
CREATE OR REPLACE FUNCTION path_stats_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  engine_slot smallint := CASE WHEN current_setting('wallet.engine', true) = 'on' THEN 16 ELSE pg_backend_pid() % 16 END;
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    INSERT INTO wallet_path_stats AS s
           (wallet_version, manufacturer_index, allocation_type, status, slot, paths, identifiers, last_allocated_at)
    SELECT wallet_version, manufacturer_index, allocation_type, status, engine_slot,
           - count(*), - sum(quantity), NULL::timestamptz
      FROM old_rows
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4   -- key order: concurrent transactions never lock counters crosswise
    ON CONFLICT (wallet_version, manufacturer_index, allocation_type, status, slot) DO UPDATE
       SET paths = s.paths + EXCLUDED.paths,
           identifiers = s.identifiers + EXCLUDED.identifiers,
           last_allocated_at = greatest(s.last_allocated_at, EXCLUDED.last_allocated_at);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO wallet_path_stats AS s
           (wallet_version, manufacturer_index, allocation_type, status, slot, paths, identifiers, last_allocated_at)
    SELECT wallet_version, manufacturer_index, allocation_type, status, engine_slot,
           count(*), sum(quantity), max(allocated_at)
      FROM new_rows
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4   -- key order: concurrent transactions never lock counters crosswise
    ON CONFLICT (wallet_version, manufacturer_index, allocation_type, status, slot) DO UPDATE
       SET paths = s.paths + EXCLUDED.paths,
           identifiers = s.identifiers + EXCLUDED.identifiers,
           last_allocated_at = greatest(s.last_allocated_at, EXCLUDED.last_allocated_at);
  END IF;
  RETURN NULL;
END
$$;

-- An allocation is never an engine row, whatever the session set.
ALTER FUNCTION wallet_allocate_path(integer, text, text, bigint, bigint, bigint, text, uuid, uuid, text)
  SET wallet.engine = 'off';

-- ---------------------------------------------------------------------------
-- The migration's own lock: every batch holds it shared; pause, rollback
-- and verify take it exclusively, so they wait for the batches in flight
-- (one batch time) and none starts under them.
CREATE FUNCTION wallet_migration_row(p_id bigint, p_exclusive boolean) RETURNS manufacturer_migrations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m manufacturer_migrations;
BEGIN
  IF p_exclusive THEN
    PERFORM pg_advisory_xact_lock(20251120, p_id::integer);
  ELSE
    PERFORM pg_advisory_xact_lock_shared(20251120, p_id::integer);
  END IF;
  SELECT * INTO m FROM manufacturer_migrations x WHERE x.id = p_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no migration #%', p_id USING ERRCODE = 'WLMIG',
      HINT = 'console migration status lists them';
  END IF;
  RETURN m;
END
$$;

-- One batch of migration p_id, at most p_limit paths: forward, the lowest
-- queued ids (priority order); after a rollback, the moved paths newest
-- first and then the paths allocated in the target under the namespace
-- since the start. Rows other workers hold are skipped (SKIP LOCKED), so
-- two workers never take the same path. A batch that finds nothing left
-- finishes the direction: moved (forward; verify completes it) or
-- rolled_back. Returns what it did; a crash before its commit leaves
-- nothing, and the next batch takes the same rows.
CREATE FUNCTION wallet_migration_batch(p_id bigint, p_limit integer, p_note text,
  OUT moved integer, OUT batch_no integer, OUT state text, OUT remaining bigint, OUT seq bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET wallet.engine = 'on'
AS $$
DECLARE
  m       manufacturer_migrations;
  idx     integer;
  ids     bigint[];
  paths   text[];
  t0      timestamptz := clock_timestamp();
  sum     text;
  lo      text;
  hi      text;
  skipped integer := 0;
  native  boolean := false;
  s1      text;
  s2      text;
BEGIN
  moved := 0;
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100000 THEN
    RAISE EXCEPTION 'a batch of % paths: give between 1 and 100000', p_limit USING ERRCODE = 'WLMIG';
  END IF;
  m := wallet_migration_row(p_id, false);
  state := m.state;
  remaining := CASE WHEN m.direction = 'forward' THEN m.total_paths - m.moved_paths - m.skipped_paths
                    ELSE m.moved_paths - m.returned_paths END;
  IF m.state NOT IN ('running', 'rolling_back') THEN
    RETURN;
  END IF;
  IF m.throttled_by = 'operator' AND (m.throttled_until IS NULL OR m.throttled_until > now()) THEN
    state := 'throttled';
    RETURN;
  END IF;
  -- A wallet that went bad stops the move (its status change waits for
  -- this lock, as for any allocation).
  PERFORM pg_advisory_xact_lock_shared(20251109, v) FROM unnest(ARRAY[m.source_wallet_version, m.target_wallet_version]) v ORDER BY v;
  SELECT v.status INTO s1 FROM wallet_versions v WHERE v.version_id = m.source_wallet_version;
  SELECT v.status INTO s2 FROM wallet_versions v WHERE v.version_id = m.target_wallet_version;
  IF m.direction = 'forward' AND s2 <> 'active' THEN
    RAISE EXCEPTION 'migration #%: the target v% is % now; nothing is moved into it', p_id, m.target_wallet_version, s2
      USING ERRCODE = 'WLMIG', HINT = 'pause the migration, or roll it back (console migration rollback ' || p_id || ')';
  END IF;
  IF m.direction = 'rollback' AND s1 IN ('retired', 'compromised') THEN
    RAISE EXCEPTION 'migration #%: the source v% is % now; no path goes back to it', p_id, m.source_wallet_version, s1
      USING ERRCODE = 'WLMIG';
  END IF;
  SELECT r.manufacturer_index INTO idx FROM manufacturer_registry r
   WHERE r.wallet_version = m.source_wallet_version AND r.manufacturer_name = m.manufacturer_name;

  IF m.direction = 'forward' THEN
    SELECT array_agg(q.id ORDER BY q.id), array_agg(q.base_path ORDER BY q.id) INTO ids, paths
      FROM (SELECT x.id, x.base_path FROM path_migration_queue x
             WHERE x.migration_id = p_id AND x.migration_status IN ('queued', 'in_progress')
             ORDER BY x.id LIMIT p_limit FOR UPDATE SKIP LOCKED) q;
    IF ids IS NOT NULL THEN
      WITH src AS (
        UPDATE path_registry p SET status = 'migrated', migrated_to_wallet = m.target_wallet_version, migrated_at = now()
         WHERE p.wallet_version = m.source_wallet_version AND p.base_path = ANY (paths)
           AND p.status IN ('active', 'migrating')
        RETURNING p.*),
      ins AS (
        INSERT INTO path_registry (wallet_version, base_path, manufacturer_name, organization_id, allocation_type,
                                   quantity, allocated_range_start, allocated_range_end, purpose, status, allocated_by,
                                   allocated_at, completed_at, migrated_from_wallet)
        SELECT m.target_wallet_version, src.base_path, src.manufacturer_name, src.organization_id, src.allocation_type,
               src.quantity, src.allocated_range_start, src.allocated_range_end, src.purpose, 'active', src.allocated_by,
               src.allocated_at, src.completed_at, m.source_wallet_version
          FROM src
        RETURNING path_registry.*)
      SELECT count(*), md5(coalesce(string_agg(wallet_path_line(ins.base_path, ins.allocation_type, ins.quantity,
               ins.allocated_range_start, ins.allocated_range_end, ins.organization_id, ins.purpose, ins.allocated_by,
               ins.allocated_at,  ins.manufacturer_name), E'\n' ORDER BY ins.base_path), '')),
             min(ins.base_path), max(ins.base_path)
        INTO moved, sum, lo, hi FROM ins;
      skipped := array_length(ids, 1) - moved;
      UPDATE manufacturer_migrations x SET moved_paths = x.moved_paths + moved, skipped_paths = x.skipped_paths + skipped,
             batches = x.batches + 1, last_batch_at = now()
       WHERE x.id = p_id RETURNING x.batches INTO batch_no;
      -- A queued path that is not live any more (exhausted since the start)
      -- stays where it is, and says so.
      UPDATE path_migration_queue q
         SET migration_status = 'completed', started_at = t0, completed_at = now(), batch_no = wallet_migration_batch.batch_no,
             error = CASE WHEN p.status = 'migrated' AND p.migrated_to_wallet = m.target_wallet_version THEN NULL
                          ELSE format('%s in v%s when its batch ran: not moved', p.status, m.source_wallet_version) END
        FROM path_registry p
       WHERE q.id = ANY (ids) AND p.wallet_version = m.source_wallet_version AND p.base_path = q.base_path;
    END IF;
  ELSE
    -- Back, newest first: the target's copy goes, the source's row lives again
    -- (with the copy's status: a path exhausted in the target is exhausted).
    SELECT array_agg(q.id ORDER BY q.id), array_agg(q.base_path ORDER BY q.id) INTO ids, paths
      FROM (SELECT x.id, x.base_path FROM path_migration_queue x
             WHERE x.migration_id = p_id AND x.migration_status = 'completed' AND x.error IS NULL
             ORDER BY x.id DESC LIMIT p_limit FOR UPDATE SKIP LOCKED) q;
    IF ids IS NOT NULL THEN
      WITH del AS (
        DELETE FROM path_registry t
         WHERE t.wallet_version = m.target_wallet_version AND t.base_path = ANY (paths)
           AND t.migrated_from_wallet = m.source_wallet_version
        RETURNING t.base_path, t.status, t.completed_at),
      back AS (
        UPDATE path_registry p
           SET status = CASE WHEN del.status = 'exhausted' THEN 'exhausted' ELSE 'active' END,
               completed_at = del.completed_at, migrated_to_wallet = NULL, migrated_at = NULL
          FROM del
         WHERE p.wallet_version = m.source_wallet_version AND p.base_path = del.base_path
           AND p.migrated_to_wallet = m.target_wallet_version
        RETURNING p.*)
      SELECT count(*), md5(coalesce(string_agg(wallet_path_line(back.base_path, back.allocation_type, back.quantity,
               back.allocated_range_start, back.allocated_range_end, back.organization_id, back.purpose, back.allocated_by,
               back.allocated_at,  back.manufacturer_name), E'\n' ORDER BY back.base_path), '')),
             min(back.base_path), max(back.base_path)
        INTO moved, sum, lo, hi FROM back;
      UPDATE manufacturer_migrations x SET returned_paths = x.returned_paths + moved,
             batches = x.batches + 1, last_batch_at = now()
       WHERE x.id = p_id RETURNING x.batches INTO batch_no;
      UPDATE path_migration_queue q SET migration_status = 'rolled_back', batch_no = wallet_migration_batch.batch_no,
             completed_at = now()
       WHERE q.id = ANY (ids);
    ELSE
      -- Then what was allocated in the target under the namespace since the
      -- start: it goes to the source too, where the manufacturer stays.
      SELECT array_agg(t.base_path ORDER BY t.base_path) INTO paths
        FROM (SELECT p.base_path FROM path_registry p
               WHERE p.wallet_version = m.target_wallet_version AND p.manufacturer_index = idx
                 AND p.migrated_from_wallet IS NULL
               ORDER BY p.base_path LIMIT p_limit FOR UPDATE SKIP LOCKED) t;
      IF paths IS NOT NULL THEN
        native := true;
        WITH del AS (
          DELETE FROM path_registry t
           WHERE t.wallet_version = m.target_wallet_version AND t.base_path = ANY (paths)
          RETURNING t.*),
        ins AS (
          INSERT INTO path_registry (wallet_version, base_path, manufacturer_name, organization_id, allocation_type,
                                     quantity, allocated_range_start, allocated_range_end, purpose, status, allocated_by,
                                     allocated_at, completed_at, migrated_from_wallet)
          SELECT m.source_wallet_version, del.base_path, del.manufacturer_name, del.organization_id, del.allocation_type,
                 del.quantity, del.allocated_range_start, del.allocated_range_end, del.purpose, del.status,
                 del.allocated_by, del.allocated_at, del.completed_at, m.target_wallet_version
            FROM del
          RETURNING path_registry.*)
        SELECT count(*), md5(coalesce(string_agg(wallet_path_line(ins.base_path, ins.allocation_type, ins.quantity,
                 ins.allocated_range_start, ins.allocated_range_end, ins.organization_id, ins.purpose, ins.allocated_by,
                 ins.allocated_at,  ins.manufacturer_name), E'\n' ORDER BY ins.base_path), '')),
               min(ins.base_path), max(ins.base_path)
          INTO moved, sum, lo, hi FROM ins;
        UPDATE manufacturer_migrations x SET batches = x.batches + 1, last_batch_at = now()
         WHERE x.id = p_id RETURNING x.batches INTO batch_no;
      END IF;
    END IF;
  END IF;

  IF batch_no IS NOT NULL THEN
    INSERT INTO migration_batches (migration_id, batch_no, direction, paths, skipped, first_path, last_path, checksum,
                                   started_at, finished_at, worker, native)
    VALUES (p_id, batch_no, m.direction, moved, skipped, lo, hi, sum, t0, clock_timestamp(),
            session_user || ' pid ' || pg_backend_pid(), native);
  END IF;

  -- Progress, and the end of the direction when nothing is left (rows
  -- other workers hold still count: they are not committed yet).
  SELECT * INTO m FROM manufacturer_migrations x WHERE x.id = p_id FOR NO KEY UPDATE;
  IF m.direction = 'forward' THEN
    remaining := m.total_paths - m.moved_paths - m.skipped_paths;
    UPDATE manufacturer_lineage l
       SET migration_completion_percentage = least(99, (100 * (m.moved_paths + m.skipped_paths) / greatest(m.total_paths, 1))::integer)
     WHERE l.canonical_name = m.manufacturer_name AND l.current_wallet_version = m.target_wallet_version
       AND batch_no IS NOT NULL;
    IF NOT EXISTS (SELECT 1 FROM path_migration_queue x
                    WHERE x.migration_id = p_id AND x.migration_status IN ('queued', 'in_progress')) THEN
      UPDATE manufacturer_migrations x SET state = 'moved', phase = x.total_phases, throttle_reason = NULL,
             throttled_by = NULL, throttled_until = NULL
       WHERE x.id = p_id;
      state := 'moved';
      remaining := 0;
    ELSIF batch_no IS NOT NULL THEN
      UPDATE manufacturer_migrations x
         SET phase = (SELECT q.phase FROM path_migration_queue q
                       WHERE q.migration_id = p_id AND q.migration_status IN ('queued', 'in_progress')
                       ORDER BY q.id LIMIT 1)
       WHERE x.id = p_id;
    END IF;
  ELSE
    remaining := m.moved_paths - m.returned_paths;
    IF batch_no IS NULL
       AND NOT EXISTS (SELECT 1 FROM path_migration_queue x
                        WHERE x.migration_id = p_id AND x.migration_status = 'completed' AND x.error IS NULL)
       AND NOT EXISTS (SELECT 1 FROM path_registry p
                        WHERE p.wallet_version = m.target_wallet_version AND p.manufacturer_index = idx
                          AND p.migrated_from_wallet IS NULL) THEN
      PERFORM wallet_migration_rolled_back(m, idx);
      state := 'rolled_back';
      remaining := 0;
      seq := wallet_log('manufacturer_migration_rolled_back', m.source_wallet_version, 'rolled_back', p_note, NULL,
        jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name,
                           'source_wallet', m.source_wallet_version, 'target_wallet', m.target_wallet_version,
                           'returned_paths', m.returned_paths, 'batches', m.batches));
      RETURN;
    END IF;
  END IF;

  IF batch_no IS NOT NULL THEN
    -- Last, so that the audit chain's lock is held for the commit only.
    seq := wallet_log('path_migration_batch', m.target_wallet_version, 'completed', p_note, NULL, jsonb_build_object(
      'migration_id', p_id, 'batch_no', batch_no, 'direction', m.direction,
      'kind', CASE WHEN native THEN 'allocated in the target since the start' END,
      'paths', moved, 'skipped', nullif(skipped, 0), 'first_path', lo, 'last_path', hi, 'checksum', sum,
      'state', state, 'remaining', remaining,
      'duration_ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1)));
  ELSIF state = 'moved' THEN
    seq := wallet_log('manufacturer_migration_moved', m.target_wallet_version, 'in_progress', p_note, NULL,
      jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name,
                         'moved_paths', m.moved_paths, 'skipped_paths', m.skipped_paths));
  END IF;
END
$$;

-- The end of a rollback: the registry and the lineage as they were.
CREATE FUNCTION wallet_migration_rolled_back(m manufacturer_migrations, idx integer) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  prior manufacturer_lineage;
BEGIN
  UPDATE manufacturer_registry r SET status = 'active', allocations_go_to = NULL, overlap_also_in = NULL
   WHERE r.wallet_version = m.source_wallet_version AND r.manufacturer_index = idx;
  IF m.prior_lineage IS NOT NULL THEN
    prior := jsonb_populate_record(NULL::manufacturer_lineage, m.prior_lineage);
    UPDATE manufacturer_lineage l
       SET current_wallet_version = prior.current_wallet_version, current_manufacturer_index = prior.current_manufacturer_index,
           predecessor_wallet = prior.predecessor_wallet, predecessor_index = prior.predecessor_index,
           migration_reason = prior.migration_reason, migration_date = prior.migration_date,
           migration_status = 'rolled_back', migration_completion_percentage = prior.migration_completion_percentage
     WHERE l.canonical_name = m.manufacturer_name;
  ELSE
    UPDATE manufacturer_lineage l
       SET current_wallet_version = m.source_wallet_version, current_manufacturer_index = idx,
           predecessor_wallet = NULL, predecessor_index = NULL, migration_status = 'rolled_back',
           migration_completion_percentage = 0
     WHERE l.canonical_name = m.manufacturer_name;
  END IF;
  -- The target's row goes if nothing refers to it any more; otherwise it
  -- stays, retired, and sends allocations back to the source.
  BEGIN
    DELETE FROM manufacturer_registry r WHERE r.wallet_version = m.target_wallet_version AND r.manufacturer_index = idx;
  EXCEPTION WHEN foreign_key_violation THEN
    UPDATE manufacturer_registry r SET status = 'retired', allocations_go_to = m.source_wallet_version, overlap_also_in = NULL
     WHERE r.wallet_version = m.target_wallet_version AND r.manufacturer_index = idx;
  END;
  UPDATE manufacturer_migrations x SET state = 'rolled_back', completed_at = now(), throttle_reason = NULL,
         throttled_by = NULL, throttled_until = NULL, pause_reason = NULL
   WHERE x.id = m.id;
END
$$;

-- ---------------------------------------------------------------------------
-- Pause, resume, throttle: the operator's controls, each refused in the
-- states where it means nothing, each with its audit row.

CREATE FUNCTION wallet_migration_pause(p_id bigint, p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m manufacturer_migrations;
BEGIN
  IF wallet_blank(p_reason) THEN
    RAISE EXCEPTION 'a pause needs a reason (--reason)' USING ERRCODE = 'WLMIG';
  END IF;
  m := wallet_migration_row(p_id, true);
  IF m.state = 'paused' THEN
    RAISE EXCEPTION 'migration #% is already paused (since %: %); nothing changed', p_id,
                    wallet_rfc3339(m.last_batch_at), coalesce(m.pause_reason, 'no reason recorded')
      USING ERRCODE = 'WLMIG', HINT = 'console migration resume ' || p_id || ' carries on';
  END IF;
  IF m.state NOT IN ('running', 'rolling_back') THEN
    RAISE EXCEPTION 'migration #% is %: there is nothing to pause', p_id, m.state USING ERRCODE = 'WLMIG';
  END IF;
  UPDATE manufacturer_migrations x SET state = 'paused', pause_reason = p_reason WHERE x.id = p_id;
  UPDATE manufacturer_lineage l SET migration_status = 'paused'
   WHERE l.canonical_name = m.manufacturer_name AND l.migration_status = 'in_progress';
  RETURN wallet_log('manufacturer_migration_paused', m.target_wallet_version, 'in_progress', p_note, NULL,
    jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name, 'reason', p_reason,
                       'direction', m.direction, 'moved_paths', m.moved_paths, 'returned_paths', m.returned_paths));
END
$$;

CREATE FUNCTION wallet_migration_resume(p_id bigint, p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m manufacturer_migrations;
  next text;
BEGIN
  m := wallet_migration_row(p_id, true);
  IF m.state <> 'paused' THEN
    RAISE EXCEPTION 'migration #% is %, not paused: nothing to resume', p_id, m.state USING ERRCODE = 'WLMIG';
  END IF;
  next := CASE m.direction WHEN 'forward' THEN 'running' ELSE 'rolling_back' END;
  UPDATE manufacturer_migrations x SET state = next, pause_reason = NULL WHERE x.id = p_id;
  UPDATE manufacturer_lineage l SET migration_status = 'in_progress'
   WHERE l.canonical_name = m.manufacturer_name AND l.migration_status = 'paused';
  RETURN wallet_log('manufacturer_migration_resumed', m.target_wallet_version, 'in_progress', p_note, NULL,
    jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name,
                       'reason', nullif(btrim(coalesce(p_reason, '')), ''), 'paused_for', m.pause_reason, 'state', next));
END
$$;

-- The operator's throttle: batches wait until p_until (NULL with a reason:
-- until lifted); p_reason NULL lifts it.
CREATE FUNCTION wallet_migration_throttle(p_id bigint, p_reason text, p_until timestamptz, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m manufacturer_migrations;
BEGIN
  m := wallet_migration_row(p_id, false);
  PERFORM 1 FROM manufacturer_migrations x WHERE x.id = p_id FOR NO KEY UPDATE;
  SELECT * INTO m FROM manufacturer_migrations x WHERE x.id = p_id;
  IF m.state NOT IN ('running', 'rolling_back', 'paused') THEN
    RAISE EXCEPTION 'migration #% is %: there is nothing to throttle', p_id, m.state USING ERRCODE = 'WLMIG';
  END IF;
  IF p_reason IS NULL THEN
    IF m.throttled_by IS NULL THEN
      RAISE EXCEPTION 'migration #% is not throttled; nothing changed', p_id USING ERRCODE = 'WLMIG';
    END IF;
    UPDATE manufacturer_migrations x SET throttle_reason = NULL, throttled_by = NULL, throttled_until = NULL WHERE x.id = p_id;
  ELSE
    IF wallet_blank(p_reason) THEN
      RAISE EXCEPTION 'a throttle needs a reason (--reason)' USING ERRCODE = 'WLMIG';
    END IF;
    IF p_until IS NOT NULL AND p_until <= now() THEN
      RAISE EXCEPTION 'a throttle until % has already ended', wallet_rfc3339(p_until) USING ERRCODE = 'WLMIG';
    END IF;
    UPDATE manufacturer_migrations x SET throttle_reason = p_reason, throttled_by = 'operator', throttled_until = p_until
     WHERE x.id = p_id;
  END IF;
  RETURN wallet_log(CASE WHEN p_reason IS NULL THEN 'manufacturer_migration_unthrottled' ELSE 'manufacturer_migration_throttled' END,
    m.target_wallet_version, 'in_progress', p_note, NULL,
    jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name, 'reason', p_reason,
                       'until', wallet_rfc3339(p_until), 'lifted', m.throttle_reason));
END
$$;

-- The worker's own throttle (database load, allocation latency): recorded
-- with its reason so that every screen shows it; an audit row when it
-- begins and when it ends. An operator's throttle is not overwritten.
CREATE FUNCTION wallet_migration_worker_throttle(p_id bigint, p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m manufacturer_migrations;
BEGIN
  SELECT * INTO m FROM manufacturer_migrations x WHERE x.id = p_id FOR NO KEY UPDATE;
  IF NOT FOUND OR m.throttled_by = 'operator' OR m.state NOT IN ('running', 'rolling_back') THEN
    RETURN NULL;
  END IF;
  IF p_reason IS NULL THEN
    IF m.throttled_by IS NULL THEN
      RETURN NULL;
    END IF;
    UPDATE manufacturer_migrations x SET throttle_reason = NULL, throttled_by = NULL WHERE x.id = p_id;
  ELSE
    IF m.throttled_by = 'worker' AND split_part(m.throttle_reason, ':', 1) = split_part(p_reason, ':', 1) THEN
      UPDATE manufacturer_migrations x SET throttle_reason = p_reason WHERE x.id = p_id;
      RETURN NULL; -- the same cause, a new figure: no new audit row
    END IF;
    UPDATE manufacturer_migrations x SET throttle_reason = p_reason, throttled_by = 'worker' WHERE x.id = p_id;
  END IF;
  RETURN wallet_log(CASE WHEN p_reason IS NULL THEN 'manufacturer_migration_unthrottled' ELSE 'manufacturer_migration_throttled' END,
    m.target_wallet_version, 'in_progress', p_note, NULL,
    jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name, 'by', 'worker',
                       'reason', p_reason, 'lifted', CASE WHEN p_reason IS NULL THEN m.throttle_reason END));
END
$$;

-- ---------------------------------------------------------------------------
-- Rollback: the direction turns; the batches then bring the paths back.
-- Refused once the source is retired (it takes nothing back) or compromised.
CREATE FUNCTION wallet_migration_rollback(p_id bigint, p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m   manufacturer_migrations;
  src wallet_versions;
  idx integer;
BEGIN
  IF wallet_blank(p_reason) THEN
    RAISE EXCEPTION 'a rollback needs a reason (--reason)' USING ERRCODE = 'WLMIG';
  END IF;
  m := wallet_migration_row(p_id, true);
  IF m.direction = 'rollback' THEN
    RAISE EXCEPTION 'migration #% is % already; nothing changed', p_id,
                    CASE m.state WHEN 'rolled_back' THEN 'rolled back' ELSE 'being rolled back (' || m.state || ')' END
      USING ERRCODE = 'WLMIG';
  END IF;
  IF m.state NOT IN ('running', 'paused', 'moved', 'completed') THEN
    RAISE EXCEPTION 'migration #% is %: there is nothing to roll back', p_id, m.state USING ERRCODE = 'WLMIG';
  END IF;
  SELECT * INTO src FROM wallet_versions v WHERE v.version_id = m.source_wallet_version FOR NO KEY UPDATE;
  IF src.status IN ('retired', 'compromised') THEN
    RAISE EXCEPTION 'migration #% cannot be rolled back: its source v% is %, and a % wallet takes no path back',
                    p_id, src.version_id, src.status, src.status
      USING ERRCODE = 'WLMIG', HINT = 'the paths stay in v' || m.target_wallet_version;
  END IF;
  SELECT r.manufacturer_index INTO idx FROM manufacturer_registry r
   WHERE r.wallet_version = m.source_wallet_version AND r.manufacturer_name = m.manufacturer_name;
  -- The namespace's lock in the target: allocations there in flight commit
  -- first (and the batches then bring them back too); later ones go to the source.
  PERFORM pg_advisory_xact_lock(20251101, hashtext(m.target_wallet_version::text || ':' || idx::text) & 1023);
  UPDATE manufacturer_registry r SET status = 'migrating', allocations_go_to = NULL, overlap_also_in = m.target_wallet_version,
         migration_completed_at = NULL
   WHERE r.wallet_version = m.source_wallet_version AND r.manufacturer_index = idx;
  UPDATE manufacturer_registry r SET status = 'migrating', allocations_go_to = m.source_wallet_version, overlap_also_in = NULL,
         migration_completed_at = NULL
   WHERE r.wallet_version = m.target_wallet_version AND r.manufacturer_index = idx;
  UPDATE manufacturer_lineage l SET migration_status = 'in_progress' WHERE l.canonical_name = m.manufacturer_name;
  UPDATE manufacturer_migrations x SET direction = 'rollback', state = 'rolling_back', pause_reason = NULL,
         throttle_reason = NULL, throttled_by = NULL, throttled_until = NULL, completed_at = NULL
   WHERE x.id = p_id;
  RETURN wallet_log('manufacturer_migration_rollback_started', m.source_wallet_version, 'in_progress', p_note, NULL,
    jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name, 'reason', p_reason,
                       'was', m.state, 'moved_paths', m.moved_paths, 'target_wallet', m.target_wallet_version));
END
$$;

-- ---------------------------------------------------------------------------
-- Verify: Vitess's VDiff, on every row. Compares the manufacturer's paths
-- in the two wallets as whole sets (by key, reporting the keys of every
-- mismatch up to 50 of each kind), checks the queue and the counters, and
-- recomputes each batch's checksum from both wallets. A clean verify of a
-- moved migration completes it. Returns the findings and what it did as
-- one JSON document.
-- Every comparison is a whole set against a whole set: never a nested
-- loop, which statistics taken before the move (the target's copies
-- counted as none, the queue not analyzed yet) would otherwise choose,
-- scanning the target once per path (hours at 1 M paths).
CREATE FUNCTION wallet_migration_verify(p_id bigint, p_note text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp SET enable_nestloop = off AS $$
DECLARE
  m         manufacturer_migrations;
  idx       integer;
  s         integer;
  t         integer;
  findings  jsonb := '[]';
  counts    jsonb;
  f         record;
  n_find    integer := 0;
  completed boolean := false;
  result    jsonb;
  seq       bigint;
  stat      record;
  t0        timestamptz := clock_timestamp();
  checked   bigint;
  batches   integer;
BEGIN
  m := wallet_migration_row(p_id, true);
  s := m.source_wallet_version;
  t := m.target_wallet_version;
  SELECT r.manufacturer_index INTO idx FROM manufacturer_registry r WHERE r.wallet_version = s AND r.manufacturer_name = m.manufacturer_name;

  IF m.direction = 'forward' THEN
    -- The two sets: the source's rows moved to the target, the target's
    -- rows moved from the source; full outer join by base path.
    FOR f IN
      WITH src AS (SELECT p.* FROM path_registry p
                    WHERE p.wallet_version = s AND p.manufacturer_index = idx AND p.migrated_to_wallet = t),
           dst AS (SELECT p.* FROM path_registry p
                    WHERE p.wallet_version = t AND p.manufacturer_index = idx AND p.migrated_from_wallet = s),
           j AS (SELECT coalesce(src.base_path, dst.base_path) AS key,
                        CASE WHEN dst.base_path IS NULL THEN 'missing in the target'
                             WHEN src.base_path IS NULL THEN 'extra in the target (no source row moved to it)'
                             WHEN src.status <> 'migrated' THEN 'source row is ' || src.status || ', not migrated'
                             WHEN wallet_path_line(src.base_path, src.allocation_type, src.quantity, src.allocated_range_start,
                                    src.allocated_range_end, src.organization_id, src.purpose, src.allocated_by, src.allocated_at,
                                     src.manufacturer_name)
                               <> wallet_path_line(dst.base_path, dst.allocation_type, dst.quantity, dst.allocated_range_start,
                                    dst.allocated_range_end, dst.organization_id, dst.purpose, dst.allocated_by, dst.allocated_at,
                                     dst.manufacturer_name)
                               AND dst.status = 'active'
                               THEN 'different in the target'
                        END AS kind
                   FROM src FULL JOIN dst ON dst.base_path = src.base_path)
      SELECT j.kind, count(*) AS n, (array_agg(j.key ORDER BY j.key))[1:50] AS keys
        FROM j WHERE j.kind IS NOT NULL GROUP BY j.kind
    LOOP
      findings := findings || jsonb_build_object('kind', f.kind, 'count', f.n, 'keys', to_jsonb(f.keys));
      n_find := n_find + f.n;
    END LOOP;
    -- The queue: each path queued once, each completed one moved exactly once.
    FOR f IN
      SELECT 'queued more than once' AS kind, count(*) AS n, (array_agg(x.base_path ORDER BY x.base_path))[1:50] AS keys
        FROM (SELECT q.base_path FROM path_migration_queue q WHERE q.migration_id = p_id
               GROUP BY q.base_path HAVING count(*) > 1) x
      UNION ALL
      SELECT 'queue says moved, the source does not', count(*), (array_agg(q.base_path ORDER BY q.base_path))[1:50]
        FROM path_migration_queue q
        LEFT JOIN path_registry p ON p.wallet_version = s AND p.base_path = q.base_path
       WHERE q.migration_id = p_id AND q.migration_status = 'completed' AND q.error IS NULL
         AND (p.id IS NULL OR p.migrated_to_wallet IS DISTINCT FROM t)
      UNION ALL
      SELECT 'left live in the source', count(*), (array_agg(p.base_path ORDER BY p.base_path))[1:50]
        FROM path_registry p
       WHERE m.state IN ('moved', 'completed') AND p.wallet_version = s AND p.manufacturer_index = idx
         AND p.status IN ('active', 'migrating')
    LOOP
      IF f.n > 0 THEN
        findings := findings || jsonb_build_object('kind', f.kind, 'count', f.n, 'keys', to_jsonb(f.keys));
        n_find := n_find + f.n;
      END IF;
    END LOOP;
  ELSE
    -- After a rollback: nothing of the source's left in the target, every
    -- moved path live (or exhausted) in the source again.
    FOR f IN
      SELECT 'still in the target' AS kind, count(*) AS n, (array_agg(p.base_path ORDER BY p.base_path))[1:50] AS keys
        FROM path_registry p
       WHERE m.state = 'rolled_back' AND p.wallet_version = t AND p.manufacturer_index = idx
      UNION ALL
      SELECT 'source row still marked moved', count(*), (array_agg(p.base_path ORDER BY p.base_path))[1:50]
        FROM path_registry p
       WHERE m.state = 'rolled_back' AND p.wallet_version = s AND p.manufacturer_index = idx AND p.migrated_to_wallet = t
      UNION ALL
      SELECT 'queue row neither returned nor skipped', count(*), (array_agg(q.base_path ORDER BY q.base_path))[1:50]
        FROM path_migration_queue q
       WHERE m.state = 'rolled_back' AND q.migration_id = p_id AND q.migration_status <> 'rolled_back'
         AND NOT (q.migration_status = 'completed' AND q.error IS NOT NULL) AND q.migration_status <> 'queued'
      UNION ALL
      SELECT 'returned but not live in the source', count(*), (array_agg(q.base_path ORDER BY q.base_path))[1:50]
        FROM path_migration_queue q
        LEFT JOIN path_registry p ON p.wallet_version = s AND p.base_path = q.base_path
       WHERE q.migration_id = p_id AND q.migration_status = 'rolled_back'
         AND (p.id IS NULL OR p.status NOT IN ('active', 'exhausted') OR p.migrated_to_wallet IS NOT NULL)
    LOOP
      IF f.n > 0 THEN
        findings := findings || jsonb_build_object('kind', f.kind, 'count', f.n, 'keys', to_jsonb(f.keys));
        n_find := n_find + f.n;
      END IF;
    END LOOP;
  END IF;

  -- Each batch's checksum, recomputed from both wallets' rows of its paths
  -- (a forward batch: the target's copies and the source's rows; a rollback
  -- batch: the source's rows, which must be as they were moved).
  checked := 0;
  FOR f IN
    WITH bq AS (
      SELECT q.batch_no, q.base_path FROM path_migration_queue q
       WHERE q.migration_id = p_id AND q.batch_no IS NOT NULL AND q.error IS NULL
         AND q.migration_status = CASE WHEN m.direction = 'forward' THEN 'completed' ELSE 'rolled_back' END),
    recomputed AS (
      SELECT bq.batch_no,
             md5(coalesce(string_agg(wallet_path_line(d.base_path, d.allocation_type, d.quantity, d.allocated_range_start,
                   d.allocated_range_end, d.organization_id, d.purpose, d.allocated_by, d.allocated_at, 
                   d.manufacturer_name), E'\n' ORDER BY d.base_path), '')) AS dst_sum,
             md5(coalesce(string_agg(wallet_path_line(o.base_path, o.allocation_type, o.quantity, o.allocated_range_start,
                   o.allocated_range_end, o.organization_id, o.purpose, o.allocated_by, o.allocated_at, 
                   o.manufacturer_name), E'\n' ORDER BY o.base_path), '')) AS src_sum
        FROM bq
        LEFT JOIN path_registry d ON m.direction = 'forward' AND d.wallet_version = t AND d.base_path = bq.base_path
                                 AND d.migrated_from_wallet = s
        LEFT JOIN path_registry o ON o.wallet_version = s AND o.base_path = bq.base_path
       GROUP BY bq.batch_no)
    SELECT b.batch_no, b.checksum, r.dst_sum, r.src_sum, b.paths
      FROM migration_batches b
      LEFT JOIN recomputed r ON r.batch_no = b.batch_no
     WHERE b.migration_id = p_id AND b.direction = m.direction AND b.first_path IS NOT NULL AND NOT b.native
     ORDER BY b.batch_no
  LOOP
    checked := checked + 1;
    -- A source row changes once it is moved back (status, times): a
    -- forward batch is checked against the target only after a rollback.
    IF f.checksum IS DISTINCT FROM (CASE WHEN m.direction = 'forward' THEN f.dst_sum ELSE f.src_sum END)
       OR (m.direction = 'forward' AND f.checksum IS DISTINCT FROM f.src_sum) THEN
      findings := findings || jsonb_build_object('kind', 'batch checksum differs', 'count', 1,
                                                 'keys', jsonb_build_array('batch ' || f.batch_no));
      n_find := n_find + 1;
    END IF;
  END LOOP;
  batches := checked;

  -- Counters: the migration's own, and the wallets' path counters.
  SELECT count(*) FILTER (WHERE q.migration_status = 'completed' AND q.error IS NULL) AS moved,
         count(*) FILTER (WHERE q.migration_status = 'completed' AND q.error IS NOT NULL) AS skipped,
         count(*) FILTER (WHERE q.migration_status IN ('queued', 'in_progress')) AS queued,
         count(*) FILTER (WHERE q.migration_status = 'rolled_back') AS returned,
         count(*) AS total
    INTO stat FROM path_migration_queue q WHERE q.migration_id = p_id;
  counts := jsonb_build_object('queued_total', stat.total, 'moved', stat.moved, 'skipped', stat.skipped,
                               'still_queued', stat.queued, 'returned', stat.returned, 'batches_checked', batches);
  IF stat.total <> m.total_paths OR stat.skipped <> m.skipped_paths
     OR (m.direction = 'forward' AND stat.moved <> m.moved_paths)
     OR (m.direction = 'rollback' AND stat.returned <> m.returned_paths) THEN
    findings := findings || jsonb_build_object('kind', 'counters differ from the queue', 'count', 1,
      'keys', jsonb_build_array(format('migration says total %s moved %s skipped %s returned %s; the queue has %s, %s, %s, %s',
        m.total_paths, m.moved_paths, m.skipped_paths, m.returned_paths, stat.total, stat.moved, stat.skipped, stat.returned)));
    n_find := n_find + 1;
  END IF;
  FOR f IN
    WITH c AS (SELECT x.wallet_version AS v, x.status, sum(x.paths) AS n FROM wallet_path_stats x
                WHERE x.wallet_version IN (s, t) AND x.manufacturer_index = idx GROUP BY 1, 2),
         a AS (SELECT p.wallet_version AS v, p.status, count(*) AS n FROM path_registry p
                WHERE p.wallet_version IN (s, t) AND p.manufacturer_index = idx GROUP BY 1, 2)
    SELECT coalesce(c.v, a.v) AS v, coalesce(c.status, a.status) AS status, coalesce(c.n, 0) AS counted, coalesce(a.n, 0) AS actual
      FROM c FULL JOIN a ON a.v = c.v AND a.status = c.status
     WHERE coalesce(c.n, 0) <> coalesce(a.n, 0)
  LOOP
    findings := findings || jsonb_build_object('kind', 'path counters differ', 'count', 1,
      'keys', jsonb_build_array(format('v%s %s: counters say %s, the table has %s', f.v, coalesce(f.status, '?'), f.counted, f.actual)));
    n_find := n_find + 1;
  END LOOP;

  -- Completion: at 100 % and clean.
  IF m.state = 'moved' AND n_find = 0 THEN
    UPDATE manufacturer_registry r SET status = 'active', overlap_also_in = NULL, migration_completed_at = now()
     WHERE r.wallet_version = t AND r.manufacturer_index = idx;
    UPDATE manufacturer_registry r SET status = 'migrated', migration_completed_at = now()
     WHERE r.wallet_version = s AND r.manufacturer_index = idx;
    UPDATE manufacturer_lineage l SET migration_status = 'completed', migration_completion_percentage = 100
     WHERE l.canonical_name = m.manufacturer_name;
    UPDATE manufacturer_migrations x SET state = 'completed', completed_at = now() WHERE x.id = p_id;
    completed := true;
  END IF;
  UPDATE manufacturer_migrations x SET verified_at = now(), verify_findings = n_find WHERE x.id = p_id;
  SELECT x.state INTO m.state FROM manufacturer_migrations x WHERE x.id = p_id;
  result := jsonb_build_object('migration_id', p_id, 'state', m.state, 'completed', completed, 'findings', findings,
                               'finding_count', n_find, 'counts', counts,
                               'duration_ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1));
  seq := wallet_log(CASE WHEN completed THEN 'manufacturer_migration_completed' ELSE 'manufacturer_migration_verified' END,
    t, CASE WHEN completed THEN 'completed' WHEN n_find = 0 THEN 'completed' ELSE 'failed' END, p_note, NULL,
    jsonb_build_object('migration_id', p_id, 'manufacturer_name', m.manufacturer_name, 'direction', m.direction,
                       'finding_count', n_find, 'counts', counts,
                       'kinds', (SELECT jsonb_agg(e->'kind') FROM jsonb_array_elements(findings) e)));
  RETURN result || jsonb_build_object('seq', seq);
END
$$;

REVOKE EXECUTE ON FUNCTION wallet_migration_row(bigint, boolean), wallet_migration_rolled_back(manufacturer_migrations, integer),
  wallet_migration_batch(bigint, integer, text), wallet_migration_pause(bigint, text, text),
  wallet_migration_resume(bigint, text, text), wallet_migration_throttle(bigint, text, timestamptz, text),
  wallet_migration_worker_throttle(bigint, text, text), wallet_migration_rollback(bigint, text, text),
  wallet_migration_verify(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wallet_migration_batch(bigint, integer, text), wallet_migration_pause(bigint, text, text),
  wallet_migration_resume(bigint, text, text), wallet_migration_throttle(bigint, text, timestamptz, text),
  wallet_migration_worker_throttle(bigint, text, text), wallet_migration_rollback(bigint, text, text),
  wallet_migration_verify(bigint, text) TO wallet_operator;

-- What the worker throttles on: client sessions running a statement, and
-- those waiting for a lock, other than the caller's (read as the owner, so
-- that every session counts whatever the login may see).
CREATE FUNCTION wallet_migration_load(OUT active integer, OUT waiting integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT (count(*) FILTER (WHERE a.state = 'active'))::integer,
         (count(*) FILTER (WHERE a.wait_event_type = 'Lock'))::integer
    FROM pg_stat_activity a
   WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
$$;
REVOKE EXECUTE ON FUNCTION wallet_migration_load() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wallet_migration_load() TO wallet_viewer, wallet_operator, wallet_approver;
