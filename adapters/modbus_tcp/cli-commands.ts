// The `lifeline` command the Modbus TCP adapter adds (declared in its manifest): simulated devices.
import type { CliCommand } from '../../hub/sdk/index.ts';

export const modbusCommands: CliCommand[] = [{
  words: ['sim', 'modbus'], usage: '[--devices N] [--port P] [--port-count K] [--profile NAMES] [--registry-out FILE]',
  help: 'simulated Modbus TCP devices (faults on cue); FILE: hub config for them',
  details: async () => (await import('./sim/cli.ts')).simUsage,
  run: async (args) => { await (await import('./sim/cli.ts')).simModbus(args); },
}];
