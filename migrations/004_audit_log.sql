-- The operations log: append-only, hash-chained.
--
-- Seed 000 inserts (operation_type, wallet_version, operation_status, initiated_by,
-- approval_id, operation_details, timestamp); those columns are as the seed has
-- them, and the seed's INSERTs run unchanged. The rest is filled by the trigger:
--   seq       1, 2, 3, ... in commit order, without gaps
--   db_user   the database login that wrote the row (cannot be supplied)
--   prev_hash row_hash of row seq-1 (32 zero bytes for the first row)
--   row_hash  SHA-256 of the row's canonical form, see wallet_audit_canonical
-- An edit changes a row_hash, a removed row breaks seq and prev_hash: both are
-- found by `console audit verify`, which recomputes the hashes in Go.

CREATE TABLE wallet_operations_log (
  seq               bigint PRIMARY KEY,
  operation_type    varchar(64) NOT NULL CHECK (operation_type <> ''),
  wallet_version    integer REFERENCES wallet_versions(version_id),
  operation_status  varchar(20) NOT NULL DEFAULT 'completed'
                      CHECK (operation_status IN ('started', 'in_progress', 'completed', 'failed',
                                                  'aborted', 'rolled_back')),
  initiated_by      text NOT NULL,
  approval_id       text,
  operation_details jsonb NOT NULL DEFAULT '{}',
  "timestamp"       timestamptz NOT NULL DEFAULT now(),
  db_user           text NOT NULL,
  prev_hash         bytea NOT NULL,
  row_hash          bytea NOT NULL
);

CREATE INDEX idx_oplog_wallet ON wallet_operations_log (wallet_version, seq);
CREATE INDEX idx_oplog_type ON wallet_operations_log (operation_type, seq);
CREATE INDEX idx_oplog_time ON wallet_operations_log ("timestamp");

-- Canonical form: every field as "<byte length>:<value>;" ("-;" for NULL), in a
-- fixed order, timestamps in UTC with microseconds. Length prefixes make the
-- encoding unambiguous whatever the fields contain. store/audit.go builds the
-- same string.
CREATE FUNCTION wallet_audit_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT CASE WHEN v IS NULL THEN '-;' ELSE octet_length(v)::text || ':' || v || ';' END
$$;

CREATE FUNCTION wallet_audit_canonical(r wallet_operations_log) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
  SELECT wallet_audit_field(r.seq::text)
      || wallet_audit_field(encode(r.prev_hash, 'hex'))
      || wallet_audit_field(to_char(r."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'))
      || wallet_audit_field(r.operation_type)
      || wallet_audit_field(r.wallet_version::text)
      || wallet_audit_field(r.operation_status)
      || wallet_audit_field(r.initiated_by)
      || wallet_audit_field(r.approval_id)
      || wallet_audit_field(r.db_user)
      || wallet_audit_field(r.operation_details::text)
$$;

CREATE FUNCTION wallet_operations_log_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  last_seq  bigint;
  last_hash bytea;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'operations are logged in READ COMMITTED transactions only (this one is %)',
                    current_setting('transaction_isolation')
      USING ERRCODE = 'WLISO', HINT = 'the chain must see the row written just before; retry at the default isolation';
  END IF;
  -- The time of a row is when it was written, not what the statement says: a
  -- row dated in the past (or at infinity) would be a lie the chain preserves.
  NEW."timestamp" := now();
  -- One writer at a time: the lock is held until commit, so the next writer
  -- reads this row (READ COMMITTED takes a fresh snapshot per statement) and
  -- the chain never forks. The primary key on seq refuses a fork regardless.
  PERFORM pg_advisory_xact_lock(20251113, 1);
  SELECT l.seq, l.row_hash INTO last_seq, last_hash
    FROM wallet_operations_log l ORDER BY l.seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.prev_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
  NEW.db_user := session_user;
  NEW.row_hash := sha256(convert_to(wallet_audit_canonical(NEW), 'UTF8'));
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_operations_log_chain
  BEFORE INSERT ON wallet_operations_log
  FOR EACH ROW EXECUTE FUNCTION wallet_operations_log_chain();

CREATE FUNCTION wallet_operations_log_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  RAISE EXCEPTION 'wallet_operations_log is append-only: % is refused', TG_OP
    USING ERRCODE = 'WLAUD',
          HINT = 'record a correction as a new operation instead';
END
$$;

CREATE TRIGGER wallet_operations_log_no_update
  BEFORE UPDATE OR DELETE ON wallet_operations_log
  FOR EACH ROW EXECUTE FUNCTION wallet_operations_log_immutable();
CREATE TRIGGER wallet_operations_log_no_truncate
  BEFORE TRUNCATE ON wallet_operations_log
  FOR EACH STATEMENT EXECUTE FUNCTION wallet_operations_log_immutable();
