-- Manufacturer names that cannot pass for another, and creation request ids
-- that only the database issues (issue 10, points 6 and 7).
--
-- model/names.go mirrors the name rule in Go (the same character classes and
-- look-alike table) so that a front end can say what is wrong first;
-- store/names_ids_psql_test.go checks that the two agree.

-- ---------------------------------------------------------------------------
-- Manufacturer names
--
-- A name may not contain a control or format character (Unicode Cc, Cf) nor a
-- line or paragraph separator (Zl, Zp) anywhere: a tab, a newline, U+200B
-- ZERO WIDTH SPACE, U+202E RIGHT-TO-LEFT OVERRIDE, U+FEFF ... (Unicode 15,
-- as Go's unicode package has it). NUL cannot be in a text value at all.
-- Nor may it begin or end with white space (Unicode White_Space: ' ', U+00A0,
-- U+3000 ...).
--
-- Names are compared by their fold: NFKC, then lower() (the database's
-- LC_CTYPE; in a C-locale database, such as the embedded cluster, that is
-- ASCII only), then white space trimmed. Two names of one wallet may not have
-- the same fold ('Acme' and 'ＡＣＭＥ').
--
-- The Plings rule compares the skeleton: the fold with the look-alikes of the
-- letters of "plings" mapped to them (Cyrillic р/Р, Greek ρ/Ρ as p; i, 1, |,
-- dotless ı, Cyrillic і/І/ӏ/Ӏ, Greek ι/Ι as l, ...). 'i' and 'l' are one
-- letter in the skeleton, since a capital I passes for an l: the skeleton of
-- 'Plings' is 'pllngs', and so is that of 'PIings' and 'Pl1ngs'.

-- The fold: what two names are compared by.
CREATE FUNCTION manufacturer_name_fold(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT pg_catalog.btrim(pg_catalog.lower(pg_catalog.normalize(name, 'NFKC')),
    E'\u0009\u000A\u000B\u000C\u000D\u0020\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000')
$$;

-- The skeleton: the fold with look-alikes of the letters of "plings" mapped
-- to them. Keep in step with model.nameLookAlikes.
CREATE FUNCTION manufacturer_name_skeleton(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT pg_catalog.translate(public.manufacturer_name_fold(name),
    E'159i|\u0130\u0131\u01C0\u0261\u0399\u039D\u03A1\u03B9\u03C1\u03F1\u0405\u0406\u0420\u0440\u0455\u0456\u04C0\u04CF\u050C\u050D\u0548\u0551\u0578\u0581\u05C0\uA731\uA7AC',
    'lsglllllglnplppslppslllggngnglsg')
$$;

-- Whether a name is Plings, however spelt.
CREATE FUNCTION manufacturer_name_is_plings(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT public.manufacturer_name_skeleton(name) = 'pllngs'
$$;

-- The first control, format or separator character of a name, or NULL.
CREATE FUNCTION manufacturer_name_bad_char(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT substring(name FROM
    '[\u0001-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0001\U000E0020-\U000E007F]')
$$;

-- Whether a name begins or ends with white space.
CREATE FUNCTION manufacturer_name_untrimmed(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT name ~ '^[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028-\u2029\u202F\u205F\u3000]'
      OR name ~ '[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028-\u2029\u202F\u205F\u3000]$'
$$;

-- The rules themselves are CHECK constraints, which no trigger setting turns
-- off. They are tested in name order, so check_plings_index_one (replaced
-- here by its skeleton form) still answers first for 'PLINGS '.
ALTER TABLE manufacturer_registry DROP CONSTRAINT check_plings_index_one;
ALTER TABLE manufacturer_registry
  ADD CONSTRAINT check_plings_index_one
    CHECK (manufacturer_name_is_plings(manufacturer_name) = (manufacturer_index = 1)),
  ADD CONSTRAINT manufacturer_name_printable
    CHECK (manufacturer_name_bad_char(manufacturer_name) IS NULL),
  ADD CONSTRAINT manufacturer_name_trimmed
    CHECK (NOT manufacturer_name_untrimmed(manufacturer_name));

CREATE UNIQUE INDEX manufacturer_name_fold_per_wallet
  ON manufacturer_registry (wallet_version, manufacturer_name_fold(manufacturer_name));

-- The same refusal in words, naming the character, before the constraint's
-- bare name would.
CREATE FUNCTION manufacturer_name_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  bad text := manufacturer_name_bad_char(NEW.manufacturer_name);
BEGIN
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'a manufacturer name may not contain U+% (a control or format character), found at character % of the name',
      upper(lpad(to_hex(ascii(bad)), 4, '0')), strpos(NEW.manufacturer_name, bad)
      USING ERRCODE = 'check_violation', CONSTRAINT = 'manufacturer_name_printable',
            HINT = 'type the name again without invisible characters';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER manufacturer_name_guard
  BEFORE INSERT OR UPDATE OF manufacturer_name ON manufacturer_registry
  FOR EACH ROW EXECUTE FUNCTION manufacturer_name_guard();

-- ---------------------------------------------------------------------------
-- Creation request ids
--
-- Until now an INSERT that named its own request_id kept it, so a console
-- login could use up the day ('WCR-<today>-999') or backdate a request
-- ('WCR-2020-01-01-001'). Now only the database issues ids, always of the
-- current UTC day. An id may be named only by the table's owner, a
-- superuser, or a role that cannot log in: such a role can be the session's
-- only through a superuser's SET SESSION AUTHORIZATION (the demo loader
-- files its history that way). A console login's SET ROLE changes
-- current_user, never session_user, so it cannot pass for one.
-- SECURITY DEFINER, as 011 made it: it takes the id's advisory lock, which
-- console roles may not take themselves (session_user, not current_user,
-- says who is filing, so running as the owner changes nothing there).
CREATE OR REPLACE FUNCTION wallet_creation_request_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  prefix text;
  last   integer;
  loader boolean;
BEGIN
  IF NEW.request_id IS NOT NULL THEN
    SELECT r.rolsuper OR NOT r.rolcanlogin
           OR r.oid = (SELECT c.relowner FROM pg_class c WHERE c.oid = 'wallet_creation_requests'::regclass)
      INTO loader
      FROM pg_roles r WHERE r.rolname = session_user;
    IF NOT coalesce(loader, false) THEN
      RAISE EXCEPTION 'creation request ids are issued by the database: % may not name one (%)',
        session_user, NEW.request_id
        USING ERRCODE = 'WL2PR',
              HINT = 'leave request_id out; the request gets the next WCR-' ||
                     to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '-NNN';
    END IF;
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
