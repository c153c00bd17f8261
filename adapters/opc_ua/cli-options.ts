// The options of the `lifeline opcua …` and `lifeline sim opcua` commands: one table each, which both the parser and
// the help read (hub/sdk/cli-options.ts). Light: the manifest builds the usage lines from it.
import type { CliOption } from '../../hub/sdk/cli-options.ts';
import { endpointProperty } from './schema.ts';
import { DEFAULT_USER } from './sim/points.ts';

const list = (name: string) => (endpointProperty(name).enum ?? []).join(' | ');

/** Where the hub's PKI is: every `opcua` command. */
export const pkiOptions: CliOption[] = [
  { name: 'config', value: 'FILE', help: "a hub config: its data_dir, and its opc_ua block's pki_dir, application_name, application_uri and certificate_subject" },
  { name: 'data-dir', value: 'DIR', default: './data', help: "the hub's data_dir (the PKI is DIR/pki); with --config, the config's data_dir" },
  { name: 'pki-dir', value: 'DIR', help: 'the PKI folder itself', defaultText: '<data-dir>/pki, or the config\'s pki_dir' },
];

export const pkiListOptions: CliOption[] = [...pkiOptions, { name: 'json', help: 'print the certificates as JSON' }];

export const browseOptions: CliOption[] = [
  { name: 'root', value: 'NODEID', help: 'where to start', defaultText: 'the Objects folder' },
  { name: 'depth', value: 'N', default: '6', help: 'how many levels of hierarchical references to follow' },
  { name: 'out', value: 'FILE', help: 'write the draft (YAML) to FILE', defaultText: 'standard output' },
  { name: 'namespace', value: 'URI', help: 'namespace whose browse names are written without an index prefix', defaultText: "the server's first own namespace: index 2, else 1" },
  { name: 'security-mode', value: 'MODE', help: list('security_mode'), defaultText: 'the most secure mode the server offers' },
  { name: 'security-policy', value: 'POLICY', help: list('security_policy'), defaultText: 'the most secure policy the server offers' },
  { name: 'user', value: 'NAME', help: 'user name of the session', defaultText: 'anonymous' },
  { name: 'password', value: 'PASSWORD', help: 'password of --user', defaultText: 'empty' },
  ...pkiOptions,
];

export const simOptions: CliOption[] = [
  { name: 'port', value: 'PORT', default: '4840', help: 'TCP port (0: any free one)' },
  { name: 'items', value: 'N', default: '5', help: 'number of variables (round robin over the five kinds)' },
  { name: 'interval-ms', value: 'MS', default: '1000', help: 'how often the values change' },
  { name: 'pki-dir', value: 'DIR', default: './data/sim-opcua-pki', help: "the simulator's PKI (its certificate, trusted and rejected clients)" },
  { name: 'allow-none', help: 'also offer security mode None / policy None' },
  { name: 'accept-clients', help: "trust any client certificate (demo); otherwise trust the hub's: <pki-dir>/rejected → trusted" },
  { name: 'user', value: 'NAME', default: DEFAULT_USER.username, help: 'the user the simulator accepts' },
  { name: 'password', value: 'PASSWORD', default: DEFAULT_USER.password, help: "that user's password" },
  { name: 'registry-out', value: 'FILE', help: "write a hub config (data_dir, opc_ua adapter block, registry) for what the simulator serves, and trust the simulator's certificate in the hub's PKI (<data-dir>/pki)" },
  { name: 'by-browse-path', help: 'items by browse path instead of NodeId in that config' },
  { name: 'data-dir', value: 'DIR', help: "the data_dir written into that config", defaultText: "FILE's folder/data" },
  { name: 'sampling-ms', value: 'MS', help: "sampling interval written into that config's items", defaultText: "the adapter's" },
  { name: 'duration', value: 'S', help: 'stop after S seconds', defaultText: 'run until Ctrl-C' },
];
