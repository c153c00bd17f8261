-- observation_latest with nine tenths of each page left empty (was half). Every batch updates the latest row of each
-- point it carries, and batches in flight together update the same rows: a version replaced by one batch cannot be
-- pruned while another batch's (or the roller's) snapshot is older than that commit. At fillfactor 50 those
-- versions filled the page within a batch or two; the next update then went to another page, with a new index entry
-- (no HOT), and the table and its key index grew without bound between vacuums: 300 pages for 1,000 rows after 60
-- batches of 1,000, and the upsert cost grew with them. At 10 a page holds about 12 rows and room for some 120
-- versions, so updates stay HOT on their page. Measured (4 batches in flight, 1,000 points, PostgreSQL CPU per
-- 1,000 rows): the batch statement 20.3 ms at 50, 15.5 ms at 10, the plain insert 11.8 ms (docs/store.md).
-- A new table rather than ALTER … SET (fillfactor): that applies to new pages only.
CREATE TABLE observation_latest_sparse (LIKE observation_latest INCLUDING ALL) WITH (fillfactor = 10);
INSERT INTO observation_latest_sparse SELECT point_id, kind, time, id FROM observation_latest ORDER BY point_id, kind;
DROP TABLE observation_latest;
ALTER TABLE observation_latest_sparse RENAME TO observation_latest;
ALTER INDEX observation_latest_sparse_pkey RENAME TO observation_latest_pkey;
