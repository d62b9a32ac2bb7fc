-- Every write goes through the database's own functions (issue 10, points 2–5, 8).
--
-- Before this migration an operator could INSERT a wallet version and UPDATE
-- it to the active default with no request, approval or ceremony; forge a
-- backup proof; rewrite a wallet's fingerprint or a used request; and insert
-- audit rows of any type under any name. Now:
--
--   * no console role (viewer, operator, approver) holds INSERT, UPDATE,
--     DELETE or TRUNCATE on any table, nor any use of a sequence. Each change
--     of state is one SECURITY DEFINER function below that checks its
--     preconditions, makes the change and writes its audit row — in the
--     caller's transaction, so change and row commit together;
--   * the audit row's details are built here from what was written, not
--     passed in; its db_user is the login (session_user, which SECURITY
--     DEFINER does not change); initiated_by is only a note the caller may
--     add, and the login when there is none;
--   * the identity of a wallet (fingerprint, key id, creation request,
--     approval, environment, level) never changes once written, its
--     lifecycle times are stamped by its transitions, and a request's fields
--     are frozen once filed — for every session but the owner's own, which
--     loads the demo's history (see README, "What the owner can still do");
--   * the default moves in one function, under one lock, so that concurrent
--     moves queue instead of deadlocking.
--
-- The database cannot verify Ed25519: a proof row is checked for shape here
-- and its signature is verified again by the console wherever it is relied
-- on (the activation, `console audit verify`).
--
-- Functions of this migration take advisory locks only through the tables'
-- triggers (already SECURITY DEFINER, 011) or, for the default, themselves:
-- store/custody_psql_test.go checks that every such function runs as the
-- owner.

REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public
  FROM PUBLIC, wallet_viewer, wallet_operator, wallet_approver;
-- Column grants are not revoked with the table's (007, 008).
REVOKE UPDATE (status, wallet_version) ON wallet_creation_requests FROM wallet_operator;
REVOKE UPDATE (active) ON ceremony_witnesses FROM wallet_operator;
REVOKE USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public
  FROM PUBLIC, wallet_viewer, wallet_operator, wallet_approver;
-- Functions made from now on are callable only by whom they are granted to.
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- What the ceremony token was, so that a backup proof from that very token
-- (or a copy of its directory: the same serial) is refused; and the backup
-- token's serial and model beside its label.
ALTER TABLE key_ceremonies
  ADD COLUMN ceremony_token_serial text,
  ADD COLUMN ceremony_token_model  text;
ALTER TABLE key_ceremony_backup_proofs
  ADD COLUMN backup_token_serial text,
  ADD COLUMN backup_token_model  text;

-- ---------------------------------------------------------------------------
-- Helpers (not callable by console roles).

-- Whether this session is the schema's owner (or a superuser) working as
-- itself: the demo loader and migrations. Inside a SECURITY DEFINER function
-- current_user is the owner too, but session_user stays the caller's login.
CREATE FUNCTION wallet_owner_session() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT session_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.wallet_versions'::regclass)
      OR coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
$$;

