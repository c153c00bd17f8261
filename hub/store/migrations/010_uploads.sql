-- File uploads (issue 18, docs/uploads.md). The counts and the row offset an upload has committed live in
-- adapter_checkpoint (adapter 'upload', key = the upload id), written in the same transaction as the rows: a
-- crashed upload resumes after exactly the rows it stored. This table holds what the counts do not: the file.
CREATE TABLE upload (
  id text PRIMARY KEY,
  name text NOT NULL,
  profile text NOT NULL,
  size bigint NOT NULL DEFAULT 0,
  sha256 text,
  format text,
  encoding text,
  encoding_by text,
  status text NOT NULL CHECK (status IN ('receiving', 'queued', 'processing', 'done', 'failed', 'cancelled')),
  error jsonb,
  key_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX upload_created ON upload (created_at DESC, id DESC);
CREATE INDEX upload_pending ON upload (status) WHERE status IN ('receiving', 'queued', 'processing');
