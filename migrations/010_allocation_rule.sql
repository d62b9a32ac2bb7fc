-- Which wallet statuses take which allocation types (DESIGN.md, "Which
-- wallets take allocations"); the Go model holds the same rule with the same
-- words (model/allocation_rule.go) and store's tests compare the two.
--
--   active       every type
--   deployed     test; production only while a rollout gives it traffic
--                (rollouts do not exist yet, so: test only); development and
--                reserved wait until it is active
--   deprecated   only allocations made by a migration (the migration engine
--                does not exist yet, so: none)
--   otherwise    none
--
-- 003's guard already refused inactive, deprecated, retired and compromised
-- wallets; created, validated and deployed took every type (a deployed
-- wallet accepted a production allocation).

-- The refusal for an allocation of alloc_type in wallet version (in status
-- wstatus), in the operator's words; NULL when it is taken.
--
-- Hooks for later issues, deliberately not opened here:
--   * traffic: wallet_traffic_share is still writable by wallet_operator
--     (007), so an operator could give a deployed wallet traffic by hand.
--     Rollouts must first write that share only through their own function;
--     then this function takes the share as an argument.
--   * migration: the migration engine will write through a SECURITY DEFINER
--     function, in which current_user is the schema owner and not a console
--     role; that is how its rows can be told apart (session_user and
--     settings can be chosen by any login, current_user cannot).
CREATE FUNCTION wallet_allocation_refusal(version integer, wstatus text, alloc_type text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT CASE
    WHEN wstatus = 'active' THEN NULL
    WHEN wstatus = 'deployed' AND alloc_type = 'test' THEN NULL
    ELSE format('v%s is %s: %s; allocate in an active wallet (console status lists them)', version, wstatus,
      CASE wstatus
        WHEN 'deployed' THEN
          CASE WHEN alloc_type = 'production'
               THEN 'it takes test allocations only until a rollout gives it traffic'
               ELSE format('it takes test allocations only (%s allocations wait until it is active)', alloc_type) END
        WHEN 'created' THEN 'it takes no allocations before it is deployed'
        WHEN 'validated' THEN 'it takes no allocations before it is deployed'
        WHEN 'inactive' THEN 'it takes no allocations while it is inactive'
        WHEN 'deprecated' THEN 'it takes only allocations made by a migration, none by hand'
        ELSE 'it takes no allocations any more'
      END)
  END
$$;

-- Every inserted row is checked, whatever its own status: an INSERT is an
-- allocation (history is written while the wallet still takes it). An UPDATE
-- is checked when it moves a row to another wallet, changes its type, or
-- brings it back to life (active or migrating); a live path that goes on to
-- migrating in its deprecated wallet is not a new allocation.
--
-- The status is read under the same shared advisory lock as 003's guard: a
-- status change (001's guard takes it exclusively) waits for allocations in
-- flight, and they for it, so none commits against a status already left.
-- The trigger's name sorts before path_registry_guard's, so it fires first
-- and its refusal is the one the operator sees.
CREATE FUNCTION path_registry_allocation_rule() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
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

CREATE TRIGGER path_registry_allocation_rule
  BEFORE INSERT OR UPDATE OF wallet_version, allocation_type, status
  ON path_registry
  FOR EACH ROW EXECUTE FUNCTION path_registry_allocation_rule();
