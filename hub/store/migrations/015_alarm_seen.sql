-- Alarms (issue 14, docs/alarms.md#performance): the evaluator takes each observation entry of the outbox as soon as
-- it is visible, not only once the OutboxHorizon has passed it (a long transaction elsewhere, e.g. the rollup
-- roller's, would hold every alarm back). Its cursor stays the horizon-safe position; the entries above it it has
-- already evaluated are listed here, committed with their effects, so none is evaluated twice or missed.
ALTER TABLE rollup_cursor ADD COLUMN seen bigint[] NOT NULL DEFAULT '{}';
