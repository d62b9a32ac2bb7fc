-- The migration engine's batch (018), made cheaper per path (issue 12,
-- acceptance 3). A profile of one 20,000-path batch at 1 M paths
-- (auto_explain of its nested statements, bench/profile-migration.sh, and
-- perf) put it at about 150 µs a path, CPU-bound, of which:
--   * the guard and the allocation rule, called for every row only to
--     return at once (wallet.engine is on): ~18 µs, most of it the GUC
--     save and restore of their SET clauses;
--   * the queue: every claimed row updated with five indexes to maintain
--     (its status is in three of them, its batch number in one): ~14 µs;
--   * the queue rows joined back to the source for each row's outcome, and
--     the checksum's line function (a SQL function with a SET clause is
--     never inlined): ~10 µs;
--   * the foreign keys of every copy, each a query of its own: ~12 µs;
--   * the counters: every batch held the migration's row and the engine's
--     counter slot from its first write to its commit, so a second worker
--     waited for the first one's whole batch.
-- What stays is the work itself, about 80 µs a path on one core, half of
-- it in B-tree inserts (perf): the source's row marked (a new version with
-- an entry in each of its indexes: the status is in the live index's
-- predicate, so it cannot be a HOT update), the target's copy inserted
-- with its own, and the queue row marked done (a HOT update). Two batch
-- loops side by side (console migration run --workers 2) use both cores.

