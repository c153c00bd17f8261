// The webhook endpoints: POST /v1/ingest/<profile> → verify (API key or HMAC) → parse JSON → map with the
// endpoint's profile → ctx.ingest (mapping failures go to quarantine in the same transaction) → answer
// 200 with a per-record outcome, only after the commit.
import {
  LifelineError, compileProfile, loadProfile, mappingRejection,
  type AdapterContext, type AdapterHealth, type AdapterHttpRequest, type AdapterHttpResponse, type CompiledProfile, type SourceReading,
} from '../../hub/sdk/index.ts';
import type { EndpointConfig, JsonHttpConfig } from './manifest.ts';
import { makeVerifier, type Verifier } from './signature.ts';

interface Endpoint { name: string; cfg: EndpointConfig; profile: CompiledProfile; verify?: Verifier; stats: { requests: number; readings: number; failures: number; denied: number } }

const HMAC_DEFAULTS = { header: 'x-signature', algorithm: 'sha256', encoding: 'hex', prefix: '', max_skew_s: 300 } as const;

function configError(path: string, message: string, cause?: unknown): LifelineError {
  return new LifelineError('CONFIG_INVALID', `adapters.json_http${path.replaceAll('/', '.')}: ${message}`, { details: { path: `/adapters/json_http${path}` }, cause });
}

export function buildEndpoints(config: JsonHttpConfig, ctx: Pick<AdapterContext, 'timezone'> & { configDir?: string }, env: NodeJS.ProcessEnv = process.env): Map<string, Endpoint> {
  const out = new Map<string, Endpoint>();
  for (const [name, raw] of Object.entries(config.profiles ?? {})) {
    const cfg = { auth: 'api_key', vars: {}, identity_protocol: 'json_http', body_limit_bytes: 1_048_576, ...(raw as Partial<EndpointConfig>) } as EndpointConfig;
    const at = `/profiles/${name}`;
    const opts = { name, timezone: cfg.timezone ?? ctx.timezone, protocol: cfg.identity_protocol };
    let profile: CompiledProfile;
    try {
      profile = typeof cfg.mapping === 'object' ? compileProfile(cfg.mapping, opts) : loadProfile(cfg.mapping ?? name, ctx.configDir, opts);
    } catch (e) {
      throw configError(`${at}/mapping`, (e as Error).message, e);
    }
    let verify: Verifier | undefined;
    if (cfg.auth === 'hmac') {
      const h = { ...HMAC_DEFAULTS, ...cfg.hmac };
      const secret = h.secret_env ? env[h.secret_env] : h.secret;
      if (!secret) throw configError(`${at}/hmac`, h.secret_env ? `environment variable ${h.secret_env} (hmac.secret_env) is not set` : 'auth hmac needs hmac.secret or hmac.secret_env');
      if (secret.length < 16) throw configError(`${at}/hmac`, 'the HMAC secret must be at least 16 characters');
      verify = makeVerifier(name, h, secret);
    }
    out.set(name, { name, cfg, profile, verify, stats: { requests: 0, readings: 0, failures: 0, denied: 0 } });
  }
  return out;
}

const locate = (r: SourceReading) => ({
  ...(r.point ? { point: r.point } : r.device ? { device: r.device } : { key: r.identity?.key }),
  ...(r.field ? { field: r.field } : {}),
  time: new Date(r.time as number).toISOString(),
});

export class Webhooks {
  private running = false;
  private lastError?: { at: string; code: string; message: string };
  constructor(private readonly endpoints: Map<string, Endpoint>, private readonly ctx: AdapterContext) {}

  register(): void {
    const bodyLimit = Math.max(1, ...[...this.endpoints.values()].map((e) => e.cfg.body_limit_bytes));
    this.ctx.http.route({
      method: 'POST', url: '/v1/ingest/:profile', bodyLimit,
      summary: 'Vendor webhook (json_http): the JSON body is mapped by the named profile; 200 only after commit, with a per-record outcome.',
      // HMAC endpoints authenticate by signature; everything else (incl. unknown names: no probing) needs an ingest key.
      auth: (req) => (this.endpoints.get(req.params.profile ?? '')?.verify ? 'none' : 'ingest'),
      handler: (req) => this.handle(req),
    });
  }

