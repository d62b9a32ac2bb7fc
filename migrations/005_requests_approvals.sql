-- Wallet creation requests and their approvals (seed 000, 1.1 and 1.2).
--
-- The two-person rule lives on the database login: requested_by and approver are
-- always session_user (whatever the INSERT says), and an approver may never be
-- the requester. A superuser could still SET SESSION AUTHORIZATION, which is why
-- the console's own logins are not superusers.

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
  CONSTRAINT rejection_has_reason CHECK (decision = 'approved' OR coalesce(reason, '') <> '')
);

CREATE FUNCTION wallet_creation_requests_login() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.requested_by := session_user;
  ELSIF NEW.requested_by IS DISTINCT FROM OLD.requested_by THEN
    RAISE EXCEPTION 'the requester of % cannot be changed', OLD.request_id USING ERRCODE = 'WL2PR';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_creation_requests_login
  BEFORE INSERT OR UPDATE ON wallet_creation_requests
  FOR EACH ROW EXECUTE FUNCTION wallet_creation_requests_login();

CREATE FUNCTION wallet_creation_approvals_two_person() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  requester text;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'an approval decision cannot be changed; record a new request instead'
      USING ERRCODE = 'WL2PR';
  END IF;
  NEW.approver := session_user;
  NEW.valid_until := NEW.decided_at + interval '7 days';
  SELECT requested_by INTO requester FROM wallet_creation_requests WHERE request_id = NEW.request_id;
  IF requester = NEW.approver THEN
    RAISE EXCEPTION 'two-person rule: % filed request % and cannot approve it', NEW.approver, NEW.request_id
      USING ERRCODE = 'WL2PR', HINT = 'another person, with their own database login, must decide';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_creation_approvals_two_person
  BEFORE INSERT OR UPDATE ON wallet_creation_approvals
  FOR EACH ROW EXECUTE FUNCTION wallet_creation_approvals_two_person();
