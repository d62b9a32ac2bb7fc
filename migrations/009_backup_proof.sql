-- The backup proof (DESIGN.md, "The witnessed key ceremony", point 5): the
-- backup token signs a fresh challenge and the signature verifies under the
-- master public key; until that proof exists the wallet cannot be activated.
--
-- A ceremony whose module could not wrap the key (SoftHSM2 and Ed25519) is
-- imported with backup_proven = false: the backup was made out of band. Its
-- proof arrives later (`console ceremony prove-backup vN --backup-token
-- LABEL`) and is kept here, beside the ceremony; it is what lets
-- key_ceremonies.backup_proven go from false to true.
--
--   key_ceremony_backup_proofs  one proof per ceremony: which token, which key
--                               label, the challenge and the signature (the
--                               console verified it under the ceremony's master
--                               public key before recording it; anyone can again)
--
-- Wallets without a key_ceremonies row (made before ceremonies were imported,
-- as the demo's are) are not affected.

CREATE TABLE key_ceremony_backup_proofs (
  ceremony_id            text PRIMARY KEY REFERENCES key_ceremonies(ceremony_id),
  wallet_version         integer NOT NULL REFERENCES wallet_versions(version_id),
  backup_token           text NOT NULL CHECK (backup_token <> ''),
  key_label              text NOT NULL CHECK (key_label <> ''),
  public_key_fingerprint text NOT NULL CHECK (public_key_fingerprint ~ '^[0-9a-f]{64}$'),
  challenge              bytea NOT NULL CHECK (length(challenge) >= 32),
  signature              bytea NOT NULL CHECK (length(signature) = 64),   -- Ed25519
  proven_by              text NOT NULL DEFAULT session_user,   -- database login
  proven_at              timestamptz NOT NULL DEFAULT now()
);

-- A proof is for its ceremony's wallet and key, and for a backup not yet
-- proven; once written it stands (append-only, like the ceremony's records).
CREATE FUNCTION key_ceremony_backup_proofs_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  c key_ceremonies%ROWTYPE;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
      USING ERRCODE = 'WLAUD', HINT = 'a backup proof stands as recorded';
  END IF;
  SELECT * INTO c FROM key_ceremonies WHERE ceremony_id = NEW.ceremony_id;
  IF NOT FOUND THEN
    RETURN NEW;   -- the foreign key refuses it
  END IF;
  IF c.wallet_version <> NEW.wallet_version THEN
    RAISE EXCEPTION 'key ceremony % made wallet v%, not v%: the proof is for another wallet',
                    c.ceremony_id, c.wallet_version, NEW.wallet_version
      USING ERRCODE = 'WLAUD';
  END IF;
  IF c.public_key_fingerprint <> NEW.public_key_fingerprint THEN
    RAISE EXCEPTION 'the proof is for key %, but key ceremony % (wallet v%) made key %: the backup token does not hold this wallet''s master key',
                    NEW.public_key_fingerprint, c.ceremony_id, c.wallet_version, c.public_key_fingerprint
      USING ERRCODE = 'WLAUD';
  END IF;
  IF c.backup_proven THEN
    RAISE EXCEPTION 'the backup of wallet v%''s master key (key ceremony %) is already proven', c.wallet_version, c.ceremony_id
      USING ERRCODE = 'WLAUD';
  END IF;
  NEW.proven_by := session_user;
  NEW.proven_at := now();
  RETURN NEW;
END
$$;

CREATE TRIGGER key_ceremony_backup_proofs_guard
  BEFORE INSERT OR UPDATE OR DELETE ON key_ceremony_backup_proofs
  FOR EACH ROW EXECUTE FUNCTION key_ceremony_backup_proofs_guard();
CREATE TRIGGER key_ceremony_backup_proofs_no_truncate
  BEFORE TRUNCATE ON key_ceremony_backup_proofs
  FOR EACH STATEMENT EXECUTE FUNCTION key_ceremony_backup_proofs_guard();

-- backup_proven goes false → true (008's guard) only with a proof recorded
-- (in the same transaction, before the update). A ceremony imported with
-- backup_proven = true was proven by its transcript; that is an INSERT.
-- Named to fire after 008's guard (triggers fire in name order).
CREATE FUNCTION key_ceremonies_proof_recorded() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM key_ceremony_backup_proofs p WHERE p.ceremony_id = NEW.ceremony_id) THEN
    RAISE EXCEPTION 'the backup of wallet v%''s master key (key ceremony %) cannot be marked proven without a recorded proof; prove the backup first: console ceremony prove-backup v% --backup-token LABEL',
                    NEW.wallet_version, NEW.ceremony_id, NEW.wallet_version
      USING ERRCODE = 'WLAUD';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER key_ceremonies_proof_recorded
  BEFORE UPDATE ON key_ceremonies
  FOR EACH ROW WHEN (NEW.backup_proven AND NOT OLD.backup_proven)
  EXECUTE FUNCTION key_ceremonies_proof_recorded();

-- The rule itself: a wallet whose ceremony's backup is not proven is not
-- activated (nor reactivated). Named to fire after 001's guard, so that an
-- illegal transition is reported as such first. No lock: backup_proven only
-- ever goes false → true, so a proof committed meanwhile can only turn a
-- refusal into a success on the next try, never the other way round.
CREATE FUNCTION wallet_versions_backup_proven() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  c key_ceremonies%ROWTYPE;
BEGIN
  SELECT * INTO c FROM key_ceremonies WHERE wallet_version = NEW.version_id;
  IF FOUND AND NOT c.backup_proven THEN
    RAISE EXCEPTION 'wallet % cannot be activated: the backup of its master key % (key ceremony %) is not proven; prove the backup first: console ceremony prove-backup % --backup-token LABEL',
                    NEW.version_name, coalesce(c.key_label, NEW.master_key_id), c.ceremony_id, NEW.version_name
      USING ERRCODE = 'WLWST',
            HINT = 'the backup token must sign a fresh challenge that verifies under the master public key (DESIGN.md, the witnessed key ceremony, point 5)';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_versions_proof_before_active
  BEFORE UPDATE ON wallet_versions
  FOR EACH ROW WHEN (NEW.status = 'active' AND OLD.status IS DISTINCT FROM 'active')
  EXECUTE FUNCTION wallet_versions_backup_proven();

-- Viewers read; operators record proofs (and set backup_proven, granted in
-- 007). Nobody changes or deletes a proof.
GRANT SELECT ON key_ceremony_backup_proofs TO wallet_viewer, wallet_operator, wallet_approver;
GRANT INSERT ON key_ceremony_backup_proofs TO wallet_operator;
REVOKE UPDATE, DELETE, TRUNCATE ON key_ceremony_backup_proofs FROM wallet_operator, wallet_approver, wallet_viewer;
