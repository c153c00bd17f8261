// Replay a crash file: start a fresh hub for its target and send the saved inputs in order (the culprit
// alone when triage found one), stopping at the first one after which the hub is gone.
import { readFileSync } from 'node:fs';
import { within, type Case, type Target } from './engine.ts';
import { FuzzHub, type StoreChoice } from './hub.ts';
import { crashReport, type CrashFile } from './crash.ts';


export async function replay(file: string, o: { store: StoreChoice; dir: string; all: boolean; loadTarget(name: string): Promise<Target<Case>> }): Promise<number> {
  const crash = JSON.parse(readFileSync(file, 'utf8')) as CrashFile;
  const target = await o.loadTarget(crash.target);
  const list = (!o.all && crash.culprit ? [crash.culprit] : crash.inputs.map((i) => i.case)) as Case[];
  console.log(`replay ${file}: target ${crash.target}, ${list.length} input(s); it crashed with: ${crash.headline}`);
  const hub = new FuzzHub({ dir: o.dir, store: o.store, config: target.hubConfig(), env: target.hubEnv?.() });
  let died: string | undefined;
  hub.onExit = (why) => { died = why; };
  try {
    await hub.start();
    await target.attach(hub);
    for (const [i, c] of list.entries()) {
      console.log(`→ ${i + 1}/${list.length} ${target.show(c).slice(0, 1000)}`);
      const v = await within<{ kind: string }>(target.send(c, hub), 30_000, () => ({ kind: 'timeout' }));
      await hub.settle();
      if (died) {
        const r = crashReport(hub.stderr(), died);
        console.log(`CRASH: the hub died (${died}) after input ${i + 1}\n  ${r.headline}\n  at ${r.signature}`);
        return 1;
      }
      // (The hub logs to stdout, which the launcher does not keep: its reasons are in its own log, not here.)
      if (v.kind !== 'ok') console.log(`  answer: ${JSON.stringify(v)}`);
    }
    console.log(`the hub survived ${list.length === 1 ? 'the input' : `all ${list.length} inputs`} (0 crashes)`);
    return 0;
  } finally {
    await hub.dispose();
    await target.close?.().catch(() => undefined);
  }
}
