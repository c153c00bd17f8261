-- File uploads (issue 18, docs/uploads.md). What an upload has committed lives in adapter_checkpoint (adapter
-- 'upload', key <id>/<batch number>: the batch's rows and counts), written in the same transaction as the batch: a
-- crashed upload resumes with the batches that have no checkpoint. This table holds the rest: the file, its status.
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
  batch_rows integer NOT NULL DEFAULT 2000,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX upload_created ON upload (created_at DESC, id DESC);
CREATE INDEX upload_pending ON upload (status) WHERE status IN ('receiving', 'queued', 'processing');
