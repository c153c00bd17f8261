// LIFELINE_EMBEDDED_JIT (docs/store.md, "Engine compiler"): read at a process's first open of the embedded store.
import t from 'tap';
import { openPglite, ENGINE_JIT } from '../pglite.ts';

t.test('an unknown value is refused with CONFIG_INVALID naming the variable and its values, and the store is not opened', async (t) => {
  const before = process.env.LIFELINE_EMBEDDED_JIT;
  t.teardown(() => { if (before === undefined) delete process.env.LIFELINE_EMBEDDED_JIT; else process.env.LIFELINE_EMBEDDED_JIT = before; });
  for (const v of ['fast', 'Baseline', 'liftoff']) {
    process.env.LIFELINE_EMBEDDED_JIT = v;
    await t.rejects(openPglite(), { code: 'CONFIG_INVALID', message: new RegExp(`^LIFELINE_EMBEDDED_JIT=${v}: expected optimizing or baseline`), details: { variable: 'LIFELINE_EMBEDDED_JIT' } }, v);
  }
  t.same([...ENGINE_JIT], ['optimizing', 'baseline']);
});

t.test('baseline: the engine opens, runs and closes (the flag is taken once: a later value does not matter)', async (t) => {
  const before = process.env.LIFELINE_EMBEDDED_JIT;
  t.teardown(() => { if (before === undefined) delete process.env.LIFELINE_EMBEDDED_JIT; else process.env.LIFELINE_EMBEDDED_JIT = before; });
  process.env.LIFELINE_EMBEDDED_JIT = 'baseline';
  const db = await openPglite(undefined, { thread: 'worker' });
  t.same((await db.query<{ n: number }>('SELECT sum(g)::int AS n FROM generate_series(1, 1000) g')).rows, [{ n: 500500 }]);
  await db.close();
  process.env.LIFELINE_EMBEDDED_JIT = 'nonsense';
  const again = await openPglite();
  t.same((await again.query<{ ok: number }>('SELECT 1 AS ok')).rows, [{ ok: 1 }], 'applied at the first open only');
  await again.close();
});