-- Whether a reason says nothing (empty, spaces, tabs, newlines).
CREATE FUNCTION wallet_blank(p text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT coalesce(p, '') ~ '^[[:space:]]*$'
$$;

-- A note is one line of at most 200 characters; none means the login.
CREATE FUNCTION wallet_note(p text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT coalesce(nullif(left(btrim(regexp_replace(coalesce(p, ''), '[[:cntrl:]]', ' ', 'g')), 200), ''), session_user::text)
$$;

CREATE FUNCTION wallet_log(p_type text, p_wallet integer, p_status text, p_note text, p_approval text, p_details jsonb)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  s bigint;
BEGIN
  INSERT INTO wallet_operations_log (operation_type, wallet_version, operation_status, initiated_by, approval_id, operation_details)
  VALUES (p_type, p_wallet, coalesce(p_status, 'completed'), wallet_note(p_note), nullif(p_approval, ''),
          jsonb_strip_nulls(coalesce(p_details, '{}')))
  RETURNING seq INTO s;
  RETURN s;
END
$$;

-- The raw 32-byte key of an Ed25519 public key in PEM (SubjectPublicKeyInfo),
-- or NULL when it is not one.
CREATE FUNCTION wallet_ed25519_raw(pem text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
  der bytea;
BEGIN
  der := decode(regexp_replace(pem, '-----[A-Z ]+-----|\s', '', 'g'), 'base64');
  IF length(der) = 44 AND substring(der FROM 1 FOR 12) = '\x302a300506032b6570032100'::bytea THEN
    RETURN substring(der FROM 13);
  END IF;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END
$$;

-- RFC 3339 in UTC, as Go's time.RFC3339 prints it.
CREATE FUNCTION wallet_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- ---------------------------------------------------------------------------
-- Identity and history are immutable (point 4).

CREATE FUNCTION wallet_versions_identity() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF (NEW.version_name, NEW.master_key_id, NEW.environment, NEW.security_level)
       IS DISTINCT FROM (OLD.version_name, OLD.master_key_id, OLD.environment, OLD.security_level)
     OR (OLD.public_key_fingerprint IS NOT NULL AND NEW.public_key_fingerprint IS DISTINCT FROM OLD.public_key_fingerprint)
     OR (OLD.creation_request_id IS NOT NULL AND NEW.creation_request_id IS DISTINCT FROM OLD.creation_request_id)
     OR (OLD.approval_id IS NOT NULL AND NEW.approval_id IS DISTINCT FROM OLD.approval_id)
     OR (OLD.migrated_from_wallet IS NOT NULL AND NEW.migrated_from_wallet IS DISTINCT FROM OLD.migrated_from_wallet) THEN
    RAISE EXCEPTION 'the identity of wallet % (its key, fingerprint, request, approval, environment and level) cannot change once written',
                    OLD.version_name
      USING ERRCODE = 'WLCUS', HINT = 'a wallet with another key is a new wallet: file a creation request';
  END IF;
  IF wallet_owner_session() THEN
    RETURN NEW;   -- the owner's history loads (demo) date what they load
  END IF;
  IF (NEW.public_key_fingerprint, NEW.creation_request_id, NEW.approval_id, NEW.migrated_from_wallet, NEW.created_at)
       IS DISTINCT FROM (OLD.public_key_fingerprint, OLD.creation_request_id, OLD.approval_id, OLD.migrated_from_wallet, OLD.created_at) THEN
    RAISE EXCEPTION 'the identity of wallet % is written once, when it is created', OLD.version_name USING ERRCODE = 'WLCUS';
  END IF;
  -- Lifecycle times are stamped by a transition (the guard before this
  -- trigger did it for the new status): anything else a statement set is
  -- put back.
  NEW.validated_at   := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'validated'   THEN now() ELSE OLD.validated_at END;
  NEW.deployed_at    := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'deployed'    THEN now() ELSE OLD.deployed_at END;
  NEW.activated_at   := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'active'      THEN now() ELSE OLD.activated_at END;
  NEW.deactivated_at := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'inactive'    THEN now() ELSE OLD.deactivated_at END;
  NEW.deprecated_at  := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'deprecated'  THEN now() ELSE OLD.deprecated_at END;
  NEW.retired_at     := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'retired'     THEN now() ELSE OLD.retired_at END;
  NEW.compromised_at := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'compromised' THEN now() ELSE OLD.compromised_at END;
  NEW.retention_until := CASE WHEN NEW.status <> OLD.status AND NEW.status = 'retired'
                              THEN (now() + interval '2555 days')::date ELSE OLD.retention_until END;
  IF NOT (NEW.status <> OLD.status AND NEW.status = 'deprecated') THEN
    NEW.deprecation_reason := OLD.deprecation_reason;
    NEW.target_retirement_date := OLD.target_retirement_date;
  END IF;
  NEW.description := OLD.description;
  RETURN NEW;
END
$$;

-- Named to fire after 001's guard (which stamps the transition) and before
-- 009's proof rule.
CREATE TRIGGER wallet_versions_identity
  BEFORE UPDATE ON wallet_versions
  FOR EACH ROW EXECUTE FUNCTION wallet_versions_identity();

-- 008's guard, with the ceremony token columns frozen as well.
CREATE OR REPLACE FUNCTION key_ceremonies_guard() RETURNS trigger
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
      NEW.completed_at, NEW.imported_by, NEW.ceremony_token_serial, NEW.ceremony_token_model)
     IS DISTINCT FROM
     (OLD.ceremony_id, OLD.request_id, OLD.wallet_version, OLD.transcript_sha256, OLD.master_public_key,
      OLD.public_key_fingerprint, OLD.witness_count, OLD.imported_at, OLD.approval_id, OLD.key_label,
      OLD.completed_at, OLD.imported_by, OLD.ceremony_token_serial, OLD.ceremony_token_model)
     OR (OLD.backup_proven AND NOT NEW.backup_proven) THEN
    RAISE EXCEPTION 'key ceremony % is recorded as its transcript says; only a backup proof may be added', OLD.ceremony_id
      USING ERRCODE = 'WLAUD';
  END IF;
  RETURN NEW;
END
$$;

-- 005's guard, stricter: every field of a filed request is frozen; its status
-- moves only pending → approved/rejected (the decision trigger, running as
-- the owner inside an approval) and approved → used (the ceremony import,
-- with the wallet it made, before the approval expires). A used, rejected or
-- expired request never changes again.
CREATE OR REPLACE FUNCTION wallet_creation_requests_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  owner name;
  from_decision boolean;
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
  IF wallet_owner_session() THEN
    RETURN NEW;   -- the owner's history loads
  END IF;
  SELECT pg_get_userbyid(relowner) INTO owner FROM pg_class WHERE oid = 'wallet_creation_requests'::regclass;
  from_decision := current_user = owner AND pg_trigger_depth() > 1;
  IF from_decision AND OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected')
     AND NEW.wallet_version IS NULL
     AND (NEW.request_id, NEW.requested_by, NEW.request_date, NEW.environment, NEW.purpose, NEW.security_level,
          NEW.reason, NEW.risk_level, NEW.required_approvals)
         IS NOT DISTINCT FROM
         (OLD.request_id, OLD.requested_by, OLD.request_date, OLD.environment, OLD.purpose, OLD.security_level,
          OLD.reason, OLD.risk_level, OLD.required_approvals) THEN
    RETURN NEW;
  END IF;
  IF (NEW.request_id, NEW.requested_by, NEW.requester_email, NEW.request_date, NEW.priority, NEW.environment,
      NEW.purpose, NEW.security_level, NEW.estimated_lifespan, NEW.reason, NEW.business_impact, NEW.risk_if_delayed,
      NEW.risk_level, NEW.hsm_requirements, NEW.performance_requirements, NEW.storage_requirements,
      NEW.backup_requirements, NEW.required_approvals, NEW.approval_id, NEW.approved_at, NEW.valid_until)
     IS DISTINCT FROM
     (OLD.request_id, OLD.requested_by, OLD.requester_email, OLD.request_date, OLD.priority, OLD.environment,
      OLD.purpose, OLD.security_level, OLD.estimated_lifespan, OLD.reason, OLD.business_impact, OLD.risk_if_delayed,
      OLD.risk_level, OLD.hsm_requirements, OLD.performance_requirements, OLD.storage_requirements,
      OLD.backup_requirements, OLD.required_approvals, OLD.approval_id, OLD.approved_at, OLD.valid_until) THEN
    RAISE EXCEPTION 'request % cannot be edited once filed; file a new one', OLD.request_id
      USING ERRCODE = 'WL2PR';
  END IF;
  IF OLD.status = 'approved' AND NEW.status = 'used' AND OLD.wallet_version IS NULL AND NEW.wallet_version IS NOT NULL THEN
    IF OLD.valid_until < now() THEN
      RAISE EXCEPTION 'the approval % of request % expired at %', OLD.approval_id, OLD.request_id, OLD.valid_until
        USING ERRCODE = 'WL2PR', HINT = 'file a new request and have it approved again';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.status, NEW.wallet_version) IS DISTINCT FROM (OLD.status, OLD.wallet_version) THEN
    RAISE EXCEPTION 'request % is %: its status moves only by its approvers'' decisions and by the ceremony import that uses it',
                    OLD.request_id, OLD.status
      USING ERRCODE = 'WL2PR';
  END IF;
  RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- The functions console roles call. Each writes its audit row and returns
-- its sequence number; refusals are errors with a code store/errors.go knows.

-- Allocation (seed 000): the overlap rule, the status rule and the counters
-- are the table's triggers; this adds the audit row.
CREATE FUNCTION wallet_allocate_path(p_wallet integer, p_base_path text, p_type text, p_quantity bigint,
  p_range_start bigint, p_range_end bigint, p_purpose text, p_user uuid, p_org uuid, p_note text,
  OUT id text, OUT hd_derivation_prefix text, OUT status text, OUT allocated_at timestamptz, OUT seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r path_registry;
BEGIN
  INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_range_start,
                             allocated_range_end, purpose, allocated_by, organization_id)
  VALUES (p_wallet, p_base_path, p_type, p_quantity, p_range_start, p_range_end, p_purpose, p_user, p_org)
  RETURNING * INTO r;
  id := r.id::text;
  hd_derivation_prefix := r.hd_derivation_prefix;
  status := r.status;
  allocated_at := r.allocated_at;
  seq := wallet_log('path_allocation', r.wallet_version, 'completed', p_note, NULL, jsonb_build_object(
    'base_path', r.base_path, 'allocation_type', r.allocation_type, 'quantity', r.quantity,
    'range_start', r.allocated_range_start, 'range_end', r.allocated_range_end, 'purpose', coalesce(r.purpose, '')));
END
$$;

CREATE FUNCTION wallet_file_request(p_requester_email text, p_priority text, p_environment text, p_purpose text,
  p_security_level text, p_lifespan text, p_reason text, p_business_impact text, p_risk_if_delayed text,
  p_risk_level text, p_hsm text, p_performance text, p_storage text, p_backup text, p_note text,
  OUT request_id text, OUT required_approvals text[], OUT seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_creation_requests;
BEGIN
  INSERT INTO wallet_creation_requests (requester_email, priority, environment, purpose, security_level,
    estimated_lifespan, reason, business_impact, risk_if_delayed, risk_level, hsm_requirements,
    performance_requirements, storage_requirements, backup_requirements)
  VALUES (nullif(p_requester_email, ''), coalesce(p_priority, 'standard'), p_environment, p_purpose,
    coalesce(p_security_level, 'standard'), nullif(p_lifespan, ''), p_reason, nullif(p_business_impact, ''),
    nullif(p_risk_if_delayed, ''), coalesce(p_risk_level, 'medium'), nullif(p_hsm, ''), nullif(p_performance, ''),
    nullif(p_storage, ''), nullif(p_backup, ''))
  RETURNING * INTO r;
  request_id := r.request_id;
  required_approvals := r.required_approvals;
  seq := wallet_log('creation_request', NULL, 'completed', p_note, NULL, jsonb_build_object(
    'request_id', r.request_id, 'environment', r.environment, 'purpose', r.purpose,
    'security_level', r.security_level, 'risk_level', r.risk_level, 'priority', r.priority,
    'required_approvals', to_jsonb(r.required_approvals)));
END
$$;

CREATE FUNCTION wallet_decide_request(p_request text, p_role text, p_decision text, p_reason text, p_note text,
  OUT request_status text, OUT approval_id text, OUT seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_creation_requests;
BEGIN
  INSERT INTO wallet_creation_approvals (request_id, approver_role, decision, reason)
  VALUES (p_request, p_role, p_decision, nullif(p_reason, ''));
  SELECT * INTO r FROM wallet_creation_requests q WHERE q.request_id = p_request;
  request_status := r.status;
  approval_id := coalesce(r.approval_id, '');
  seq := wallet_log(CASE WHEN p_decision = 'rejected' THEN 'creation_rejection' ELSE 'creation_approval' END,
    NULL, 'completed', p_note, r.approval_id, jsonb_build_object(
      'request_id', p_request, 'approver_role', p_role, 'decision', p_decision,
      'reason', nullif(p_reason, ''), 'request_status', r.status));
END
$$;

-- The export of an approved request to the ceremony machine: the audit row
-- ceremony import trusts (the version the ceremony makes, the roster it
-- carries), written only here.
CREATE FUNCTION wallet_export_request(p_request text, p_note text,
  OUT next_version integer, OUT witnesses text[], OUT audit_head text, OUT seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r wallet_creation_requests;
BEGIN
  SELECT * INTO r FROM wallet_creation_requests q WHERE q.request_id = p_request FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no creation request %', p_request USING ERRCODE = 'WL2PR';
  END IF;
  IF r.status <> 'approved' OR r.valid_until < now() THEN
    RAISE EXCEPTION 'request % is %: only an approved request within its approval''s 7 days goes to a ceremony',
                    p_request, CASE WHEN r.status = 'approved' THEN 'expired' ELSE r.status END
      USING ERRCODE = 'WL2PR';
  END IF;
  SELECT array_agg(w.name ORDER BY w.name) INTO witnesses FROM ceremony_witnesses w WHERE w.active;
  IF coalesce(array_length(witnesses, 1), 0) < 3 THEN
    RAISE EXCEPTION 'the roster has % witnesses; a ceremony needs 3', coalesce(array_length(witnesses, 1), 0)
      USING ERRCODE = 'WLCUS', HINT = 'console witness add NAME KEYFILE';
  END IF;
  SELECT coalesce(max(version_id), 0) + 1 INTO next_version FROM wallet_versions;
  seq := wallet_log('creation_request_export', NULL, 'completed', p_note, r.approval_id, jsonb_build_object(
    'request_id', p_request, 'next_version', next_version, 'witnesses', to_jsonb(witnesses),
    'valid_until', wallet_rfc3339(r.valid_until)));
  SELECT encode(l.row_hash, 'hex') INTO audit_head FROM wallet_operations_log l WHERE l.seq = wallet_export_request.seq;
END
$$;

CREATE FUNCTION wallet_add_witness(p_name text, p_public_key text, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  fp text;
BEGIN
  INSERT INTO ceremony_witnesses (name, public_key) VALUES (p_name, p_public_key);
  fp := 'SHA256:' || rtrim(encode(sha256(decode(split_part(p_public_key, ' ', 2), 'base64')), 'base64'), '=');
  RETURN wallet_log('witness_addition', NULL, 'completed', p_note, NULL, jsonb_build_object(
    'witness', p_name, 'public_key', p_public_key, 'fingerprint', fp));
END
$$;

-- The ceremony machine's ledger of how each ceremony ended.
CREATE FUNCTION wallet_record_ceremony_run(p_ceremony_id text, p_request_id text, p_approval_id text,
  p_version integer, p_outcome text, p_step text, p_reason text, p_transcript_path text,
  p_transcript_sha256 text, p_at timestamptz, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r ceremony_runs;
BEGIN
  INSERT INTO ceremony_runs (ceremony_id, request_id, approval_id, wallet_version, outcome, step, reason,
                             transcript_path, transcript_sha256, at)
  VALUES (p_ceremony_id, p_request_id, nullif(p_approval_id, ''), nullif(p_version, 0), p_outcome,
          nullif(p_step, ''), nullif(p_reason, ''), nullif(p_transcript_path, ''), nullif(p_transcript_sha256, ''),
          coalesce(p_at, now()))
  RETURNING * INTO r;
  -- The wallet is not in the ceremony machine's database: its version goes
  -- into the details, not the log's wallet column.
  RETURN wallet_log('key_ceremony', NULL, r.outcome, p_note, r.approval_id, jsonb_build_object(
    'ceremony_id', r.ceremony_id, 'request_id', r.request_id, 'outcome', r.outcome, 'at', wallet_rfc3339(r.at),
    'step', r.step, 'reason', r.reason, 'transcript_path', r.transcript_path,
    'transcript_sha256', r.transcript_sha256, 'wallet_version', r.wallet_version));
END
$$;

-- Records a backup proof and marks the ceremony's backup proven (with
-- 009's guard). The signature's shape is checked here; the console verifies
-- it under the ceremony's key before calling and again wherever it relies on
-- it, since this function cannot.
CREATE FUNCTION wallet_record_backup_proof_row(c key_ceremonies, p_token text, p_serial text, p_model text,
  p_label text, p_fingerprint text, p_challenge bytea, p_signature bytea) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF coalesce(btrim(p_serial), '') = '' THEN
    RAISE EXCEPTION 'the backup token''s serial is missing: a proof names the token it came from (label, serial, model)'
      USING ERRCODE = 'WLCUS';
  END IF;
  IF c.ceremony_token_serial IS NOT NULL AND btrim(p_serial) = btrim(c.ceremony_token_serial) THEN
    RAISE EXCEPTION 'the backup token % (serial %) is the same token that made the key in key ceremony % (serial %): a backup must be on another token, not the ceremony token or a copy of its files',
                    p_token, p_serial, c.ceremony_id, c.ceremony_token_serial
      USING ERRCODE = 'WLCUS', HINT = 'prove the backup with the backup token: console ceremony prove-backup vN --backup-token LABEL';
  END IF;
  IF p_signature IS NULL OR length(p_signature) <> 64 OR p_signature = decode(repeat('00', 64), 'hex') THEN
    RAISE EXCEPTION 'the proof''s signature is not an Ed25519 signature (64 bytes, not all zero)' USING ERRCODE = 'WLCUS';
  END IF;
  INSERT INTO key_ceremony_backup_proofs (ceremony_id, wallet_version, backup_token, key_label, public_key_fingerprint,
                                          challenge, signature, backup_token_serial, backup_token_model)
  VALUES (c.ceremony_id, c.wallet_version, p_token, p_label, lower(btrim(p_fingerprint)), p_challenge, p_signature,
          btrim(p_serial), nullif(btrim(coalesce(p_model, '')), ''));
  UPDATE key_ceremonies SET backup_proven = true WHERE ceremony_id = c.ceremony_id;
END
$$;

CREATE FUNCTION wallet_record_backup_proof(p_wallet integer, p_token text, p_serial text, p_model text,
  p_label text, p_fingerprint text, p_challenge bytea, p_signature bytea, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  c key_ceremonies;
BEGIN
  -- The ceremony's row lock orders two proofs of one backup.
  SELECT * INTO c FROM key_ceremonies k WHERE k.wallet_version = p_wallet FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'wallet v% has no imported key ceremony: there is no ceremony backup to prove', p_wallet
      USING ERRCODE = 'WLCUS';
  END IF;
  PERFORM wallet_record_backup_proof_row(c, p_token, p_serial, p_model, p_label, p_fingerprint, p_challenge, p_signature);
  RETURN wallet_log('backup_proof', p_wallet, 'completed', p_note, NULL, jsonb_build_object(
    'ceremony_id', c.ceremony_id, 'backup_token', p_token, 'backup_token_serial', btrim(p_serial),
    'backup_token_model', nullif(btrim(coalesce(p_model, '')), ''), 'key_label', p_label,
    'public_key_fingerprint', lower(btrim(p_fingerprint)),
    'challenge', encode(p_challenge, 'hex'), 'signature', encode(p_signature, 'hex')));
END
$$;

-- A verified ceremony transcript becomes a wallet (created), its ceremony
-- record and its request used: the only way a console role makes a wallet.
-- The console checked the transcript's signatures and its ties to the
-- export first (store/ceremony_import.go says why a refusal happened in more
-- words); what matters is checked again here. Returns whether it created
-- the wallet (false: this very transcript was imported before).
CREATE FUNCTION wallet_import_ceremony(p jsonb, p_note text, OUT created boolean, OUT seqs bigint[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  req     wallet_creation_requests;
  v       integer := (p->>'version')::integer;
  label   text := p->>'key_label';
  pem     text := p->>'public_key';
  fp      text := lower(btrim(p->>'fingerprint'));
  sha     text := lower(btrim(p->>'transcript_sha256'));
  raw     bytea;
  c       key_ceremonies;
  proof   jsonb := p->'backup_proof';
  s1      bigint;
  s2      bigint;
  s3      bigint;
BEGIN
  seqs := '{}';
  SELECT * INTO req FROM wallet_creation_requests q WHERE q.request_id = p->>'request_id' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'request % is not in this database', p->>'request_id' USING ERRCODE = 'WLCUS';
  END IF;
  IF EXISTS (SELECT 1 FROM key_ceremonies k WHERE k.transcript_sha256 = sha) THEN
    created := false;
    RETURN;
  END IF;
  IF req.status <> 'approved' OR req.approval_id IS DISTINCT FROM p->>'approval_id' OR req.valid_until < now() THEN
    RAISE EXCEPTION 'request % is % (approval %): a ceremony is imported only for an approved request within its approval''s 7 days, under that approval',
                    req.request_id, req.status, coalesce(req.approval_id, 'none')
      USING ERRCODE = 'WLCUS';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM wallet_operations_log l
                  WHERE l.operation_type = 'creation_request_export'
                    AND l.operation_details->>'request_id' = req.request_id
                    AND l.operation_details->>'next_version' = v::text) THEN
    RAISE EXCEPTION 'request % was never exported from this database for v%', req.request_id, v USING ERRCODE = 'WLCUS';
  END IF;
  IF label IS DISTINCT FROM 'plings_master_key_v' || v THEN
    RAISE EXCEPTION 'the key of wallet v% is labelled plings_master_key_v%, not %', v, v, label USING ERRCODE = 'WLCUS';
  END IF;
  raw := wallet_ed25519_raw(pem);
  IF raw IS NULL OR encode(sha256(raw), 'hex') IS DISTINCT FROM fp THEN
    RAISE EXCEPTION 'the master public key is not an Ed25519 key whose fingerprint is %', fp USING ERRCODE = 'WLCUS';
  END IF;
  IF coalesce((p->>'witness_count')::integer, 0) < 3 THEN
    RAISE EXCEPTION 'a ceremony needs 3 witnesses' USING ERRCODE = 'WLCUS';
  END IF;
  IF EXISTS (SELECT 1 FROM wallet_versions w WHERE w.version_id = v) THEN
    RAISE EXCEPTION 'wallet version v% is already taken', v USING ERRCODE = 'WLCUS';
  END IF;

  INSERT INTO wallet_versions (version_id, version_name, master_key_id, public_key_fingerprint, description,
                               environment, security_level, creation_request_id, approval_id)
  VALUES (v, 'v' || v, label, fp,
          format('created by key ceremony %s from request %s', p->>'ceremony_id', req.request_id),
          req.environment, req.security_level, req.request_id, req.approval_id);
  INSERT INTO key_ceremonies (ceremony_id, request_id, wallet_version, transcript_sha256, master_public_key,
                              public_key_fingerprint, witness_count, backup_proven, approval_id, key_label,
                              completed_at, ceremony_token_serial, ceremony_token_model)
  VALUES (p->>'ceremony_id', req.request_id, v, sha, pem, fp, (p->>'witness_count')::integer, false,
          req.approval_id, label, (p->>'completed_at')::timestamptz,
          nullif(btrim(coalesce(p->>'token_serial', '')), ''), nullif(btrim(coalesce(p->>'token_model', '')), ''))
  RETURNING * INTO c;
  UPDATE wallet_creation_requests SET status = 'used', wallet_version = v WHERE request_id = req.request_id;

  s1 := wallet_log('wallet_creation', v, 'completed', p_note, req.approval_id, jsonb_build_object(
    'hsm_key_id', label, 'environment', req.environment, 'security_level', req.security_level,
    'request_id', req.request_id, 'ceremony_id', c.ceremony_id, 'public_key_fingerprint', fp));
  -- A backup the ceremony proved comes with its proof, recorded like a
  -- later one; without it the backup is pending.
  IF proof IS NOT NULL AND jsonb_typeof(proof) = 'object' THEN
    PERFORM wallet_record_backup_proof_row(c, proof->>'token', proof->>'token_serial', proof->>'token_model',
      proof->>'label', proof->>'fingerprint', decode(proof->>'challenge', 'hex'), decode(proof->>'signature', 'hex'));
  END IF;
  s2 := wallet_log('key_ceremony_import', v, 'completed', p_note, req.approval_id, jsonb_build_object(
    'ceremony_id', c.ceremony_id, 'request_id', req.request_id, 'transcript_sha256', sha,
    'public_key_fingerprint', fp, 'witness_count', c.witness_count,
    'backup_proven', proof IS NOT NULL AND jsonb_typeof(proof) = 'object', 'key_label', label,
    'completed_at', wallet_rfc3339(c.completed_at), 'ceremony_token_serial', c.ceremony_token_serial));
  created := true;
  seqs := ARRAY[s1, s2];
END
$$;

-- A status change with its preconditions (DESIGN.md, wallet status), its
-- reason and its audit row. Each step forward has its own function and is
-- refused here with where to go: validation (wallet_record_validation, 014),
-- the rollout (wallet_rollout_start, 015), the activation from deployed
-- (wallet_activate, 016). Leaving service, compromise and reactivation stay
-- here; a reason of white space alone is no reason.
CREATE FUNCTION wallet_transition(p_version integer, p_to text, p_reason text, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  w      wallet_versions;
  c      key_ceremonies;
  reason text := CASE WHEN wallet_blank(p_reason) THEN NULL ELSE btrim(p_reason) END;
  live   bigint;
  typ    text;
BEGIN
  SELECT * INTO w FROM wallet_versions v WHERE v.version_id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no wallet v%', p_version USING ERRCODE = 'WLTRN';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM wallet_status_transitions t WHERE t.from_status = w.status AND t.to_status = p_to) THEN
    SELECT string_agg(t.to_status, ', ' ORDER BY t.to_status) INTO typ FROM wallet_status_transitions t WHERE t.from_status = w.status;
    RAISE EXCEPTION 'illegal status transition for %: % → %', w.version_name, w.status, p_to
      USING ERRCODE = 'WLTRN',
            DETAIL = CASE WHEN typ IS NULL THEN format('%s is final', w.status)
                          ELSE format('from %s the allowed next states are: %s', w.status, typ) END;
  END IF;
  IF p_to IN ('inactive', 'deprecated', 'retired', 'compromised') AND reason IS NULL THEN
    RAISE EXCEPTION 'making % % needs a reason: say why, for the audit log', w.version_name, p_to USING ERRCODE = 'WLTRN';
  END IF;
  CASE
  WHEN p_to = 'validated' THEN
    RAISE EXCEPTION '% is validated only by its validation suite: use console validate %', w.version_name, w.version_name
      USING ERRCODE = 'WLTRN';
  WHEN p_to = 'deployed' THEN
    RAISE EXCEPTION '% is deployed only by starting its rollout: use console deploy start %', w.version_name, w.version_name
      USING ERRCODE = 'WLTRN';
  WHEN p_to = 'active' AND w.status = 'deployed' THEN
    RAISE EXCEPTION '% is activated only with its checks: use console activate %', w.version_name, w.version_name
      USING ERRCODE = 'WLTRN';
  WHEN p_to = 'active' THEN
    SELECT * INTO c FROM key_ceremonies k WHERE k.wallet_version = p_version;
    IF NOT FOUND THEN
      RAISE EXCEPTION '% cannot be activated: it has no imported key ceremony, so nothing proves how its key was made', w.version_name
        USING ERRCODE = 'WLTRN';
    END IF;
    IF NOT c.backup_proven THEN
      RAISE EXCEPTION '% cannot be activated: the backup of its master key is not proven', w.version_name
        USING ERRCODE = 'WLTRN', HINT = 'console ceremony prove-backup ' || w.version_name || ' --backup-token LABEL';
    END IF;
  WHEN p_to IN ('inactive', 'deprecated') THEN
    IF w.is_default THEN
      RAISE EXCEPTION '% is the default wallet: move the default to another active wallet first', w.version_name
        USING ERRCODE = 'WLTRN';
    END IF;
  WHEN p_to = 'retired' THEN
    IF w.status = 'deprecated' THEN
      SELECT coalesce(sum(s.paths), 0) INTO live FROM wallet_path_stats s
       WHERE s.wallet_version = p_version AND s.status IN ('active', 'migrating');
      IF live > 0 THEN
        RAISE EXCEPTION '% cannot be retired: % paths in it are still live; migrate them first', w.version_name, live
          USING ERRCODE = 'WLTRN';
      END IF;
    END IF;
  ELSE
    NULL;
  END CASE;

  UPDATE wallet_versions SET status = p_to,
         deprecation_reason = CASE WHEN p_to = 'deprecated' THEN reason ELSE deprecation_reason END
   WHERE version_id = p_version;
  typ := CASE p_to WHEN 'active' THEN 'wallet_reactivation' WHEN 'inactive' THEN 'wallet_deactivation'
                   WHEN 'deprecated' THEN 'wallet_deprecation' WHEN 'retired' THEN 'wallet_retirement'
                   WHEN 'compromised' THEN 'wallet_compromise' ELSE 'wallet_status_change' END;
  RETURN wallet_log(typ, p_version, 'completed', p_note, NULL, jsonb_build_object(
    'from', w.status, 'to', p_to, 'reason', reason));
END
$$;

-- Moving the default (point 8): one mover at a time under one lock, then
-- the rows in version order, so that concurrent moves queue instead of
-- deadlocking; a move that lost its reason (the wallet is already the
-- default, or no longer active) says so.
CREATE FUNCTION wallet_move_default(p_version integer, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  w    wallet_versions;
  prev integer;
BEGIN
  PERFORM pg_advisory_xact_lock(20251110, 0);
  PERFORM 1 FROM wallet_versions v WHERE v.version_id = p_version OR v.is_default ORDER BY v.version_id FOR UPDATE;
  SELECT * INTO w FROM wallet_versions v WHERE v.version_id = p_version;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no wallet v%', p_version USING ERRCODE = 'WLTRN';
  END IF;
  IF w.is_default THEN
    RAISE EXCEPTION '% is already the default wallet; nothing changed', w.version_name USING ERRCODE = 'WLTRN';
  END IF;
  IF w.status <> 'active' THEN
    RAISE EXCEPTION '% is %, and only an active wallet can be the default', w.version_name, w.status USING ERRCODE = 'WLTRN';
  END IF;
  SELECT v.version_id INTO prev FROM wallet_versions v WHERE v.is_default;
  UPDATE wallet_versions SET is_default = (version_id = p_version) WHERE is_default OR version_id = p_version;
  RETURN wallet_log('default_wallet_change', p_version, 'completed', p_note, NULL, jsonb_build_object(
    'from', CASE WHEN prev IS NULL THEN NULL ELSE 'v' || prev END, 'to', w.version_name));
END
$$;

-- ---------------------------------------------------------------------------
-- Who may call what. Internal helpers are callable by nobody but the owner.

REVOKE EXECUTE ON FUNCTION wallet_owner_session(), wallet_note(text), wallet_blank(text),
  wallet_log(text, integer, text, text, text, jsonb), wallet_ed25519_raw(text), wallet_rfc3339(timestamptz),
  wallet_record_backup_proof_row(key_ceremonies, text, text, text, text, text, bytea, bytea),
  wallet_allocate_path(integer, text, text, bigint, bigint, bigint, text, uuid, uuid, text),
  wallet_file_request(text, text, text, text, text, text, text, text, text, text, text, text, text, text, text),
  wallet_decide_request(text, text, text, text, text),
  wallet_export_request(text, text),
  wallet_add_witness(text, text, text),
  wallet_record_ceremony_run(text, text, text, integer, text, text, text, text, text, timestamptz, text),
  wallet_record_backup_proof(integer, text, text, text, text, text, bytea, bytea, text),
  wallet_import_ceremony(jsonb, text),
  wallet_transition(integer, text, text, text),
  wallet_move_default(integer, text)
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
  wallet_allocate_path(integer, text, text, bigint, bigint, bigint, text, uuid, uuid, text),
  wallet_file_request(text, text, text, text, text, text, text, text, text, text, text, text, text, text, text),
  wallet_export_request(text, text),
  wallet_add_witness(text, text, text),
  wallet_record_ceremony_run(text, text, text, integer, text, text, text, text, text, timestamptz, text),
  wallet_record_backup_proof(integer, text, text, text, text, text, bytea, bytea, text),
  wallet_import_ceremony(jsonb, text),
  wallet_transition(integer, text, text, text),
  wallet_move_default(integer, text)
TO wallet_operator;
GRANT EXECUTE ON FUNCTION wallet_decide_request(text, text, text, text, text) TO wallet_approver;