  start(): void { this.running = true; }
  stop(): void { this.running = false; }

  health(): AdapterHealth {
    return {
      status: 'ok',
      detail: {
        profiles: Object.fromEntries([...this.endpoints.values()].map((e) => [e.name, { url: `/v1/ingest/${e.name}`, auth: e.cfg.auth, ...e.stats }])),
        ...(this.lastError ? { last_error: this.lastError } : {}),
      },
    };
  }

  private fail(e: Endpoint | undefined, err: LifelineError): never {
    if (e) e.stats.denied++;
    this.lastError = { at: new Date(this.ctx.clock.now()).toISOString(), code: err.code, message: err.message };
    this.ctx.metrics.error(err.code.toLowerCase());
    throw err;
  }

  async handle(req: AdapterHttpRequest): Promise<AdapterHttpResponse> {
    const name = req.params.profile ?? '';
    const e = this.endpoints.get(name);
    if (!e) this.fail(undefined, new LifelineError('MAPPING_PROFILE_NOT_FOUND', `no webhook profile "${name}" (configured: ${[...this.endpoints.keys()].join(', ') || 'none'}); add it under adapters.json_http.profiles`, { details: { profile: name } }));
    if (!this.running) throw new LifelineError('STORE_UNAVAILABLE', 'the json_http adapter is stopping; retry later', { retryAfterMs: 5000 });
    e.stats.requests++;
    if (e.verify) {
      try { e.verify(req.headers, req.rawBody, this.ctx.clock.now()); } catch (err) { this.fail(e, err as LifelineError); }
    }
    if (req.rawBody.length > e.cfg.body_limit_bytes) this.fail(e, new LifelineError('PAYLOAD_TOO_LARGE', `the body (${req.rawBody.length} bytes) is larger than this profile's body_limit_bytes (${e.cfg.body_limit_bytes})`));
    if (req.body === undefined) this.fail(e, new LifelineError('BODY_INVALID', `${req.bodyError ?? 'no JSON body'}; nothing was stored`));

    // Query parameters first, then the configured vars, then the endpoint's name: a caller cannot override what the hub sets.
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') vars[k] = v;
    Object.assign(vars, e.cfg.vars, { profile: name });
    const receivedAt = this.ctx.clock.now();
    const mapped = await e.profile.map({ payload: req.body, vars, receivedAt });
    const { readings, failures, failed } = mapped;
    // Too many values to map: the sender gets the typed error and splits the body; nothing is stored or quarantined.
    if (failures[0]?.code === 'MAPPING_TOO_MANY_RECORDS') this.fail(e, new LifelineError('MAPPING_TOO_MANY_RECORDS', failures[0].message, { details: { field: failures[0].field } }));
    this.ctx.metrics.received(readings.length + failed);
    // The failures go to the quarantine as one entry that keeps the body once (not one entry, and one copy, per failure).
    const rejected = mappingRejection(mapped, { profile: name, mapping: e.profile.name }, { key: 'input', value: req.body });
    const res = await this.ctx.ingest(readings, rejected ? { rejected: [rejected] } : {});
    this.ctx.metrics.sent(res.accepted);
    if (failed) this.ctx.metrics.error('mapping_failed', failed);
    e.stats.readings += readings.length;
    e.stats.failures += failed;
    return {
      status: 200,
      body: {
        profile: name,
        accepted: res.accepted, duplicates: res.duplicates, quarantined: res.quarantined, rejected: res.rejected,
        results: readings.map((r, i) => ({ ...res.results[i], reading: locate(r) })),
        failed,
        failures: failures.map((f) => ({ code: f.code, message: f.message, field: f.field, record: f.record })),
      },
    };
  }
}
