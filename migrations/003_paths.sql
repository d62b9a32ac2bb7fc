-- Path allocations, the overlap rule, and per-wallet counters for the inventory.
--
-- Names reconciled between the seeds:
--   seed 001 trigger / seed 000 queue "path"        -> base_path (seed 001's table)
--   seed 001 transferred_to_wallet / transferred_at -> migrated_to_wallet / migrated_at
--                                                      (seed 001's own migration SQL)
--   path status 'transferred'                       -> 'migrated'
-- manufacturer_name and organization_id are here because seed 000's procedures
-- (migration queue, deprecation eligibility) read them from path_registry.

-- Grammar of a base path, with a message that says what is wrong and where.
-- The Go side (model.ParsePath) applies the same rules before it ever gets here.
CREATE FUNCTION wallet_check_base_path(p text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
  comps text[];
  c text;
  i int := 0;
BEGIN
  IF p IS NULL OR p = '' THEN
    RAISE EXCEPTION 'base path is empty' USING ERRCODE = 'WLPTH',
      HINT = 'a base path is dot-separated decimal components, e.g. 2.3.4.5.10';
  END IF;
  IF char_length(p) > 50 THEN
    RAISE EXCEPTION 'base path "%" is % characters long; at most 50 are allowed', p, char_length(p)
      USING ERRCODE = 'WLPTH';
  END IF;
  comps := string_to_array(p, '.');
  FOREACH c IN ARRAY comps LOOP
    i := i + 1;
    IF c = '' THEN
      RAISE EXCEPTION 'base path "%": component % is empty', p, i USING ERRCODE = 'WLPTH',
        HINT = 'a base path is dot-separated decimal components, e.g. 2.3.4.5.10';
    ELSIF c !~ '^[0-9]+$' THEN
      RAISE EXCEPTION 'base path "%": component % ("%") is not a decimal number', p, i, c
        USING ERRCODE = 'WLPTH';
    ELSIF c ~ '^0+$' THEN
      RAISE EXCEPTION 'base path "%": component % is 0; components start at 1', p, i
        USING ERRCODE = 'WLPTH';
    ELSIF c ~ '^0' THEN
      RAISE EXCEPTION 'base path "%": component % ("%") has a leading zero', p, i, c
        USING ERRCODE = 'WLPTH';
    ELSIF char_length(c) > 10 OR c::bigint > 2147483647 THEN
      RAISE EXCEPTION 'base path "%": component % ("%") is larger than 2147483647', p, i, c
        USING ERRCODE = 'WLPTH';
    END IF;
  END LOOP;
END
$$;

CREATE TABLE path_registry (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  wallet_version        integer NOT NULL REFERENCES wallet_versions(version_id),
  -- "C" collation: byte order, so that every descendant of P sorts between
  -- 'P.' and 'P/' and the overlap check is one short index range scan.
  base_path             text COLLATE "C" NOT NULL
                          CONSTRAINT base_path_grammar
                          CHECK (char_length(base_path) <= 50
                                 AND base_path ~ '^[1-9][0-9]{0,9}(\.[1-9][0-9]{0,9})*$'),
  -- The first component of a base path is the manufacturer's index in the wallet.
  manufacturer_index    integer GENERATED ALWAYS AS (split_part(base_path, '.', 1)::integer) STORED,
  hd_derivation_prefix  text GENERATED ALWAYS AS
                          ('m/44''/501''/' || wallet_version::text || '''/'
                           || replace(base_path, '.', '''/') || '''') STORED,
  manufacturer_name     varchar(100),
  organization_id       uuid REFERENCES organizations(id),
  allocation_type       varchar(20) NOT NULL
                          CHECK (allocation_type IN ('production', 'test', 'development', 'reserved')),
  quantity              integer NOT NULL CHECK (quantity >= 1),
  allocated_range_start integer NOT NULL DEFAULT 1 CHECK (allocated_range_start >= 1),
  allocated_range_end   integer NOT NULL,
  purpose               text,
  status                varchar(20) NOT NULL DEFAULT 'active'
                          CHECK (status IN ('active', 'migrating', 'exhausted', 'migrated', 'retired')),
  allocated_by          uuid NOT NULL REFERENCES users(id),
  allocated_at          timestamptz NOT NULL DEFAULT now(),
  completed_at          timestamptz,
  migrated_to_wallet    integer REFERENCES wallet_versions(version_id),
  migrated_at           timestamptz,

  CONSTRAINT unique_base_path_per_wallet UNIQUE (wallet_version, base_path),
  CONSTRAINT valid_range_end CHECK (allocated_range_end::bigint = allocated_range_start::bigint + quantity - 1),
  CONSTRAINT path_manufacturer_registered FOREIGN KEY (wallet_version, manufacturer_index)
    REFERENCES manufacturer_registry (wallet_version, manufacturer_index)
);

-- The overlap check reads only live paths; this index is all it touches.
CREATE INDEX idx_path_registry_live ON path_registry (wallet_version, base_path)
  WHERE status IN ('active', 'migrating');
CREATE INDEX idx_path_registry_allocated ON path_registry (wallet_version, allocated_at);
CREATE INDEX idx_path_registry_migration ON path_registry (migrated_to_wallet, migrated_at)
  WHERE migrated_to_wallet IS NOT NULL;
CREATE INDEX idx_path_registry_organization ON path_registry (organization_id, allocated_at)
  WHERE organization_id IS NOT NULL;

-- No live path may be an ancestor or a descendant of another live path in the
-- same wallet (DESIGN.md, paths).
--
-- Race-freedom: two transactions that insert overlapping paths must not both
-- miss each other. Each insert takes transaction-scoped advisory locks on its
-- first two prefixes: shared on the shorter one, exclusive on
-- prefix(min(depth, 2)). If A is an ancestor of D, either A has one component
-- (A holds an exclusive lock on A, D a shared one on it) or both share the same
-- two-component prefix and both lock it exclusively; either way the second
-- waits for the first to commit, and in READ COMMITTED its check then sees the
-- first's row. Under REPEATABLE READ or SERIALIZABLE the check would still see
-- its old snapshot, so live paths are only written in READ COMMITTED.
-- Locks are kept in two key spaces (one per prefix length, always taken in
-- that order, so single-row inserts cannot deadlock) of 1,024 buckets each:
-- a bulk load holds at most about 2,000 locks whatever its size, and unrelated
-- prefixes share a bucket rarely (they then merely wait for each other).
--
-- Speed: ancestors are found by equality probes on at most 24 prefixes, descendants by a
-- range scan ['P.', 'P/') on the "C"-collated index: both are index probes, so the
-- cost does not grow with the size of the table (the seed's LIKE scan did).
--
-- Plans: plpgsql caches this function's plans per connection. Planned while
-- the table was small (or before ANALYZE), they may scan the wallet instead of
-- probing the index, and a bulk load then turns quadratic. Sequential scans are
-- switched off for this function only, so the plan is always an index probe.
CREATE FUNCTION path_registry_guard() RETURNS trigger
LANGUAGE plpgsql
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
BEGIN
  -- The grammar check with its detailed messages only when the quick test
  -- fails (or a 10-digit component may exceed 2^31-1).
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

  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'live paths are allocated in READ COMMITTED transactions only (this one is %)',
                    current_setting('transaction_isolation')
      USING ERRCODE = 'WLISO',
            HINT = 'the overlap check must see allocations committed while it waited; retry without SET TRANSACTION ISOLATION LEVEL';
  END IF;

  -- A status change of the wallet (to compromised, say) takes this lock
  -- exclusively (001's guard): it waits for allocations in flight to commit,
  -- and allocations wait for it, then read the new status. An advisory lock,
  -- not FOR SHARE, so that an allocation writes nothing to the wallet's row.
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

  -- One equality probe per ancestor: an "= ANY(array)" condition may be
  -- planned as a filter on a small table, and that plan would then be cached.
  FOR i IN 1 .. depth - 1 LOOP
    prefix := array_to_string(comps[1:i], '.');
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
   -- The ORDER BY pins the plan to a base_path index: planned generically on
   -- a small table, the range alone may be left as a filter on another index
   -- of wallet_version, which scans the whole wallet for every row.
   ORDER BY p.base_path
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'path % overlaps % in wallet v%: % is already allocated and is a descendant of %',
                    NEW.base_path, conflict, NEW.wallet_version, conflict, NEW.base_path
      USING ERRCODE = 'WLPOV', DETAIL = conflict,
            HINT = 'a live path may be neither a prefix nor an extension of another live path in the same wallet';
  END IF;

  -- Seed 000 reads the manufacturer's name from path_registry: it is always
  -- the registry's, whatever the statement said.
  SELECT m.manufacturer_name INTO NEW.manufacturer_name FROM manufacturer_registry m
   WHERE m.wallet_version = NEW.wallet_version
     AND m.manufacturer_index = split_part(NEW.base_path, '.', 1)::integer;
  RETURN NEW;
END
$$;

CREATE TRIGGER path_registry_guard
  BEFORE INSERT OR UPDATE OF base_path, status, wallet_version, quantity, allocated_range_start, allocated_range_end
  ON path_registry
  FOR EACH ROW EXECUTE FUNCTION path_registry_guard();

-- Counters per wallet, manufacturer, allocation type and status, kept by
-- statement-level triggers (one upsert per group, so a COPY of a million rows
-- costs one pass). The inventory reads these few rows instead of aggregating
-- tens of millions of allocations. Each row is split into 16 slots chosen by
-- backend, so concurrent allocations for one manufacturer rarely wait on the
-- same counter row; readers sum the slots. The functions run as the owner
-- (SECURITY DEFINER): no console role may write the counters directly.
CREATE TABLE wallet_path_stats (
  wallet_version     integer NOT NULL REFERENCES wallet_versions(version_id),
  manufacturer_index integer NOT NULL,
  allocation_type    varchar(20) NOT NULL,
  status             varchar(20) NOT NULL,
  slot               smallint NOT NULL DEFAULT 0,
  paths              bigint NOT NULL DEFAULT 0,
  identifiers        bigint NOT NULL DEFAULT 0,
  last_allocated_at  timestamptz,
  PRIMARY KEY (wallet_version, manufacturer_index, allocation_type, status, slot)
);

-- One function for the three statement triggers: rows that leave a group
-- are subtracted, rows that enter one are added (an UPDATE does both).
CREATE FUNCTION path_stats_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    INSERT INTO wallet_path_stats AS s
           (wallet_version, manufacturer_index, allocation_type, status, slot, paths, identifiers, last_allocated_at)
    SELECT wallet_version, manufacturer_index, allocation_type, status, (pg_backend_pid() % 16)::smallint,
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
    SELECT wallet_version, manufacturer_index, allocation_type, status, (pg_backend_pid() % 16)::smallint,
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

CREATE TRIGGER path_stats_insert AFTER INSERT ON path_registry
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION path_stats_apply();
CREATE TRIGGER path_stats_update AFTER UPDATE ON path_registry
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION path_stats_apply();
CREATE TRIGGER path_stats_delete AFTER DELETE ON path_registry
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION path_stats_apply();
