-- The witnessed key ceremony's records (DESIGN.md, "The witnessed key
-- ceremony"), and creation request ids issued by the database.
--
--   ceremony_witnesses  the roster: who may witness, with their OpenSSH key
--   ceremony_runs       the ceremony machine's own record of each ceremony it
--                       ran or aborted (its local database), so that a request
--                       is never used twice there
--   key_ceremonies      (006) the connected side's record of an imported
--                       transcript; here it gains the approval id, key label,
--                       completion time and importing login
--
-- Every table here is append-only for the console roles: a row is never
-- deleted, and only the columns named below may change.

-- Request ids: WCR-YYYY-MM-DD-NNN (seed 000), NNN counting the requests of the
-- UTC day from 001. No sequence: an INSERT that gives no id gets the next one
-- of the day. One filer at a time per day (an advisory lock held to commit),
-- and the max is read after the lock, in a fresh snapshot (READ COMMITTED),
-- so two filers never draw the same number. An explicit id (the demo's
-- history) is kept; the primary key refuses a duplicate.
CREATE FUNCTION wallet_creation_request_id() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  prefix text;
  last   integer;
BEGIN
  IF NEW.request_id IS NOT NULL THEN
    RETURN NEW;
  END IF;
  prefix := 'WCR-' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '-';
  PERFORM pg_advisory_xact_lock(20251208, hashtext(prefix));
  SELECT max(substr(r.request_id, length(prefix) + 1)::integer) INTO last
    FROM wallet_creation_requests r
   WHERE starts_with(r.request_id, prefix);
  IF coalesce(last, 0) >= 999 THEN
    RAISE EXCEPTION 'request ids of % are used up (999 a day)', rtrim(prefix, '-')
      USING ERRCODE = 'WL2PR', HINT = 'file the request tomorrow (UTC), or ask the database owner';
  END IF;
  NEW.request_id := prefix || lpad((coalesce(last, 0) + 1)::text, 3, '0');
  RETURN NEW;
END
$$;

-- Named so that it fires after 005's guard (triggers fire in name order);
-- either order would do, the guard does not touch the id.
CREATE TRIGGER wallet_creation_requests_id
  BEFORE INSERT ON wallet_creation_requests
  FOR EACH ROW EXECUTE FUNCTION wallet_creation_request_id();

-- The witness roster. The name is an ssh allowed-signers principal, so it has
-- no blanks, commas, quotes or wildcards. The key is one OpenSSH public key
-- line (authorized_keys format without options: type, base64 blob, optional
-- comment); one key belongs to one witness, whatever its comment says.
CREATE TABLE ceremony_witnesses (
  name       text PRIMARY KEY
               CONSTRAINT witness_name_is_principal
               CHECK (name ~ '^[A-Za-z0-9._@+-]+$' AND length(name) <= 64),
  public_key text NOT NULL UNIQUE
               CONSTRAINT witness_key_is_openssh
               CHECK (public_key ~ '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}( [^[:cntrl:]]*)?$'),
  added_by   text NOT NULL DEFAULT session_user,   -- database login
  added_at   timestamptz NOT NULL DEFAULT now(),
  active     boolean NOT NULL DEFAULT true
);

CREATE UNIQUE INDEX ceremony_witnesses_one_key
  ON ceremony_witnesses ((split_part(public_key, ' ', 2)));

CREATE FUNCTION ceremony_witnesses_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.added_by := session_user;
    NEW.added_at := now();
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'witness % cannot be removed from the roster: ceremonies name them', OLD.name
      USING ERRCODE = 'WLAUD', HINT = 'set the witness inactive instead';
  END IF;
  IF (NEW.name, NEW.public_key, NEW.added_by, NEW.added_at) IS DISTINCT FROM
     (OLD.name, OLD.public_key, OLD.added_by, OLD.added_at) THEN
    RAISE EXCEPTION 'witness % cannot be edited; only whether they are active may change', OLD.name
      USING ERRCODE = 'WLAUD', HINT = 'add the new key under a new name and set the old one inactive';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ceremony_witnesses_guard
  BEFORE INSERT OR UPDATE OR DELETE ON ceremony_witnesses
  FOR EACH ROW EXECUTE FUNCTION ceremony_witnesses_guard();

