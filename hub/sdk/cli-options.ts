// The options of one CLI command as one table: the parser reads it and the help text is made from it, so `--help`
// cannot leave out an option the command takes, nor show a default it does not use. Light (node:util only): an
// adapter's manifest may build its command's usage line from the table.
import { parseArgs } from 'node:util';

/** One `--name [VALUE]` option. @category Adapter */
export interface CliOption {
  /** The long name, without `--`. */
  name: string;
  /** Placeholder of its value in the help (`N`, `FILE`); absent: a flag without value. */
  value?: string;
  /** The value when the option is not given (shown in the help). */
  default?: string;
  /** What it does; `(default: …)` is added from `default`, or from `defaultText` when the default is computed. */
  help: string;
  /** The default in words, when it is not a fixed value (`the most secure endpoint the server offers`). */
  defaultText?: string;
}

/** What a command line held: positionals and typed access to the options of the table (plus `--help`). */
export interface ParsedOptions {
  positionals: string[];
  /** `--help` or `-h` was given. */
  help: boolean;
  /** The value of a value option (its default when not given). Throws for a name that is not in the table. */
  string(name: string): string | undefined;
  /** Whether a flag was given. Throws for a name that is not in the table. */
  flag(name: string): boolean;
}

/** Parse `args` against the table; an unknown option or a missing value throws an Error that names it. */
export function parseCliOptions(args: string[], options: readonly CliOption[]): ParsedOptions {
  const spec: Record<string, { type: 'string' | 'boolean'; default?: string; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const o of options) spec[o.name] = o.value ? { type: 'string', ...(o.default !== undefined ? { default: o.default } : {}) } : { type: 'boolean' };
  const { values, positionals } = parseArgs({ args, options: spec, allowPositionals: true, strict: true });
  const known = (name: string, value: boolean) => {
    const o = options.find((x) => x.name === name);
    if (!o || !!o.value !== value) throw new Error(`--${name} is not a ${value ? 'value option' : 'flag'} of this command`);
  };
  return {
    positionals,
    help: values.help === true,
    string: (name) => { known(name, true); return values[name] as string | undefined; },
    flag: (name) => { known(name, false); return values[name] === true; },
  };
}

/** `[--root NODEID] [--depth N] …`: the options for a usage line, wrapped at `width` characters. */
export function cliOptionsSynopsis(options: readonly CliOption[], width = 90): string {
  const lines: string[] = [];
  let line = '';
  for (const o of options) {
    const part = `[--${o.name}${o.value ? ` ${o.value}` : ''}]`;
    if (line && line.length + 1 + part.length > width) { lines.push(line); line = part; } else line = line ? `${line} ${part}` : part;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** One line per option: `  --depth N            how deep to walk (default: 6)`. */
export function cliOptionsHelp(options: readonly CliOption[]): string {
  const heads = options.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}`);
  const pad = Math.min(Math.max(...heads.map((h) => h.length)) + 2, 32);
  return options.map((o, i) => {
    const dflt = o.defaultText ?? (o.default !== undefined ? o.default : undefined);
    const text = `${o.help}${dflt !== undefined ? ` (default: ${dflt})` : ''}`;
    const head = heads[i]!;
    return head.length + 1 > pad ? `${head}\n${' '.repeat(pad)}${text}` : `${head.padEnd(pad)}${text}`;
  }).join('\n');
}
