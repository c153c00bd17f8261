-- Delivery of stored observations to upstream targets (hub/delivery). The store is the source of truth for
-- both drivers (embedded and BullMQ): a target's cursor into the outbox and its batches live here.

-- One row per configured target: how far into the outbox its batches were built, whether an operator paused it,
-- and (embedded driver) which hub process holds the right to send for it until lease_until.
CREATE TABLE delivery_target (
  target text PRIMARY KEY,
  outbox_id bigint NOT NULL DEFAULT 0,
  paused boolean NOT NULL DEFAULT false,
  lease_owner text,
  lease_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A batch is built once (its observation ids and idempotency key never change) and then delivered in id order
-- per target: pending → done, or → dead (permanent error or attempts exhausted; replay sets it pending again).
CREATE TABLE delivery_batch (
  id bigserial PRIMARY KEY,
  target text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  observation_ids bigint[] NOT NULL,
  count integer NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  attempt integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  response jsonb,
  first_outbox_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX delivery_batch_open ON delivery_batch (target, id) WHERE state = 'pending';
CREATE INDEX delivery_batch_dead ON delivery_batch (target, id) WHERE state = 'dead';
