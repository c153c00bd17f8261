// takeOutbox: entries this process holds (summed in memory) count against the larger held cap only; those read back
// from the store against `cap`. readBackAll: when held entries cannot be summed after all, the take is cut to `cap`.
import t from 'tap';
import { openPglite } from '../pglite.ts';
import { migrate } from '../migrate.ts';
import { readBackAll, takeOutbox } from '../outbox-follow.ts';

const db = await openPglite();
t.teardown(() => db.close());
await migrate(db);
// Entries 1..8 of 10 observations each, naming ids 10k+1 … 10k+10.
for (let k = 0; k < 8; k++) {
  await db.query(`INSERT INTO outbox (topic, ref_ids, count, min_time, max_time) VALUES ('observation', $1::bigint[], 10, now(), now())`,
    [Array.from({ length: 10 }, (_, i) => k * 10 + i + 1)]);
}
const entries = (await db.query<{ id: string }>('SELECT id::text AS id FROM outbox ORDER BY id')).rows.map((r) => r.id);
const last = entries[entries.length - 1]!;
const heldSet = new Set([entries[0], entries[1], entries[2], entries[4], entries[5]]); // 4th (index 3) and 7th, 8th: another process's
const isHeld = (e: string) => heldSet.has(e);

t.test('one cap for all when none is held, or without a held cap', async (t) => {
  const a = await takeOutbox(db, '0', last, 25);
  t.equal(a.entries, 2, 'whole entries up to the cap (20 of 25)');
  t.equal(a.next, entries[1]);
  t.equal(a.ids.length, 20);
  const b = await takeOutbox(db, '0', last, 25, isHeld);
  t.equal(b.entries, 2, 'held entries too, with no held cap of its own');
  t.same(b.held.map((h) => h.entry), [entries[0], entries[1]]);
  t.equal(b.ids.length, 0);
});

t.test('held entries count against the held cap; read-back ones against cap', async (t) => {
  const a = await takeOutbox(db, '0', last, 15, isHeld, 1000);
  // held, held, held, read back (10), held, held, then a second read-back entry would make 20 > 15.
  t.equal(a.entries, 6, 'up to the second entry to read back');
  t.equal(a.next, entries[5]);
  t.same(a.held.map((h) => h.entry), [entries[0], entries[1], entries[2], entries[4], entries[5]]);
  t.equal(a.ids.length, 10, "only the other process's entry read back");
  t.notOk(a.all);
  const b = await takeOutbox(db, '0', last, 15, isHeld, 35);
  t.equal(b.entries, 3, 'the held cap bounds the whole take (30 of 35)');
  const c = await takeOutbox(db, '0', last, 1000, isHeld, 1000);
  t.equal(c.entries, 8);
  t.ok(c.all, 'everything up to safeMax');
  t.equal(c.next, last);

  t.test('readBackAll: held ones read back after all, cut to cap', async (t) => {
    const r = readBackAll(a, 25);
    t.equal(r.entries, 2, 'whole entries up to 25 observations');
    t.equal(r.next, entries[1], 'the cursor stops after the last one kept');
    t.equal(r.ids.length, 20);
    t.same(r.held, [], 'nothing summed from memory');
    t.notOk(r.all);
    const whole = readBackAll(c, 1000);
    t.equal(whole.entries, 8, 'within cap: the same take');
    t.equal(whole.ids.length, 80, 'every id read back');
    t.ok(whole.all);
    t.equal(whole.next, last);
  });
});
