// The `lifeline` commands the OPC UA adapter adds (declared in its manifest): its PKI, browsing a server, a simulator.
// Their usage lines come from the option tables the commands parse with (cli-options.ts): help and parser agree.
import type { CliCommand } from '../../hub/sdk/index.ts';
import { cliOptionsSynopsis } from '../../hub/sdk/cli-options.ts';
import { browseOptions, pkiListOptions, simOptions } from './cli-options.ts';
import { DEFAULT_USER } from './sim/points.ts';

const opcua = async (args: string[]) => { await (await import('./cli.ts')).opcuaCommand(args); };

export const opcuaCommands: CliCommand[] = [
  {
    words: ['opcua', 'pki'], usage: `list|init|trust|reject [CERT|THUMBPRINT]\n${cliOptionsSynopsis(pkiListOptions)}`,
    help: "the hub's OPC UA certificates and trust lists (<data-dir>/pki); --help for each",
    details: async (args) => (await import('./cli.ts')).opcuaUsage(['pki', args.find((a) => !a.startsWith('-'))].filter(Boolean).join(' ')),
    run: (args) => opcua(['pki', ...args]),
  },
  {
    words: ['opcua', 'browse'], usage: `opc.tcp://…\n${cliOptionsSynopsis(browseOptions)}`,
    help: "draft OPC UA items (YAML) from a server's address space; --help for the options",
    details: async () => (await import('./cli.ts')).opcuaUsage('browse'),
    run: (args) => opcua(['browse', ...args]),
  },
  {
    words: ['sim', 'opcua'], usage: cliOptionsSynopsis(simOptions),
    help: `OPC UA simulator (secure; user ${DEFAULT_USER.username}/${DEFAULT_USER.password}); FILE: hub config for it`,
    details: async () => (await import('./sim/cli.ts')).usage,
    run: async (args) => { await (await import('./sim/cli.ts')).simCommand(args); },
  },
];
