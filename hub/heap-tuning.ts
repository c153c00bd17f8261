// The hub's one change to V8's defaults: no allocation-site pretenuring.
//
// V8 watches each object and array literal: when nearly every object it made survived a young-generation collection
// (100 or more at once), it allocates that literal's later objects in the old generation, for good. pg's result object
// makes every query's `rows` array from one literal (`this.rows = []`), so a single burst of a hundred queries in
// flight at once (a first start migrating an empty store and loading a large registry does it) moves every later
// query's rows array to the old generation. The rows that array points to are then kept by each scavenge, promoted by
// the next, and freed only by a full collection: after such a burst each scavenge copied 7-9 MB and took 20-45 ms
// instead of 1-2 (bench store-scale, one point's day p99 21.7-44.1 ms against a target of 20; `--trace-gc-nvp`
// shows "survived X, then promoted X" scavenge after scavenge). The hub's objects are either short-lived (a
// request, a read, a batch) or few and long-lived (registry, caches), which the young generation copies once; a
// guess made from one burst is the wrong one for the rest of the process's life.
import v8 from 'node:v8';

let done = false;

/**
 * Turns V8's allocation-site pretenuring off for this process; idempotent. Called before anything else the hub
 * allocates: a literal V8 already tenured stays tenured.
 */
export function tuneHeap(): void {
  if (done) return;
  done = true;
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
