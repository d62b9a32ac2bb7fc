-- What the flows of DESIGN.md record: migrations and their queue, health
-- history, incidents and security alerts, deployments and the traffic share,
-- validation results, ceremonies and retirements.

-- Seed 000's queue; its "path" is base_path here (see 003).
CREATE TABLE path_migration_queue (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  target_wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  manufacturer_name     varchar(100) NOT NULL,
  base_path             text COLLATE "C" NOT NULL,
  priority              varchar(10) NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
  migration_status      varchar(20) NOT NULL DEFAULT 'queued'
                          CHECK (migration_status IN ('queued', 'in_progress', 'completed', 'failed',
                                                      'paused', 'rolled_back')),
  phase                 integer NOT NULL DEFAULT 1,
  queued_at             timestamptz NOT NULL DEFAULT now(),
  started_at            timestamptz,
  completed_at          timestamptz,
  error                 text,
  CHECK (source_wallet_version <> target_wallet_version)
);

CREATE INDEX idx_migration_queue_progress
  ON path_migration_queue (source_wallet_version, manufacturer_name, migration_status);

-- One row per manufacturer migration: the plan and its state (the Migrations screen).
CREATE TABLE manufacturer_migrations (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  manufacturer_name     varchar(100) NOT NULL,
  source_wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  target_wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  migration_reason      varchar(50) NOT NULL,
  priority              varchar(10) NOT NULL DEFAULT 'medium' CHECK (priority IN ('high', 'medium', 'low')),
  complexity            varchar(10) NOT NULL DEFAULT 'medium' CHECK (complexity IN ('low', 'medium', 'high')),
  phase                 integer NOT NULL DEFAULT 1,
  total_phases          integer NOT NULL DEFAULT 1,
  state                 varchar(20) NOT NULL DEFAULT 'planned'
                          CHECK (state IN ('planned', 'running', 'paused', 'completed', 'rolled_back', 'failed')),
  started_at            timestamptz,
  completed_at          timestamptz,
  CHECK (source_wallet_version <> target_wallet_version)
);

CREATE UNIQUE INDEX one_open_migration_per_manufacturer
  ON manufacturer_migrations (manufacturer_name, source_wallet_version)
  WHERE state IN ('planned', 'running', 'paused');

-- Seed 001's daily table, with the averages the health checks need.
CREATE TABLE wallet_health_metrics (
  wallet_version           integer NOT NULL REFERENCES wallet_versions(version_id),
  metric_date              date NOT NULL,
  allocations_count        integer NOT NULL DEFAULT 0,
  verifications_count      integer NOT NULL DEFAULT 0,
  error_count              integer NOT NULL DEFAULT 0,
  request_count            integer NOT NULL DEFAULT 0,
  average_response_time_ms integer,
  path_allocation_avg_ms   numeric(10, 2),
  signature_avg_ms         numeric(10, 2),
  hsm_response_avg_ms      numeric(10, 2),
  uptime_percentage        numeric(6, 3),
  PRIMARY KEY (wallet_version, metric_date)
);

-- Each run of the six checks, for trend lines.
CREATE TABLE wallet_health_checks (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  checked_at     timestamptz NOT NULL DEFAULT now(),
  check_name     varchar(40) NOT NULL
                   CHECK (check_name IN ('hsm_connectivity', 'signature_performance', 'path_allocation_rate',
                                         'database_response_time', 'error_rate', 'security_alerts')),
  state          varchar(10) NOT NULL CHECK (state IN ('healthy', 'warning', 'failed')),
  value          numeric,
  message        text
);

CREATE INDEX idx_health_checks_wallet ON wallet_health_checks (wallet_version, check_name, checked_at);

CREATE TABLE incidents (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  wallet_version integer REFERENCES wallet_versions(version_id),
  severity       varchar(10) NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  title          text NOT NULL,
  description    text,
  status         varchar(20) NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'investigating', 'contained', 'resolved', 'closed')),
  opened_by      text NOT NULL DEFAULT session_user,
  opened_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz
);

CREATE INDEX idx_incidents_open ON incidents (wallet_version) WHERE status IN ('open', 'investigating', 'contained');

CREATE TABLE security_alerts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  wallet_version integer REFERENCES wallet_versions(version_id),
  severity       varchar(10) NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  alert_type     varchar(60) NOT NULL,
  message        text NOT NULL,
  status         varchar(20) NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'acknowledged', 'resolved', 'false_positive')),
  raised_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz
);

CREATE INDEX idx_security_alerts_open ON security_alerts (wallet_version, severity) WHERE status IN ('open', 'acknowledged');

-- Blue-green deployments (seed 000, 4.1) and the share of traffic that the
-- identifier service reads for each wallet.
CREATE TABLE deployments (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  wallet_version     integer NOT NULL REFERENCES wallet_versions(version_id),
  previous_wallet    integer REFERENCES wallet_versions(version_id),
  step               integer NOT NULL DEFAULT 0,
  traffic_percentage numeric(5, 2) NOT NULL DEFAULT 0 CHECK (traffic_percentage BETWEEN 0 AND 100),
  state              varchar(20) NOT NULL DEFAULT 'running'
                       CHECK (state IN ('running', 'paused', 'held', 'rolled_back', 'completed', 'failed')),
  started_by         text NOT NULL DEFAULT session_user,
  started_at         timestamptz NOT NULL DEFAULT now(),
  step_started_at    timestamptz NOT NULL DEFAULT now(),
  completed_at       timestamptz
);

CREATE TABLE wallet_traffic_share (
  wallet_version     integer PRIMARY KEY REFERENCES wallet_versions(version_id),
  traffic_percentage numeric(5, 2) NOT NULL CHECK (traffic_percentage BETWEEN 0 AND 100),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE validation_results (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id         uuid NOT NULL,
  wallet_version integer NOT NULL REFERENCES wallet_versions(version_id),
  test_name      varchar(40) NOT NULL,
  severity       varchar(10) NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  passed         boolean NOT NULL,
  details        jsonb NOT NULL DEFAULT '{}',
  ran_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, test_name)
);

CREATE TABLE key_ceremonies (
  ceremony_id            text PRIMARY KEY,
  request_id             text NOT NULL REFERENCES wallet_creation_requests(request_id),
  wallet_version         integer NOT NULL REFERENCES wallet_versions(version_id),
  transcript_sha256      text NOT NULL UNIQUE,
  master_public_key      text NOT NULL,
  public_key_fingerprint text NOT NULL,
  witness_count          integer NOT NULL,
  backup_proven          boolean NOT NULL DEFAULT false,
  imported_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retirement_records (
  wallet_version   integer PRIMARY KEY REFERENCES wallet_versions(version_id),
  archive_location text NOT NULL,
  archive_sha256   text NOT NULL,
  key_disposition  varchar(20) NOT NULL CHECK (key_disposition IN ('destroyed', 'archived')),
  certificate      text NOT NULL,
  retired_by       text NOT NULL DEFAULT session_user,
  retired_at       timestamptz NOT NULL DEFAULT now()
);