-- The engine's rows never reach the guard or the allocation rule: the
-- trigger's WHEN is evaluated without calling the function. wallet.engine
-- is set on only by the engine's functions (an attribute of each, so only
-- for their own statements); a login has no INSERT or UPDATE on
-- path_registry, and wallet_allocate_path sets it off (018).
DROP TRIGGER path_registry_guard ON path_registry;
CREATE TRIGGER path_registry_guard
  BEFORE INSERT OR UPDATE OF base_path, status, wallet_version, quantity, allocated_range_start, allocated_range_end
  ON path_registry
  FOR EACH ROW WHEN (current_setting('wallet.engine', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION path_registry_guard();
DROP TRIGGER path_registry_allocation_rule ON path_registry;
CREATE TRIGGER path_registry_allocation_rule
  BEFORE INSERT OR UPDATE OF wallet_version, allocation_type, status
  ON path_registry
  FOR EACH ROW WHEN (current_setting('wallet.engine', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION path_registry_allocation_rule();

-- The counters are kept in every mode, the engine's replica one included
-- (see the batch below).
ALTER TABLE path_registry ENABLE ALWAYS TRIGGER path_stats_insert;
ALTER TABLE path_registry ENABLE ALWAYS TRIGGER path_stats_update;
ALTER TABLE path_registry ENABLE ALWAYS TRIGGER path_stats_delete;

-- The queue: one index by migration and position, and room on each page
-- for a row's next version, so that marking a row done is a HOT update (no
-- index entry at all). The indexes on its status go: the progress counts
-- are the migration's own counters (kept in the same transaction as the
-- rows), and the next rows to move are found from the migration's
-- position in the queue (queue_from below).
DROP INDEX idx_migration_queue_todo;
DROP INDEX idx_migration_queue_moved;
DROP INDEX idx_migration_queue_batch;
DROP INDEX idx_migration_queue_progress;
CREATE INDEX idx_migration_queue_position ON path_migration_queue (migration_id, id);
ALTER TABLE path_migration_queue SET (fillfactor = 45);

-- Where a migration's batches look first: forward, no queue row below
-- queue_from is queued; after a rollback, none above queue_back is still
-- moved. Each batch advances them under the migration's row lock, from its
-- own snapshot, in which rows other workers hold are still queued: a
-- position never passes a row that is not done and committed.
ALTER TABLE manufacturer_migrations
  ADD COLUMN queue_from bigint NOT NULL DEFAULT 0,
  ADD COLUMN queue_back bigint;

-- Batch numbers: unique and increasing, taken at a batch's start so that
-- two workers' batches never wait for each other for one (a crashed batch
-- leaves a gap).
CREATE SEQUENCE migration_batch_no;
SELECT setval('migration_batch_no', greatest((SELECT max(batch_no) FROM migration_batches), 1),
              (SELECT max(batch_no) FROM migration_batches) IS NOT NULL);

-- The checksum's line (018), inlinable: no SET clause, every name qualified,
-- and STABLE as concat_ws is (an IMMUTABLE function calling it is not inlined).
CREATE OR REPLACE FUNCTION wallet_path_line(p_path text, p_type text, p_quantity integer, p_start integer, p_end integer,
  p_org uuid, p_purpose text, p_by uuid, p_at timestamptz, p_name text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT pg_catalog.concat_ws('|', p_path, p_type, p_quantity, p_start, p_end, coalesce(p_org::text, ''),
                   pg_catalog.md5(coalesce(p_purpose, '')), p_by,
                   extract(epoch FROM p_at)::numeric(20, 6), coalesce(p_name, ''))
$$;

-- The counters of a batch's rows go to a slot of each worker's own (16 and
-- up; an allocation's are 0-15): two workers' batches never wait for each
-- other's counter rows, nor an allocation for a batch. Readers sum every slot.
CREATE OR REPLACE FUNCTION path_stats_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  engine_slot smallint := CASE WHEN current_setting('wallet.engine', true) = 'on' THEN 16 + pg_backend_pid() % 16
                               ELSE pg_backend_pid() % 16 END;
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

-- One batch (018's contract, unchanged: at most p_limit paths, forward the
-- lowest queued ids, after a rollback the moved paths newest first and
-- then the paths allocated in the target since the start; SKIP LOCKED, so
-- two workers never take the same path; nothing left finishes the
-- direction). Its shared part (the claim, the move, the queue rows, the
-- batch's record) comes first; the migration's row, the lineage and the
-- audit row, which every batch writes, come last and are held for the
-- commit only.
CREATE OR REPLACE FUNCTION wallet_migration_batch(p_id bigint, p_limit integer, p_note text,
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
  bno     integer;
  pos     bigint;
  nphase  integer;
  fast    boolean;
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
             WHERE x.migration_id = p_id AND x.id >= m.queue_from AND x.migration_status IN ('queued', 'in_progress')
             ORDER BY x.id LIMIT p_limit FOR UPDATE SKIP LOCKED) q;
    IF ids IS NOT NULL THEN
      bno := nextval('migration_batch_no');
      -- What the target copies' foreign keys check, once for the batch
      -- instead of once a row (as the checks themselves lock it): the target
      -- wallet and the manufacturer's row in it. Their organisation and the
      -- person who allocated them are the source row's, which keeps
      -- referring to them. With that, the move's statement runs with the
      -- per-row checks off (session_replication_role = replica: ordinary
      -- and foreign-key triggers do not fire; the counters' triggers are
      -- ENABLE ALWAYS) where the owner may set it; elsewhere with them on.
      PERFORM 1 FROM wallet_versions v WHERE v.version_id = m.target_wallet_version FOR KEY SHARE;
      PERFORM 1 FROM manufacturer_registry r WHERE r.wallet_version = m.target_wallet_version AND r.manufacturer_index = idx
        FOR KEY SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'migration #%: % has no registry row in v% any more', p_id, m.manufacturer_name, m.target_wallet_version
          USING ERRCODE = 'WLMIG';
      END IF;
      fast := has_parameter_privilege('session_replication_role', 'SET');
      IF fast THEN
        PERFORM set_config('session_replication_role', 'replica', true);
      END IF;
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
        RETURNING path_registry.*),
      done AS (
        UPDATE path_migration_queue q
           SET migration_status = 'completed', started_at = t0, completed_at = now(), batch_no = bno, error = NULL
          FROM ins
         WHERE q.id = ANY (ids) AND q.base_path = ins.base_path)
      SELECT count(*), md5(coalesce(string_agg(wallet_path_line(ins.base_path, ins.allocation_type, ins.quantity,
               ins.allocated_range_start, ins.allocated_range_end, ins.organization_id, ins.purpose, ins.allocated_by,
               ins.allocated_at,  ins.manufacturer_name), E'\n' ORDER BY ins.base_path), '')),
             min(ins.base_path), max(ins.base_path)
        INTO moved, sum, lo, hi FROM ins;
      IF fast THEN
        PERFORM set_config('session_replication_role', 'origin', true);
      END IF;
      skipped := array_length(ids, 1) - moved;
      IF skipped > 0 THEN
        -- A queued path that is not live any more (exhausted since the
        -- start) stays where it is, and says so.
        UPDATE path_migration_queue q
           SET migration_status = 'completed', started_at = t0, completed_at = now(), batch_no = bno,
               error = format('%s in v%s when its batch ran: not moved',
                              coalesce((SELECT p.status FROM path_registry p
                                         WHERE p.wallet_version = m.source_wallet_version AND p.base_path = q.base_path), 'gone'),
                              m.source_wallet_version)
         WHERE q.id = ANY (ids) AND q.migration_status IN ('queued', 'in_progress');
      END IF;
    END IF;
  ELSE
    -- Back, newest first: the target's copy goes, the source's row lives again
    -- (with the copy's status: a path exhausted in the target is exhausted).
    SELECT array_agg(q.id ORDER BY q.id), array_agg(q.base_path ORDER BY q.id) INTO ids, paths
      FROM (SELECT x.id, x.base_path FROM path_migration_queue x
             WHERE x.migration_id = p_id AND x.id <= coalesce(m.queue_back, 9223372036854775807)
               AND x.migration_status = 'completed' AND x.error IS NULL
             ORDER BY x.id DESC LIMIT p_limit FOR UPDATE SKIP LOCKED) q;
    IF ids IS NOT NULL THEN
      bno := nextval('migration_batch_no');
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
      UPDATE path_migration_queue q SET migration_status = 'rolled_back', batch_no = bno, completed_at = now()
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
        bno := nextval('migration_batch_no');
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
      END IF;
    END IF;
  END IF;

  IF bno IS NOT NULL THEN
    INSERT INTO migration_batches (migration_id, batch_no, direction, paths, skipped, first_path, last_path, checksum,
                                   started_at, finished_at, worker, native)
    VALUES (p_id, bno, m.direction, moved, skipped, lo, hi, sum, t0, clock_timestamp(),
            session_user || ' pid ' || pg_backend_pid(), native);
  END IF;

  -- From here every batch of the migration writes the same rows: held for
  -- the commit only. Progress, and the end of the direction when nothing is
  -- left (rows other workers hold still count: they are not committed).
  SELECT * INTO m FROM manufacturer_migrations x WHERE x.id = p_id FOR NO KEY UPDATE;
  batch_no := bno;
  IF m.direction = 'forward' THEN
    SELECT x.id, x.phase INTO pos, nphase FROM path_migration_queue x
     WHERE x.migration_id = p_id AND x.id >= m.queue_from AND x.migration_status IN ('queued', 'in_progress')
     ORDER BY x.id LIMIT 1;
    UPDATE manufacturer_migrations x
       SET moved_paths = x.moved_paths + moved, skipped_paths = x.skipped_paths + skipped,
           batches = x.batches + (bno IS NOT NULL)::integer, last_batch_at = CASE WHEN bno IS NOT NULL THEN now() ELSE x.last_batch_at END,
           queue_from = coalesce(pos, x.queue_from), phase = coalesce(nphase, x.phase)
     WHERE x.id = p_id
    RETURNING x.* INTO m;
    remaining := m.total_paths - m.moved_paths - m.skipped_paths;
    IF bno IS NOT NULL THEN
      UPDATE manufacturer_lineage l
         SET migration_completion_percentage = least(99, (100 * (m.moved_paths + m.skipped_paths) / greatest(m.total_paths, 1))::integer)
       WHERE l.canonical_name = m.manufacturer_name AND l.current_wallet_version = m.target_wallet_version;
    END IF;
    IF pos IS NULL THEN
      UPDATE manufacturer_migrations x SET state = 'moved', phase = x.total_phases, throttle_reason = NULL,
             throttled_by = NULL, throttled_until = NULL
       WHERE x.id = p_id;
      state := 'moved';
      remaining := 0;
    END IF;
  ELSE
    SELECT x.id INTO pos FROM path_migration_queue x
     WHERE x.migration_id = p_id AND x.id <= coalesce(m.queue_back, 9223372036854775807)
       AND x.migration_status = 'completed' AND x.error IS NULL
     ORDER BY x.id DESC LIMIT 1;
    UPDATE manufacturer_migrations x
       SET returned_paths = x.returned_paths + CASE WHEN native THEN 0 ELSE moved END,
           batches = x.batches + (bno IS NOT NULL)::integer, last_batch_at = CASE WHEN bno IS NOT NULL THEN now() ELSE x.last_batch_at END,
           queue_back = coalesce(pos, 0)
     WHERE x.id = p_id
    RETURNING x.* INTO m;
    remaining := m.moved_paths - m.returned_paths;
    IF bno IS NULL AND pos IS NULL
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

  IF bno IS NOT NULL THEN
    -- Last, so that the audit chain's lock is held for the commit only.
    seq := wallet_log('path_migration_batch', m.target_wallet_version, 'completed', p_note, NULL, jsonb_build_object(
      'migration_id', p_id, 'batch_no', bno, 'direction', m.direction,
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
