-- The time span of the observations an outbox entry and a delivery batch name. `observation` is partitioned by time
-- (006): a read by ids alone probes every partition (~20x slower at 180 daily partitions); with the span, only
-- the partitions the batch touched. NULL for entries written before this migration: those reads stay unbounded.
ALTER TABLE outbox ADD COLUMN min_time timestamptz, ADD COLUMN max_time timestamptz;
ALTER TABLE delivery_batch ADD COLUMN min_time timestamptz, ADD COLUMN max_time timestamptz;
