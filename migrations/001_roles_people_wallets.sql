-- Roles, people and wallet versions, with the lifecycle enforced by the database.
--
-- Seed 001 declares timestamps as TIMESTAMP; we use timestamptz throughout so that
-- an ops host and an air-gapped laptop in different zones agree on "when".
-- Seed 001 gives wallet_versions.status the default 'active'; a wallet is born
-- 'created' (seed 000, "Wallet Database Creation"), so that is the default here and
-- the only status an INSERT may use.

-- The audit hashes are computed over UTF-8 bytes, in SQL and in Go alike.
DO $$
BEGIN
  IF pg_encoding_to_char(encoding) <> 'UTF8' FROM pg_database WHERE datname = current_database() THEN
    RAISE EXCEPTION 'database % is not UTF8; create it with ENCODING ''UTF8'' and migrate again', current_database();
  END IF;
END
$$;

-- Database roles the console uses. They are cluster-wide: create each once,
-- and let another database of the cluster migrating at the same moment win.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['wallet_viewer', 'wallet_operator', 'wallet_approver'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
END
$$;

-- Nobody but the owner creates objects or temporary tables here: the viewer must
-- not be able to write anything at all.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;

-- Minimal people tables: the columns the seeds join on.
CREATE TABLE organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL UNIQUE,
  type       text NOT NULL CHECK (type IN ('Individual', 'Company', 'Institution')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email        text NOT NULL UNIQUE,
  display_name text,
  db_login     text UNIQUE, -- the database login this person uses, if any
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Seed 001's compromise runbook registers Plings as this all-zero system user.
INSERT INTO users (id, email, display_name)
VALUES ('00000000-0000-0000-0000-000000000000', 'system@plings.io', 'System');

CREATE TABLE organization_members (
  organization_id uuid NOT NULL REFERENCES organizations(id),
  user_id         uuid NOT NULL REFERENCES users(id),
  role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  PRIMARY KEY (organization_id, user_id)
);

CREATE TABLE wallet_versions (
  version_id             integer PRIMARY KEY CHECK (version_id > 0),
  version_name           varchar(10) NOT NULL,
  master_key_id          varchar(100) NOT NULL,
  public_key_fingerprint text,        -- SHA-256 (hex) of the Ed25519 public key, from the ceremony
  description            text,
  environment            varchar(20) NOT NULL DEFAULT 'production'
                           CHECK (environment IN ('production', 'testing', 'development')),
  security_level         varchar(20) NOT NULL DEFAULT 'standard'
                           CHECK (security_level IN ('standard', 'high', 'experimental')),
  status                 varchar(20) NOT NULL DEFAULT 'created'
                           CHECK (status IN ('created', 'validated', 'deployed', 'active', 'inactive',
                                             'deprecated', 'retired', 'compromised')),
  is_default             boolean NOT NULL DEFAULT false,
  created_at             timestamptz NOT NULL DEFAULT now(),
  validated_at           timestamptz,
  deployed_at            timestamptz,
  activated_at           timestamptz,  -- seed 000 writes it; seed 001 lacks it
  deactivated_at         timestamptz,
  deprecated_at          timestamptz,
  retired_at             timestamptz,
  compromised_at         timestamptz,  -- seed 001's compromise runbook writes it
  deprecation_reason     text,
  target_retirement_date date,
  retention_until        date,
  creation_request_id    text,
  approval_id            text,
  migrated_from_wallet   integer REFERENCES wallet_versions(version_id),

  CONSTRAINT unique_version_name UNIQUE (version_name),
  CONSTRAINT version_name_matches_id CHECK (version_name = 'v' || version_id::text),
  CONSTRAINT default_wallet_is_active CHECK (NOT is_default OR status = 'active'),
  -- Seed 001's EXCLUDE, on btree (no extension needed). DEFERRABLE INITIALLY
  -- IMMEDIATE makes it checked at the end of each statement, so seed 000's
  -- one-statement "move the default" UPDATE works while two defaults never commit.
  CONSTRAINT unique_default_wallet
    EXCLUDE USING btree (is_default WITH =) WHERE (is_default) DEFERRABLE INITIALLY IMMEDIATE
);

CREATE INDEX idx_wallet_status ON wallet_versions (status);
CREATE INDEX idx_wallet_environment ON wallet_versions (environment);

-- The lifecycle of DESIGN.md as data: the Go model (model/status.go) holds the
-- same table, and a test checks that the two agree.
CREATE TABLE wallet_status_transitions (
  from_status varchar(20) NOT NULL,
  to_status   varchar(20) NOT NULL,
  action      text NOT NULL,
  PRIMARY KEY (from_status, to_status)
);

INSERT INTO wallet_status_transitions (from_status, to_status, action) VALUES
  ('created',     'validated',   'validate'),
  ('validated',   'deployed',    'deploy'),
  ('deployed',    'active',      'activate'),
  ('active',      'deprecated',  'deprecate'),
  ('deprecated',  'retired',     'retire'),
  ('active',      'inactive',    'deactivate'),
  ('inactive',    'active',      'reactivate'),
  ('created',     'compromised', 'compromise'),
  ('validated',   'compromised', 'compromise'),
  ('deployed',    'compromised', 'compromise'),
  ('active',      'compromised', 'compromise'),
  ('inactive',    'compromised', 'compromise'),
  ('deprecated',  'compromised', 'compromise'),
  -- Not drawn in DESIGN.md's diagram, but a compromised wallet must still be
  -- archived and its key destroyed at the end: retirement is its only way out.
  ('compromised', 'retired',     'retire');

CREATE FUNCTION wallet_versions_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  allowed text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'created' THEN
      RAISE EXCEPTION 'a new wallet version starts as created, not %', NEW.status
        USING ERRCODE = 'WLTRN',
              HINT = 'insert it as created and move it through validate, deploy and activate';
    END IF;
    RETURN NEW;
  END IF;

  IF NEW.version_id <> OLD.version_id THEN
    RAISE EXCEPTION 'wallet version ids are immutable (v% cannot become v%)', OLD.version_id, NEW.version_id
      USING ERRCODE = 'WLTRN';
  END IF;

  IF NEW.status IS DISTINCT FROM OLD.status THEN
    IF NOT EXISTS (SELECT 1 FROM wallet_status_transitions
                   WHERE from_status = OLD.status AND to_status = NEW.status) THEN
      SELECT string_agg(to_status, ', ' ORDER BY to_status) INTO allowed
        FROM wallet_status_transitions WHERE from_status = OLD.status;
      RAISE EXCEPTION 'illegal status transition for %: % → %', OLD.version_name, OLD.status, NEW.status
        USING ERRCODE = 'WLTRN',
              DETAIL = CASE WHEN allowed IS NULL THEN format('%s is final', OLD.status)
                            ELSE format('from %s the allowed next states are: %s', OLD.status, allowed) END;
    END IF;

    -- Allocations read the status under a shared lock (003's guard): a
    -- change of status waits for those in flight and they for it.
    PERFORM pg_advisory_xact_lock(20251109, NEW.version_id);

    -- Leaving active clears the default (DESIGN.md, wallet status).
    IF OLD.status = 'active' THEN
      NEW.is_default := false;
    END IF;

    -- Stamp the moment of the transition unless the statement set it itself.
    CASE NEW.status
      WHEN 'validated' THEN
        IF NEW.validated_at IS NOT DISTINCT FROM OLD.validated_at THEN NEW.validated_at := now(); END IF;
      WHEN 'deployed' THEN
        IF NEW.deployed_at IS NOT DISTINCT FROM OLD.deployed_at THEN NEW.deployed_at := now(); END IF;
      WHEN 'active' THEN
        IF NEW.activated_at IS NOT DISTINCT FROM OLD.activated_at THEN NEW.activated_at := now(); END IF;
      WHEN 'inactive' THEN
        IF NEW.deactivated_at IS NOT DISTINCT FROM OLD.deactivated_at THEN NEW.deactivated_at := now(); END IF;
      WHEN 'deprecated' THEN
        IF NEW.deprecated_at IS NOT DISTINCT FROM OLD.deprecated_at THEN NEW.deprecated_at := now(); END IF;
      WHEN 'retired' THEN
        IF NEW.retired_at IS NOT DISTINCT FROM OLD.retired_at THEN NEW.retired_at := now(); END IF;
        -- Seven years' retention by default (DESIGN.md, retirement).
        IF NEW.retention_until IS NULL THEN
          NEW.retention_until := (NEW.retired_at + interval '2555 days')::date;
        END IF;
      WHEN 'compromised' THEN
        IF NEW.compromised_at IS NOT DISTINCT FROM OLD.compromised_at THEN NEW.compromised_at := now(); END IF;
      ELSE
        NULL;
    END CASE;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_versions_guard
  BEFORE INSERT OR UPDATE ON wallet_versions
  FOR EACH ROW EXECUTE FUNCTION wallet_versions_guard();
