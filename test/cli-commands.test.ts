// Adapters contribute `lifeline` commands through their manifests (SDK CliCommand); the hub's CLI knows no adapter folder.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { declaredCommands, matchCommand, commandProblems, commandHelp, asksHelp, HUB_WORDS } from '../hub/cli/adapter-commands.ts';
import { launchHub } from './helpers/child-hub.ts';
import { childEnv } from './helpers/child-env.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const echoPlugin = fileURLToPath(new URL('./fixtures/echo-adapter/index.ts', import.meta.url));

function lifeline(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/lifeline.js', ...args], { cwd: root, env: childEnv(env) });
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

t.test('every declared command answers --help with its usage and exit 0', async (t) => {
  for (const c of await declaredCommands()) {
    const text = await commandHelp(c);
    t.match(text, new RegExp(`^usage: lifeline ${c.words.join(' ')}\\b`), `${c.words.join(' ')}: starts with its usage`);
    t.ok(text.split('\n').length >= 3, `${c.words.join(' ')}: more than a usage line`);
  }
  t.ok(asksHelp(['--devices', '2', '-h']));
  t.notOk(asksHelp(['--', '--help']), 'after -- it is an argument');
  const run = await lifeline(['sim', 'hj212', '--help']);
  t.equal(run.code, 0, run.err);
  t.match(run.out, /--registry-out FILE\s+write a hub config/);
  const decode = await lifeline(['hj212', 'decode', '--help']);
  t.equal(decode.code, 0, decode.err);
  t.match(decode.out, /--strict\s+the standard only/);
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

t.test('sim hj212 says why when nothing listens, and its --registry-out is a config a hub runs', async (t) => {
  const dead = await freePort();
  const started = Date.now();
  const refused = await lifeline(['sim', 'hj212', '--devices', '2', '--interval', '1', '--duration', '2', '--target', `127.0.0.1:${dead}`]);
  t.equal(refused.code, 1);
  t.match(refused.err, new RegExp(`nothing listens on 127\\.0\\.0\\.1:${dead} \\(connection refused\\)[\\s\\S]*--registry-out FILE writes such a config`));
  t.ok(Date.now() - started < 10_000, 'at once, not after the send timeouts');

  const dir = mkdtempSync(join(tmpdir(), 'sim-hj212-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const file = join(dir, 'hub.yaml');
  const wrote = await lifeline(['sim', 'hj212', '--devices', '2', '--target', `127.0.0.1:${port}`, '--registry-out', file]);
  t.notMatch(wrote.err, /nothing listens/, 'it only writes: the hub it is for cannot run yet');
  t.equal(wrote.code, 0, wrote.err);
  t.match(wrote.out, /start a hub with it: npx lifeline start --config/);
  const config = parse(readFileSync(file, 'utf8'));
  t.same(config.adapters, { hj212: { host: '127.0.0.1', port } });
  t.equal(config.registry.devices.length, 2);
  // As written, but in the test's folder and on a free API port.
  writeFileSync(file, stringify({ ...config, data_dir: join(dir, 'data'), server: { host: '127.0.0.1', port: 0 } }));
  const hub = await launchHub(file, { LIFELINE_API_KEY: 'sim-test-key' });
  t.teardown(() => { hub.proc.kill('SIGKILL'); });
  for (let i = 0; i < 100 && !(await new Promise<boolean>((r) => { const c = connect(port, '127.0.0.1').once('connect', () => { c.destroy(); r(true); }).once('error', () => r(false)); })); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const sent = await lifeline(['sim', 'hj212', '--devices', '2', '--interval', '1', '--duration', '2', '--target', `127.0.0.1:${port}`]);
  t.equal(sent.code, 0, sent.out + sent.err);
  const m = /sim: (\d+) sent, (\d+) acknowledged \(9014\), 0 failed/.exec(sent.out);
  t.ok(m && Number(m[1]) >= 2 && m[1] === m[2], `every upload acknowledged: ${sent.out}`);
  const res = await fetch(`${hub.url}/v1/observations/latest?device=SIM-00001`, { headers: { authorization: 'Bearer sim-test-key' } });
  t.equal(res.status, 200);
  t.ok(((await res.json()) as { data: unknown[] }).data.length > 0, 'the stations\' readings are stored');
});