-- The ceremony machine's record of its ceremonies. The request lives on the
-- connected side (the machine has only the exported file), so no foreign keys.
CREATE TABLE ceremony_runs (
  ceremony_id       text PRIMARY KEY CHECK (ceremony_id <> ''),
  request_id        text NOT NULL CHECK (request_id <> ''),
  approval_id       text,
  wallet_version    integer CHECK (wallet_version > 0),
  outcome           varchar(10) NOT NULL CHECK (outcome IN ('completed', 'aborted')),
  step              text,            -- where an aborted ceremony stopped
  reason            text,            -- why
  transcript_path   text,
  transcript_sha256 text CHECK (transcript_sha256 ~ '^[0-9a-f]{64}$'),
  at                timestamptz NOT NULL DEFAULT now(),   -- when the ceremony ended
  recorded_by       text NOT NULL DEFAULT session_user,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT aborted_run_says_why CHECK (outcome = 'completed' OR coalesce(reason, '') <> ''),
  CONSTRAINT completed_run_has_transcript CHECK (outcome = 'aborted' OR transcript_sha256 IS NOT NULL)
);

-- A request is used by one completed ceremony at most; aborted runs may precede it.
CREATE UNIQUE INDEX one_completed_ceremony_per_request
  ON ceremony_runs (request_id) WHERE outcome = 'completed';

CREATE FUNCTION ceremony_runs_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.recorded_by := session_user;
    NEW.recorded_at := now();
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'WLAUD', HINT = 'a ceremony''s record stands as written; record a new ceremony instead';
END
$$;

CREATE TRIGGER ceremony_runs_guard
  BEFORE INSERT OR UPDATE OR DELETE ON ceremony_runs
  FOR EACH ROW EXECUTE FUNCTION ceremony_runs_guard();
CREATE TRIGGER ceremony_runs_no_truncate
  BEFORE TRUNCATE ON ceremony_runs
  FOR EACH STATEMENT EXECUTE FUNCTION ceremony_runs_guard();

-- What an import records beyond 006's columns.
ALTER TABLE key_ceremonies
  ADD COLUMN approval_id  text,
  ADD COLUMN key_label    text,
  ADD COLUMN completed_at timestamptz,   -- when the transcript was closed
  ADD COLUMN imported_by  text NOT NULL DEFAULT session_user;

-- One ceremony per request and per wallet: a request is used once.
CREATE UNIQUE INDEX key_ceremonies_one_per_request ON key_ceremonies (request_id);
CREATE UNIQUE INDEX key_ceremonies_one_per_wallet ON key_ceremonies (wallet_version);

-- What the transcript proved does not change after import; only the backup
-- proof may arrive later (false → true).
CREATE FUNCTION key_ceremonies_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.imported_by := session_user;
    NEW.imported_at := now();
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'key ceremony % cannot be deleted: the wallet it created rests on it', OLD.ceremony_id
      USING ERRCODE = 'WLAUD';
  END IF;
  IF (NEW.ceremony_id, NEW.request_id, NEW.wallet_version, NEW.transcript_sha256, NEW.master_public_key,
      NEW.public_key_fingerprint, NEW.witness_count, NEW.imported_at, NEW.approval_id, NEW.key_label,
      NEW.completed_at, NEW.imported_by)
     IS DISTINCT FROM
     (OLD.ceremony_id, OLD.request_id, OLD.wallet_version, OLD.transcript_sha256, OLD.master_public_key,
      OLD.public_key_fingerprint, OLD.witness_count, OLD.imported_at, OLD.approval_id, OLD.key_label,
      OLD.completed_at, OLD.imported_by)
     OR (OLD.backup_proven AND NOT NEW.backup_proven) THEN
    RAISE EXCEPTION 'key ceremony % is recorded as its transcript says; only a backup proof may be added', OLD.ceremony_id
      USING ERRCODE = 'WLAUD';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER key_ceremonies_guard
  BEFORE INSERT OR UPDATE OR DELETE ON key_ceremonies
  FOR EACH ROW EXECUTE FUNCTION key_ceremonies_guard();
CREATE TRIGGER key_ceremonies_no_truncate
  BEFORE TRUNCATE ON key_ceremonies
  FOR EACH STATEMENT EXECUTE FUNCTION ceremony_runs_guard();

-- Viewers read; operators keep the roster, record ceremony runs and import
-- (key_ceremonies, wallet_versions and the request's "used" are granted in
-- 007); approvers decide (007). Nobody deletes.
GRANT SELECT ON ceremony_witnesses, ceremony_runs TO wallet_viewer, wallet_operator, wallet_approver;
GRANT INSERT ON ceremony_witnesses, ceremony_runs TO wallet_operator;
GRANT UPDATE (active) ON ceremony_witnesses TO wallet_operator;
REVOKE DELETE, TRUNCATE ON ceremony_witnesses, ceremony_runs, key_ceremonies FROM wallet_operator, wallet_approver, wallet_viewer;
