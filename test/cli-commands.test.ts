// Adapters contribute `lifeline` commands through their manifests (SDK CliCommand); the hub's CLI knows no adapter folder.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { declaredCommands, matchCommand, commandProblems, HUB_WORDS } from '../hub/cli/adapter-commands.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const echoPlugin = fileURLToPath(new URL('./fixtures/echo-adapter/index.ts', import.meta.url));

function lifeline(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/lifeline.js', ...args], { cwd: root, env: { ...process.env, ...env } });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

t.test('hub/cli imports no adapter folder: only the adapter index, which hands out manifests', async (t) => {
  for (const f of readdirSync(`${root}hub/cli`).filter((n) => n.endsWith('.ts'))) {
    const imports = [...readFileSync(`${root}hub/cli/${f}`, 'utf8').matchAll(/(?:from |import\()'(\.\.\/\.\.\/adapters\/[^']+)'/g)].map((m) => m[1]);
    t.same(imports.filter((i) => i !== '../../adapters/index.ts'), [], `hub/cli/${f}`);
  }
});

t.test("the words refused to manifests are exactly the hub's own commands", async (t) => {
  const cases = [...readFileSync(`${root}hub/cli/main.ts`, 'utf8').matchAll(/case '([a-z][a-z-]*)'/g)].map((m) => m[1]!);
  t.same([...new Set(cases)].sort(), [...HUB_WORDS].sort(), 'HUB_WORDS lists every command main.ts dispatches itself');
});

t.test('the built-in commands keep their names, each declared once', async (t) => {
  const cmds = await declaredCommands({});
  const names = cmds.map((c) => `${c.words.join(' ')} (${c.from})`).sort();
  t.same(names, ['hj212 decode (hj212)', 'opcua browse (opc_ua)', 'opcua pki (opc_ua)', 'sim hj212 (hj212)', 'sim modbus (modbus_tcp)', 'sim opcua (opc_ua)', 'sqlpoll init-schema (sql_poll)']);
  t.equal(matchCommand(['sim', 'modbus', '--devices', '2'], cmds)?.command.from, 'modbus_tcp');
  t.same(matchCommand(['sim', 'modbus', '--devices', '2'], cmds)?.args, ['--devices', '2']);
  t.equal(matchCommand(['sim', 'nothing'], cmds), undefined);
});

t.test('a manifest command without help, or on a hub word, is refused with what is wrong', async (t) => {
  t.same(commandProblems([{ words: ['start'], usage: '', help: 'x', run: async () => undefined }]), ['commands[0]: "start" is a hub command']);
  t.match(commandProblems([{ words: ['a'], usage: 1, help: ' ' }]).join('; '), /usage must be a string.*help is empty.*run is not a function/);
  t.same(commandProblems(undefined), []);
});

t.test('--help lists the adapters\' commands; they run from the CLI', async (t) => {
  const help = await lifeline(['--help']);
  t.equal(help.code, 0);
  t.match(help.out, /lifeline hj212 decode FRAME/);
  t.match(help.out, /lifeline sim modbus \[--devices N\]/);
  t.match(help.out, /lifeline sqlpoll init-schema/);
  const decoded = await lifeline(['hj212', 'decode', '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80']);
  t.equal(decoded.code, 0, decoded.err);
  t.match(decoded.out, /"cn": "1062"/);
  const ddl = await lifeline(['sqlpoll', 'init-schema', '--driver', 'postgres', '--print']);
  t.equal(ddl.code, 0, ddl.err);
  t.match(ddl.out, /CREATE TABLE/);
  const partial = await lifeline(['sim']);
  t.equal(partial.code, 2);
  t.match(partial.err, /lifeline sim: one of[\s\S]*lifeline sim hj212[\s\S]*lifeline sim modbus[\s\S]*lifeline sim opcua/);
});

t.test('a plugin named in LIFELINE_PLUGINS adds its command', async (t) => {
  const env = { LIFELINE_PLUGINS: echoPlugin };
  const said = await lifeline(['echo', 'say', 'hello', '世界'], env);
  t.equal(said.code, 0, said.err);
  t.equal(said.out.trim(), 'echo_feed says: hello 世界');
  t.equal((await lifeline(['echo', 'say'], env)).code, 3, 'its exit code is the process\'s');
  const help = await lifeline(['--help'], env);
  t.match(help.out, /lifeline echo say WORDS…\s+print the words back/);
  const without = await lifeline(['echo', 'say', 'x']);
  t.equal(without.code, 2, 'without the plugin: unknown command');
  t.match(without.err, /unknown command "echo"/);
});
