// The commands adapters and publishers add to `lifeline`, read from their manifests (SDK: CliCommand). The CLI knows
// no adapter's folders: built-ins come from the adapter index, third-party ones from LIFELINE_PLUGINS.
import type { CliCommand } from '../sdk/cli.ts';
import { LifelineError } from '../sdk/errors.ts';
import { builtinManifests } from '../../adapters/index.ts';

/** A declared command and the adapter or publisher that declared it. */
export interface DeclaredCommand extends CliCommand { from: string }

/** The hub's own first words (main.ts's cases; test/cli-commands.test.ts keeps the two equal): a manifest may not take them over. */
export const HUB_WORDS = ['start', 'check-config', 'prepare-store', 'indicators', 'hash-key', 'mapping', 'upload', 'store', 'alarms', 'rules', 'report', 'publish', 'conformance', 'help'];

/** What is wrong with a manifest's `commands`, one line each (empty: nothing). */
export function commandProblems(commands: unknown): string[] {
  if (commands === undefined) return [];
  if (!Array.isArray(commands)) return ['commands must be an array'];
  const out: string[] = [];
  commands.forEach((c: Partial<CliCommand>, i) => {
    const at = `commands[${i}]`;
    if (!Array.isArray(c?.words) || !c.words.length || !c.words.every((w) => typeof w === 'string' && /^[a-z][a-z0-9-]*$/.test(w))) out.push(`${at}.words must be lower-case words such as ["sim", "modbus"]`);
    else if (HUB_WORDS.includes(c.words[0]!)) out.push(`${at}: "${c.words[0]}" is a hub command`);
    if (typeof c?.usage !== 'string') out.push(`${at}.usage must be a string (the arguments after the words)`);
    if (typeof c?.help !== 'string' || !c.help.trim()) out.push(`${at}.help is empty: say what the command does`);
    if (typeof c?.run !== 'function') out.push(`${at}.run is not a function`);
    if (c?.details !== undefined && typeof c.details !== 'function') out.push(`${at}.details must be a function returning the --help text`);
  });
  return out;
}

/**
 * Every declared command: the built-ins' and those of the plugins named in LIFELINE_PLUGINS (comma-separated paths
 * or npm names, as in a config's `plugins`). Two declarations of the same words are refused.
 */
export async function declaredCommands(env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): Promise<DeclaredCommand[]> {
  const manifests: Array<{ id: string; commands?: CliCommand[] }> = [];
  for (const load of Object.values(builtinManifests)) manifests.push((await load()).manifest);
  const plugins = (env.LIFELINE_PLUGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (plugins.length) {
    const { importModule } = await import('../adapters/loader.ts');
    for (const spec of plugins) {
      const def = (await importModule(spec, baseDir)) as { manifest?: { id: string; commands?: CliCommand[] } };
      if (!def?.manifest) throw new LifelineError('ADAPTER_INVALID', `LIFELINE_PLUGINS: "${spec}" has no manifest (default-export defineAdapter({ manifest, create }))`);
      manifests.push(def.manifest);
    }
  }
  const out: DeclaredCommand[] = [];
  const seen = new Map<string, string>();
  for (const m of manifests) {
    const problems = commandProblems(m.commands);
    if (problems.length) throw new LifelineError('ADAPTER_INVALID', `adapter "${m.id}": ${problems.join('; ')}`);
    for (const c of m.commands ?? []) {
      const key = c.words.join(' ');
      if (seen.has(key)) throw new LifelineError('ADAPTER_INVALID', `adapters "${seen.get(key)}" and "${m.id}" both declare the command "lifeline ${key}"`);
      seen.set(key, m.id);
      out.push({ ...c, from: m.id });
    }
  }
  return out;
}

/** The command whose words start argv (the longest such), with the arguments after its words. */
export function matchCommand(argv: string[], commands: DeclaredCommand[]): { command: DeclaredCommand; args: string[] } | undefined {
  let best: DeclaredCommand | undefined;
  for (const c of commands) {
    if (c.words.length <= argv.length && c.words.every((w, i) => argv[i] === w) && (!best || c.words.length > best.words.length)) best = c;
  }
  return best && { command: best, args: argv.slice(best.words.length) };
}

/** Usage lines in the style of the hub's own: `  lifeline WORDS USAGE` then the help, indented. */
export function commandsUsage(commands: DeclaredCommand[]): string {
  const lines: string[] = [];
  for (const c of [...commands].sort((a, b) => a.words.join(' ').localeCompare(b.words.join(' ')))) {
    const [first = '', ...rest] = c.usage.split('\n');
    const head = `  lifeline ${c.words.join(' ')}${first ? ` ${first}` : ''}`;
    lines.push(head);
    for (const r of rest) lines.push(`          ${r}`);
    for (const h of c.help.split('\n')) lines.push(`${' '.repeat(38)}${h}`);
  }
  return lines.join('\n');
}

/** Whether the arguments ask for help (`--help` or `-h` before a `--`). */
export function asksHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** What `lifeline WORDS --help` prints: the command's details, or its usage line and help. */
export async function commandHelp(c: CliCommand, args: string[] = []): Promise<string> {
  if (c.details) return (await c.details(args)).trimEnd();
  const [first = '', ...rest] = c.usage.split('\n');
  return [`usage: lifeline ${c.words.join(' ')}${first ? ` ${first}` : ''}`, ...rest.map((r) => `         ${r}`), '', ...c.help.split('\n').map((h) => `  ${h}`)].join('\n');
}
