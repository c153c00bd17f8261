// Commands an adapter or publisher adds to the `lifeline` command line, declared in its manifest.

/**
 * One `lifeline` command contributed by an adapter or publisher (its manifest's `commands`). The hub's CLI reads
 * every manifest and dispatches on the command's words, so an adapter's tools (a decoder, a simulator, a setup step)
 * ship with the adapter, and `lifeline --help` lists them.
 *
 * Keep the manifest light: `run` should `await import()` what it needs, since `--help` loads every manifest.
 * @category Adapter
 */
export interface CliCommand {
  /** The words after `lifeline` that select it, e.g. `['hj212', 'decode']` or `['sim', 'modbus']`; lower case. */
  words: string[];
  /** The arguments after the words, for the usage line: `FRAME [--strict] [--crc hj212|modbus|modbus_le]`. */
  usage: string;
  /** What it does, one or two short lines for `lifeline --help`. */
  help: string;
  /**
   * The whole text `lifeline WORDS --help` prints: every option with its default. Loaded only then, so it may import
   * what it lists. It gets the arguments after the words (`trust --help`), so a command with subcommands can answer
   * for the one named. Without it, `--help` prints the usage line and `help`.
   */
  details?: (args: string[]) => Promise<string> | string;
  /**
   * Run it with the arguments after the words. Resolves to the process exit code (undefined: 0). A thrown
   * LifelineError is printed as `error CODE: message` with exit code 1.
   */
  run(args: string[]): Promise<number | void>;
}
