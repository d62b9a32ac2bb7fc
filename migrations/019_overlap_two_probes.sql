-- The overlap rule in two index probes whatever the depth (issue 13).
--
-- The rule (003, 018) probed each ancestor of a new path P by equality:
-- depth − 1 probes, then a range probe for descendants. Because live paths
-- never overlap each other (the rule itself keeps it so), one probe finds
-- the only possible ancestor: in byte order ("C"), every string between an
-- ancestor A of P and P itself starts with A followed by "." (a descendant of
-- A, which cannot be live beside A) — a string that continues A with a digit
-- sorts after P, since every digit sorts after ".". So the greatest live path
-- at or below P is an ancestor of P, or P itself, or no live ancestor exists.
-- Likewise the first live path after P is a descendant of P if any is. The
-- predecessor probe stops at P's first component (every ancestor starts
-- with it), so it never walks back into another namespace's index pages.
--
-- Both probes have an index condition on every bound and an ORDER BY the
-- live index matches, so a plan cached while the table was small (plpgsql
-- keeps plans per connection) is still the index probe; a "= ANY(array)"
-- form could be planned as a filter, and a bulk load then turned quadratic
-- (see 4012784).
CREATE FUNCTION wallet_live_overlap(p_wallet integer, p_path text, p_self uuid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  hit text;
BEGIN
  SELECT p.base_path INTO hit FROM path_registry p
   WHERE p.wallet_version = p_wallet
     AND p.status IN ('active', 'migrating')
     AND p.base_path <= p_path COLLATE "C"
     AND p.base_path >= split_part(p_path, '.', 1) COLLATE "C"
     AND p.id IS DISTINCT FROM p_self
   ORDER BY p.base_path DESC
   LIMIT 1;
  IF hit = p_path OR left(p_path, char_length(hit) + 1) = hit || '.' THEN
    RETURN hit;
  END IF;
  SELECT p.base_path INTO hit FROM path_registry p
   WHERE p.wallet_version = p_wallet
     AND p.status IN ('active', 'migrating')
     AND p.base_path >= (p_path || '.') COLLATE "C"
     AND p.base_path < (p_path || '/') COLLATE "C"
     AND p.id IS DISTINCT FROM p_self
   ORDER BY p.base_path
   LIMIT 1;
  RETURN hit; -- NULL: no overlap
END
$$;
REVOKE EXECUTE ON FUNCTION wallet_live_overlap(integer, text, uuid) FROM PUBLIC;

-- The guard (018) with the two probes above, and the wallet's status read
-- with the namespace's registry row (after the prefix locks, as before).
CREATE OR REPLACE FUNCTION path_registry_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER -- as 011 made it: its locks are the owner's to take
SET enable_seqscan = off
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  comps     text[];
  depth     int;
  lockdepth int;
  conflict  text;
  wstatus   text;
  bucket    int;
  i         int;
  reg       record;
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

  comps := string_to_array(NEW.base_path, '.');
  depth := array_length(comps, 1);
  PERFORM pg_advisory_xact_lock_shared(20251109, NEW.wallet_version);

  lockdepth := least(depth, 2);
  FOR i IN 1 .. lockdepth LOOP
    bucket := (hashtext(NEW.wallet_version::text || ':' || array_to_string(comps[1:i], '.')) & 1023);
    IF i < lockdepth THEN
      PERFORM pg_advisory_xact_lock_shared(20251100 + i, bucket);
    ELSE
      PERFORM pg_advisory_xact_lock(20251100 + i, bucket);
    END IF;
  END LOOP;

  -- The wallet's status and the namespace's registry row in one read.
  SELECT w.status AS wstatus, m.manufacturer_name, m.status, m.allocations_go_to, m.overlap_also_in INTO reg
    FROM wallet_versions w
    LEFT JOIN manufacturer_registry m
      ON m.wallet_version = w.version_id AND m.manufacturer_index = comps[1]::integer
   WHERE w.version_id = NEW.wallet_version;
  wstatus := reg.wstatus;
  IF wstatus IN ('inactive', 'deprecated', 'retired', 'compromised') THEN
    RAISE EXCEPTION 'wallet v% is %: it takes no new allocations', NEW.wallet_version, wstatus
      USING ERRCODE = 'WLWST';
  END IF;

  IF reg.allocations_go_to IS NOT NULL THEN
    RAISE EXCEPTION '% (index %) % v%: new paths under it are allocated in v%', reg.manufacturer_name, comps[1],
                    CASE WHEN reg.status = 'migrating' THEN 'is being moved to' ELSE 'has moved to' END,
                    reg.allocations_go_to, reg.allocations_go_to
      USING ERRCODE = 'WLMOV', DETAIL = reg.allocations_go_to::text,
            HINT = format('allocate %s in v%s (console allocate --wallet v%s)', NEW.base_path, reg.allocations_go_to, reg.allocations_go_to);
  END IF;

  -- The other wallet first (the order is what makes it race-free, see 018).
  IF reg.overlap_also_in IS NOT NULL THEN
    conflict := wallet_live_overlap(reg.overlap_also_in, NEW.base_path, NULL);
    IF conflict IS NULL THEN -- the same path there in any state (a moved one is migrated there)
      SELECT p.base_path INTO conflict FROM path_registry p
       WHERE p.wallet_version = reg.overlap_also_in AND p.base_path = NEW.base_path;
    END IF;
    IF conflict IS NOT NULL THEN
      RAISE EXCEPTION 'path % overlaps % in wallet v%, from which % is being moved here', NEW.base_path, conflict,
                      reg.overlap_also_in, reg.manufacturer_name
        USING ERRCODE = 'WLPOV', DETAIL = conflict, CONSTRAINT = 'overlap_in_moving_source',
              TABLE = reg.overlap_also_in::text,  -- which wallet, for the console's message
              HINT = 'while a namespace moves, a new path must overlap no path of it in either wallet';
    END IF;
  END IF;

  -- The same path in this wallet is the unique constraint's to refuse.
  conflict := nullif(wallet_live_overlap(NEW.wallet_version, NEW.base_path, NEW.id), NEW.base_path);
  IF conflict IS NOT NULL THEN
    IF left(NEW.base_path, char_length(conflict) + 1) = conflict || '.' THEN
      RAISE EXCEPTION 'path % overlaps % in wallet v%: % is already allocated and is an ancestor of %',
                      NEW.base_path, conflict, NEW.wallet_version, conflict, NEW.base_path
        USING ERRCODE = 'WLPOV', DETAIL = conflict,
              HINT = 'a live path may be neither a prefix nor an extension of another live path in the same wallet';
    END IF;
    RAISE EXCEPTION 'path % overlaps % in wallet v%: % is already allocated and is a descendant of %',
                    NEW.base_path, conflict, NEW.wallet_version, conflict, NEW.base_path
      USING ERRCODE = 'WLPOV', DETAIL = conflict,
            HINT = 'a live path may be neither a prefix nor an extension of another live path in the same wallet';
  END IF;

  NEW.manufacturer_name := reg.manufacturer_name;
  RETURN NEW;
END
$$;
