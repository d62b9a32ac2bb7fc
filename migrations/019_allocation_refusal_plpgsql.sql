-- The allocation rule's words (015) in plpgsql: a SQL function with a SET
-- clause is never inlined, and is parsed and planned again in every
-- transaction that calls it (its cache lives in the caller's per-transaction
-- expression state): about 150 µs of each one-row allocation, measured with
-- pgbench (bench/profile-allocation.sh). plpgsql keeps its plan for the
-- session, and an active wallet's answer needs no query at all.
CREATE OR REPLACE FUNCTION wallet_allocation_refusal(version integer, wstatus text, alloc_type text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  share numeric;
BEGIN
  IF wstatus = 'active' THEN
    RETURN NULL;
  END IF;
  share := coalesce((SELECT s.traffic_percentage FROM public.wallet_traffic_share s WHERE s.wallet_version = version), 0);
  IF wstatus = 'deployed' AND (alloc_type = 'test' OR (alloc_type = 'production' AND share > 0)) THEN
    RETURN NULL;
  END IF;
  RETURN format('v%s is %s: %s; allocate in an active wallet (console status lists them)', version, wstatus,
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
    END);
END
$$;
