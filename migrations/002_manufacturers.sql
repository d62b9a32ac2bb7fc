-- Manufacturers within wallets, their path schemas and lineage across wallets.
--
-- Names reconciled between the seeds:
--   seed 001 manufacturer_registry.transferred_from_wallet  -> migrated_from_wallet (seed 000 and 001's runbook)
--   seed 001 manufacturer_registry.transfer_completed_at    -> migration_completed_at
--   seed 001 manufacturer_lineage.assignment_reason         -> migration_reason (seed 000)
--   seed 001 manufacturer_lineage.assignment_date           -> migration_date
--   seed 001 manufacturer_lineage.status                    -> migration_status
--   seed 001 manufacturer_lineage.completion_percentage     -> migration_completion_percentage
-- Registry status 'transferring' (seed 001) is 'migrating' here (seed 000).

CREATE TABLE manufacturer_registry (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  wallet_version         integer NOT NULL REFERENCES wallet_versions(version_id),
  manufacturer_index     integer NOT NULL CHECK (manufacturer_index >= 1),
  manufacturer_name      varchar(100) NOT NULL CHECK (manufacturer_name <> ''),
  organization_id        uuid REFERENCES organizations(id),
  public_key             text,          -- Ed25519 public key if delegated
  key_delegation_level   varchar(20) NOT NULL DEFAULT 'none'
                           CHECK (key_delegation_level IN ('none', 'verification', 'full')),
  status                 varchar(20) NOT NULL DEFAULT 'active'
                           CHECK (status IN ('active', 'suspended', 'migrating', 'migrated', 'retired')),
  registered_by          uuid NOT NULL REFERENCES users(id),
  registered_at          timestamptz NOT NULL DEFAULT now(),
  migrated_from_wallet   integer REFERENCES wallet_versions(version_id),
  migration_completed_at timestamptz,

  CONSTRAINT unique_manufacturer_per_wallet UNIQUE (wallet_version, manufacturer_index),
  CONSTRAINT unique_name_per_wallet UNIQUE (wallet_version, manufacturer_name),
  -- Plings is index 1, and index 1 is Plings, in every wallet (however the
  -- name is spelt: 'PLINGS' or 'Plings ' is Plings too).
  CONSTRAINT check_plings_index_one
    CHECK ((lower(btrim(manufacturer_name)) = 'plings') = (manufacturer_index = 1))
);

CREATE INDEX idx_manufacturer_organization ON manufacturer_registry (organization_id);
CREATE INDEX idx_manufacturer_registry_name ON manufacturer_registry (manufacturer_name, wallet_version);

CREATE TABLE manufacturer_path_schemas (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  wallet_version     integer NOT NULL REFERENCES wallet_versions(version_id),
  manufacturer_index integer NOT NULL,
  path_level         integer NOT NULL,
  level_name         varchar(100) NOT NULL,
  level_description  text,
  gs1_mapping        varchar(100),
  is_required        boolean NOT NULL DEFAULT true,
  sort_order         integer,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),

  CONSTRAINT unique_manufacturer_level UNIQUE (wallet_version, manufacturer_index, path_level),
  CONSTRAINT valid_path_level CHECK (path_level >= 3), -- levels 1-2 are wallet and manufacturer
  FOREIGN KEY (wallet_version, manufacturer_index)
    REFERENCES manufacturer_registry (wallet_version, manufacturer_index)
);

CREATE TABLE path_level_values (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  wallet_version     integer NOT NULL REFERENCES wallet_versions(version_id),
  manufacturer_index integer NOT NULL,
  path_level         integer NOT NULL,
  level_value        integer NOT NULL CHECK (level_value >= 1),
  value_name         varchar(100) NOT NULL,
  value_description  text,
  gs1_code           varchar(50),
  sku_reference      varchar(100),
  is_active          boolean NOT NULL DEFAULT true,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),

  CONSTRAINT unique_manufacturer_level_value
    UNIQUE (wallet_version, manufacturer_index, path_level, level_value),
  CONSTRAINT valid_path_level_ref CHECK (path_level >= 3),
  FOREIGN KEY (wallet_version, manufacturer_index, path_level)
    REFERENCES manufacturer_path_schemas (wallet_version, manufacturer_index, path_level)
);

CREATE INDEX idx_values_name ON path_level_values (value_name);

CREATE TABLE manufacturer_lineage (
  id                              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  canonical_name                  varchar(100) NOT NULL,
  current_wallet_version          integer NOT NULL,
  current_manufacturer_index      integer NOT NULL,
  predecessor_wallet              integer REFERENCES wallet_versions(version_id),
  predecessor_index               integer,
  migration_reason                varchar(50),  -- initial_setup, security_upgrade, key_compromise, ...
  migration_date                  timestamptz NOT NULL DEFAULT now(),
  migration_status                varchar(20) NOT NULL DEFAULT 'active'
                                    CHECK (migration_status IN ('active', 'in_progress', 'paused',
                                                                'completed', 'rolled_back')),
  migration_completion_percentage integer NOT NULL DEFAULT 0
                                    CHECK (migration_completion_percentage BETWEEN 0 AND 100),

  CONSTRAINT unique_canonical_manufacturer UNIQUE (canonical_name),
  FOREIGN KEY (current_wallet_version, current_manufacturer_index)
    REFERENCES manufacturer_registry (wallet_version, manufacturer_index)
);

CREATE INDEX idx_lineage_current_wallet ON manufacturer_lineage (current_wallet_version);
