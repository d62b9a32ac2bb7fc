-- Wallet creation requests and their approvals (seed 000, 1.1 and 1.2).
--
-- The two-person rule lives on the database login: requested_by and approver are
-- always session_user (whatever the INSERT says), an approver may never be the
-- requester, and one login decides at most one role of a request. The request's
-- outcome (approved with its WAP id, or rejected) is derived by the database
-- from the decisions, never written by a console role. Decisions are dated by
-- the database and valid 7 days. (A superuser can still SET SESSION
-- AUTHORIZATION: the people who decide must not be superusers.)

CREATE TABLE wallet_creation_requests (
  request_id               text PRIMARY KEY
                             CHECK (request_id ~ '^WCR-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{3}$'),
  requested_by             text NOT NULL,   -- database login
  requester_email          text,
  request_date             timestamptz NOT NULL DEFAULT now(),
  priority                 varchar(20) NOT NULL DEFAULT 'standard'
                             CHECK (priority IN ('standard', 'high', 'emergency')),
  environment              varchar(20) NOT NULL
                             CHECK (environment IN ('production', 'testing', 'development')),
  purpose                  varchar(40) NOT NULL,
  security_level           varchar(20) NOT NULL DEFAULT 'standard'
                             CHECK (security_level IN ('standard', 'high', 'experimental')),
  estimated_lifespan       text,
  reason                   text NOT NULL,
  business_impact          text,
  risk_if_delayed          text,
  risk_level               varchar(10) NOT NULL DEFAULT 'medium'
                             CHECK (risk_level IN ('low', 'medium', 'high')),
  hsm_requirements         text,
  performance_requirements text,
  storage_requirements     text,
  backup_requirements      text,
  required_approvals       text[] NOT NULL DEFAULT '{security,operations}',
  status                   varchar(20) NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'approved', 'rejected', 'used', 'expired')),
  approval_id              text UNIQUE CHECK (approval_id ~ '^WAP-[0-9]{14}$'),
  approved_at              timestamptz,
  valid_until              timestamptz,   -- approval valid 7 days
  wallet_version           integer REFERENCES wallet_versions(version_id)
);

CREATE TABLE wallet_creation_approvals (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id    text NOT NULL REFERENCES wallet_creation_requests(request_id),
  approver_role varchar(20) NOT NULL
                  CHECK (approver_role IN ('security', 'operations', 'executive', 'compliance')),
  approver      text NOT NULL,   -- database login
  decision      varchar(10) NOT NULL CHECK (decision IN ('approved', 'rejected')),
  reason        text,
  decided_at    timestamptz NOT NULL DEFAULT now(),
  valid_until   timestamptz NOT NULL DEFAULT now() + interval '7 days',
  CONSTRAINT one_decision_per_role UNIQUE (request_id, approver_role),
  CONSTRAINT one_role_per_approver UNIQUE (request_id, approver),
  CONSTRAINT rejection_has_reason CHECK (decision = 'approved' OR coalesce(reason, '') <> '')
);

-- Approvals needed (seed 000, 1.1/1.2): security and operations always;
-- executive and compliance for production; executive also for high risk.
CREATE FUNCTION wallet_required_approvals(environment text, risk_level text) RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT ARRAY['security', 'operations']
      || CASE WHEN environment = 'production' THEN ARRAY['executive', 'compliance']
              WHEN risk_level = 'high' THEN ARRAY['executive']
              ELSE '{}'::text[] END
$$;

CREATE FUNCTION wallet_creation_requests_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  owner name;
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.requested_by := session_user;
    NEW.request_date := now();
    NEW.status := 'pending';
    NEW.approval_id := NULL;
    NEW.approved_at := NULL;
    NEW.valid_until := NULL;
    NEW.wallet_version := NULL;
    NEW.required_approvals := wallet_required_approvals(NEW.environment, NEW.risk_level);
    RETURN NEW;
  END IF;

  SELECT pg_get_userbyid(relowner) INTO owner FROM pg_class WHERE oid = 'wallet_creation_requests'::regclass;
  IF current_user = owner THEN
    RETURN NEW; -- the decision trigger below, running as the owner
  END IF;
  IF (NEW.requested_by, NEW.request_date, NEW.environment, NEW.purpose, NEW.security_level, NEW.reason,
      NEW.risk_level, NEW.required_approvals, NEW.approval_id, NEW.approved_at, NEW.valid_until)
     IS DISTINCT FROM
     (OLD.requested_by, OLD.request_date, OLD.environment, OLD.purpose, OLD.security_level, OLD.reason,
      OLD.risk_level, OLD.required_approvals, OLD.approval_id, OLD.approved_at, OLD.valid_until) THEN
    RAISE EXCEPTION 'request % cannot be edited once filed; file a new one', OLD.request_id
      USING ERRCODE = 'WL2PR';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    IF OLD.status = 'approved' AND NEW.status = 'used' THEN
      IF OLD.valid_until < now() THEN
        RAISE EXCEPTION 'the approval % of request % expired at %', OLD.approval_id, OLD.request_id, OLD.valid_until
          USING ERRCODE = 'WL2PR', HINT = 'file a new request and have it approved again';
      END IF;
      IF NEW.wallet_version IS NULL THEN
        RAISE EXCEPTION 'marking request % used needs the wallet version it created', OLD.request_id
          USING ERRCODE = 'WL2PR';
      END IF;
    ELSIF NEW.status = 'expired' AND OLD.status IN ('pending', 'approved') THEN
      NULL;
    ELSE
      RAISE EXCEPTION 'request % cannot go from % to %: approval comes only from the approvers'' decisions',
                      OLD.request_id, OLD.status, NEW.status
        USING ERRCODE = 'WL2PR';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_creation_requests_guard
  BEFORE INSERT OR UPDATE ON wallet_creation_requests
  FOR EACH ROW EXECUTE FUNCTION wallet_creation_requests_guard();

