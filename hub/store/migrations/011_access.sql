-- Scoped keys and the pull audit (issue 15, docs/api.md#scoped-keys).

-- API keys made through the admin API (keys in the config file are not stored here). Only the key's sha256 is kept;
-- a revoked key stays, for the audit's sake, with revoked_at set.
CREATE TABLE api_key (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL,
  data_scope jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  revoked_at timestamptz,
  revoked_by text
);

-- Who pulled what: one row per data read, appended in batches, never updated; deleted by age (api.audit.retention_days).
CREATE TABLE pull_audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  key_id text NOT NULL,
  key_name text NOT NULL,
  method text NOT NULL,
  route text NOT NULL,
  filter jsonb NOT NULL,
  status smallint NOT NULL,
  row_count integer NOT NULL,
  bytes bigint NOT NULL,
  duration_ms real NOT NULL
);
CREATE INDEX pull_audit_at ON pull_audit (at);
CREATE INDEX pull_audit_key ON pull_audit (key_id, id);
