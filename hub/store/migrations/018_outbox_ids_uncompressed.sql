-- outbox.ref_ids stored out of line without compression. A batch's entry names every observation it added: 1,000
-- ids are an 8 KB array, over the 2 KB at which PostgreSQL compresses a value (pglz) before it moves it out of the
-- row. Every batch paid for that compression as it committed, and the roller, the alarm evaluator and delivery for
-- the decompression when they read an entry back. Cheap natively; in the embedded engine (WASM) it was about 3 % of
-- the batch statement (0.5–0.7 ms per 1,000 rows, docs/store.md). The price is room: 8 KB per 1,000 ids instead of
-- about 3.3 KB, while entries wait to be delivered and pruned.
-- SET STORAGE applies to values written from now on; entries already stored stay as they are (both read the same).
ALTER TABLE outbox ALTER COLUMN ref_ids SET STORAGE EXTERNAL;
