// HTTP routes adapters declare through ctx.http.route() (e.g. json_http webhooks), served on the hub's own
// server. Bodies reach the handler as raw bytes (for signatures) plus parsed JSON; auth is the hub's
// API-key check with the ingest scope unless the route's auth says the adapter authenticates itself.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdapterHttpRoute } from '../sdk/adapter.ts';
import { jsonTooDeep, MAX_DEPTH } from '../sdk/text.ts';

export interface AdapterRoute { adapter: string; route: AdapterHttpRoute }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on adapter routes: 'none' = skip the API-key check for this request (the adapter verifies it). */
    adapterAuth?: (req: FastifyRequest) => 'ingest' | 'none';
  }
}

function parseJson(raw: Buffer): { body: unknown; bodyError?: string } {
  if (!raw.length) return { body: undefined, bodyError: 'the body is empty' };
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let body: unknown;
  try { body = JSON.parse(text); } catch (e) { return { body: undefined, bodyError: `the body is not valid JSON: ${(e as Error).message}` }; }
  // Parsed, but every later stage (mapping expressions, evidence in the quarantine) recurses over it.
  if (jsonTooDeep(body)) return { body: undefined, bodyError: `the body nests deeper than ${MAX_DEPTH} levels` };
  return { body };
}

export async function registerAdapterRoutes(app: FastifyInstance, routes: AdapterRoute[]): Promise<void> {
  if (!routes.length) return;
  await app.register(async (scope) => {
    // Raw bytes for every content type: the adapter may need to verify a signature over them.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    for (const { adapter, route } of routes) {
      const auth = route.auth;
      scope.route({
        method: route.method,
        url: route.url,
        bodyLimit: route.bodyLimit,
        config: {
          // A route that never asks for a key is public, and shows as such in the route list (the auth test flags it).
          scope: auth === 'none' ? 'public' : 'ingest',
          dataScope: auth === 'none' ? 'public' : 'ingest',
          adapterAuth: (req) => (typeof auth === 'function' ? auth({ params: req.params as Record<string, string>, headers: req.headers }) : auth),
        },
        schema: { tags: ['adapters'], summary: route.summary ?? `served by the ${adapter} adapter` },
        handler: async (req, reply) => {
          const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const res = await route.handler({
            params: req.params as Record<string, string>, query: req.query as Record<string, string>, headers: req.headers,
            rawBody, ...parseJson(rawBody), principal: req.principal?.name,
          });
          if (res.headers) reply.headers(res.headers);
          return reply.code(res.status).send(res.body);
        },
      });
    }
  });
}
