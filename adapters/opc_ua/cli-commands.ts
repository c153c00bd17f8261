// The `lifeline` commands the OPC UA adapter adds (declared in its manifest): its PKI, browsing a server, a simulator.
import type { CliCommand } from '../../hub/sdk/index.ts';

const opcua = async (args: string[]) => { await (await import('./cli.ts')).opcuaCommand(args); };

export const opcuaCommands: CliCommand[] = [
  {
    words: ['opcua', 'pki'], usage: 'list|trust|reject [CERT|THUMBPRINT] [--data-dir DIR]',
    help: "the hub's OPC UA certificates and trust lists (<data-dir>/pki)",
    run: (args) => opcua(['pki', ...args]),
  },
  {
    words: ['opcua', 'browse'], usage: 'opc.tcp://… [--root NODEID] [--depth N] [--out FILE] [--namespace URI] [--user U --password P]',
    help: "draft OPC UA items (YAML) from a server's address space",
    run: (args) => opcua(['browse', ...args]),
  },
  {
    words: ['sim', 'opcua'], usage: '[--port 4840] [--items N] [--registry-out FILE] [--accept-clients] [--allow-none]',
    help: 'OPC UA simulator (secure; user lifeline/lifeline-sim); FILE: hub config for it',
    run: async (args) => { await (await import('./sim/cli.ts')).simCommand(args); },
  },
];
