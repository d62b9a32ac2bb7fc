-- Verify (018), the set comparison by key ranges, as Vitess's VDiff cuts
-- its tables: the source's moved keys cut every 100,000 (one index-only
-- scan), each range compared whole against the same range of the target,
-- so that a manufacturer of 10 M paths is never one hash join of both
-- wallets in memory; the keys of every mismatch are still reported (up to
-- 50 of each kind, counted in full), and the number of ranges is in the
-- report (counts.key_ranges). p_range is the keys per range (at least
-- 1,000; the tests cut small sets into many). The rest is 018's.
DROP FUNCTION wallet_migration_verify(bigint, text);
CREATE FUNCTION wallet_migration_verify(p_id bigint, p_note text, p_range integer DEFAULT 100000) RETURNS jsonb
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
  rng       record;
  ranges    integer := 0;
  byk       jsonb := '{}';
  kk        text;
BEGIN
  IF p_range IS NULL OR p_range < 1000 THEN
    RAISE EXCEPTION 'verify compares at least 1000 keys per range, not %', p_range USING ERRCODE = 'WLMIG';
  END IF;
  m := wallet_migration_row(p_id, true);
  s := m.source_wallet_version;
  t := m.target_wallet_version;
  SELECT r.manufacturer_index INTO idx FROM manufacturer_registry r WHERE r.wallet_version = s AND r.manufacturer_name = m.manufacturer_name;

  IF m.direction = 'forward' THEN
    -- The two sets: the source's rows moved to the target, the target's
    -- rows moved from the source; full outer join by base path, range by
    -- range ([NULL, k1), [k1, k2), …, [kn, NULL): the target's keys below
    -- or above every source key are in the first or the last).
    FOR rng IN
      SELECT b.lo, lead(b.lo) OVER (ORDER BY b.lo NULLS FIRST) AS hi
        FROM (SELECT NULL::text COLLATE "C" AS lo
              UNION ALL
              SELECT x.base_path FROM (SELECT p.base_path, row_number() OVER (ORDER BY p.base_path) AS rn
                                         FROM path_registry p
                                        WHERE p.wallet_version = s AND p.manufacturer_index = idx) x
               WHERE x.rn % p_range = 0) b
       ORDER BY b.lo NULLS FIRST
    LOOP
    ranges := ranges + 1;
    FOR f IN
      WITH src AS (SELECT p.* FROM path_registry p
                    WHERE p.wallet_version = s AND p.manufacturer_index = idx AND p.migrated_to_wallet = t
                      AND (rng.lo IS NULL OR p.base_path >= rng.lo COLLATE "C") AND (rng.hi IS NULL OR p.base_path < rng.hi COLLATE "C")),
           dst AS (SELECT p.* FROM path_registry p
                    WHERE p.wallet_version = t AND p.manufacturer_index = idx AND p.migrated_from_wallet = s
                      AND (rng.lo IS NULL OR p.base_path >= rng.lo COLLATE "C") AND (rng.hi IS NULL OR p.base_path < rng.hi COLLATE "C")),
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
      -- Merged across ranges: the count in full, the first 50 keys (the
      -- ranges come in key order).
      byk := jsonb_set(byk, ARRAY[f.kind], jsonb_build_object(
        'count', coalesce((byk->f.kind->>'count')::bigint, 0) + f.n,
        'keys', to_jsonb(((SELECT coalesce(array_agg(e), '{}') FROM jsonb_array_elements_text(coalesce(byk->f.kind->'keys', '[]')) e)
                          || f.keys)[1:50])));
      n_find := n_find + f.n;
    END LOOP;
    END LOOP;
    FOR kk IN SELECT jsonb_object_keys(byk) ORDER BY 1 LOOP
      findings := findings || jsonb_build_object('kind', kk, 'count', (byk->kk->>'count')::bigint, 'keys', byk->kk->'keys');
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
                               'still_queued', stat.queued, 'returned', stat.returned, 'batches_checked', batches,
                               'key_ranges', nullif(ranges, 0));
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

REVOKE EXECUTE ON FUNCTION wallet_migration_verify(bigint, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wallet_migration_verify(bigint, text, integer) TO wallet_operator;
