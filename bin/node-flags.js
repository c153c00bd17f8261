// V8 flags the hub runs with: `npm start` (package.json), the `lifeline` command (this folder's lifeline.js, through
// its #! line) and the benches' hubs use these. test/launcher.test.ts checks that the three agree and that a started
// hub's node process has them.
//
// --max-semi-space-size=32 (MB; V8's default is 16): the young generation holds what a batch allocates between its
// request and its commit (records, rows, column arrays, the reply) while several batches are in flight. With 16 MB,
// scavenges came often enough to find those objects still alive, copied them and promoted them to the old generation;
// with 32 MB most are dead by the next scavenge. Measured with `npm run bench -- upload`: the hub's CPU per row
// 8.6-8.8 -> 7.1-7.2 µs; the hub's RSS on a 1 GB upload 305 -> 348 MB (target < 400 MB). docs/operations.md.
export const HUB_NODE_FLAGS = ['--max-semi-space-size=32'];