CREATE FUNCTION wallet_creation_approvals_two_person() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  req wallet_creation_requests;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'an approval decision cannot be changed; record a new request instead'
      USING ERRCODE = 'WL2PR';
  END IF;
  NEW.approver := session_user;
  NEW.decided_at := now();
  NEW.valid_until := now() + interval '7 days';
  -- Decisions on one request are taken one at a time, so that the last of
  -- them sees all the others (READ COMMITTED) and the outcome is decided once.
  PERFORM pg_advisory_xact_lock(20251200, hashtext(NEW.request_id));
  SELECT * INTO req FROM wallet_creation_requests WHERE request_id = NEW.request_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no creation request %', NEW.request_id USING ERRCODE = 'WL2PR';
  END IF;
  IF req.requested_by = NEW.approver THEN
    RAISE EXCEPTION 'two-person rule: % filed request % and cannot approve it', NEW.approver, NEW.request_id
      USING ERRCODE = 'WL2PR', HINT = 'another person, with their own database login, must decide';
  END IF;
  IF req.status <> 'pending' THEN
    RAISE EXCEPTION 'request % is %: its decisions are closed', NEW.request_id, req.status
      USING ERRCODE = 'WL2PR';
  END IF;
  IF NOT NEW.approver_role = ANY (req.required_approvals) THEN
    RAISE EXCEPTION 'request % needs no % approval (it needs: %)', NEW.request_id, NEW.approver_role,
                    array_to_string(req.required_approvals, ', ')
      USING ERRCODE = 'WL2PR';
  END IF;
  IF EXISTS (SELECT 1 FROM wallet_creation_approvals a
              WHERE a.request_id = NEW.request_id AND a.approver = NEW.approver) THEN
    RAISE EXCEPTION 'two-person rule: % already decided for request %; each role needs another person',
                    NEW.approver, NEW.request_id
      USING ERRCODE = 'WL2PR';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_creation_approvals_two_person
  BEFORE INSERT OR UPDATE ON wallet_creation_approvals
  FOR EACH ROW EXECUTE FUNCTION wallet_creation_approvals_two_person();

-- The request's outcome follows from the decisions: one rejection rejects it;
-- approvals from every required role approve it, with the seed's WAP id, valid
-- until the earliest decision expires. Runs as the owner: no console role can
-- write an outcome itself.
CREATE FUNCTION wallet_creation_decide() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  req     wallet_creation_requests;
  missing text[];
  wap     text;
  at      timestamptz := now();
BEGIN
  SELECT * INTO req FROM wallet_creation_requests WHERE request_id = NEW.request_id;
  IF NEW.decision = 'rejected' THEN
    UPDATE wallet_creation_requests SET status = 'rejected' WHERE request_id = NEW.request_id;
    RETURN NULL;
  END IF;
  SELECT array_agg(r) INTO missing FROM unnest(req.required_approvals) r
   WHERE NOT EXISTS (SELECT 1 FROM wallet_creation_approvals a
                      WHERE a.request_id = NEW.request_id AND a.approver_role = r AND a.decision = 'approved');
  IF missing IS NOT NULL THEN
    RETURN NULL;
  END IF;
  -- WAP-YYYYMMDDHHMMSS (seed 000); the next free second if two requests
  -- are approved in the same one.
  LOOP
    wap := 'WAP-' || to_char(at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS');
    EXIT WHEN NOT EXISTS (SELECT 1 FROM wallet_creation_requests WHERE approval_id = wap);
    at := at + interval '1 second';
  END LOOP;
  UPDATE wallet_creation_requests
     SET status = 'approved', approval_id = wap, approved_at = now(),
         valid_until = (SELECT min(valid_until) FROM wallet_creation_approvals WHERE request_id = NEW.request_id)
   WHERE request_id = NEW.request_id;
  RETURN NULL;
END
$$;

CREATE TRIGGER wallet_creation_decide
  AFTER INSERT ON wallet_creation_approvals
  FOR EACH ROW EXECUTE FUNCTION wallet_creation_decide();
