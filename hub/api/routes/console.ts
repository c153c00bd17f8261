// /console: the operator console (docs/console.md), static files built by scripts/build.js into dist/console/.
// Public like /docs (the page holds no data; every figure it shows comes from the API with the operator's key), and
// locked to the hub itself: Content-Security-Policy default-src 'self', so the page can load and call nothing else.
// GET /v1/whoami tells the console which key it holds and what it may do (write buttons only for admin).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteModule } from '../context.ts';

/** dist/console/, from the project root (which the build rewrites as `../` from dist/: one URL in every build). */
const consoleDir = join(fileURLToPath(new URL('../../../', import.meta.url)), 'dist', 'console');

export const CONSOLE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json; charset=utf-8', '.geojson': 'application/json; charset=utf-8',
};

/** The files of the build, by name (no path from the request ever reaches the file system). */
function builtFiles(): Map<string, string> {
  const files = new Map<string, string>();
  let names: string[];
  try { names = readdirSync(consoleDir); } catch { return files; }
  for (const n of names) if (TYPES[extname(n)] && statSync(join(consoleDir, n)).isFile()) files.set(n, join(consoleDir, n));
  return files;
}

const consoleRoutes: RouteModule = (app) => {
  const hidden = { hide: true, tags: ['console'] };
  app.get('/console', { config: { scope: 'public', dataScope: 'public' }, schema: { ...hidden, summary: 'The operator console (redirects to /console/).' } }, async (_req, reply) => reply.redirect('/console/', 302));

  app.get<{ Params: { '*': string } }>('/console/*', { config: { scope: 'public', dataScope: 'public' }, schema: { ...hidden, summary: 'The operator console\'s files.' } }, async (req, reply) => {
    const name = req.params['*'] || 'index.html';
    reply.header('content-security-policy', CONSOLE_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache');
    const files = builtFiles();
    if (files.size === 0) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The console is not built (dist/console/ is missing): run npm run build.\n控制台尚未构建：请运行 npm run build。\n');
    }
    const file = files.get(name);
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send(`no console file ${name}\n`);
    return reply.type(TYPES[extname(name)]!).send(readFileSync(file));
  });

  app.get('/v1/whoami', {
    // dataScope: the answer names only the key itself, nothing of the city's data.
    config: { scope: 'read', dataScope: 'none' },
    schema: {
      tags: ['ops'], summary: 'The API key of the request: its name and scopes (the console shows write buttons only to admin keys).',
      response: { 200: { type: 'object', additionalProperties: false, required: ['name', 'scopes'], properties: { name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string', enum: ['read', 'ingest', 'admin'] } } } } },
    },
  }, async (req) => ({ name: req.principal!.name, scopes: [...req.principal!.scopes].sort() }));
};

export default consoleRoutes;
