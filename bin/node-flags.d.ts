/** V8 flags the hub runs with (bin/node-flags.js). */
export declare const HUB_NODE_FLAGS: string[];
