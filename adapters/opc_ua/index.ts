// OPC UA adapter: one supervised client per endpoint, values group-committed through one ingest batcher.
import { resolve } from 'node:path';
import { defineAdapter, createIngestBatcher, readConfigFile, LifelineError, type SourceReading, type AdapterHealth, type RejectedInput } from '../../hub/sdk/index.ts';
import type { OPCUACertificateManager } from 'node-opcua';
import { manifest, type OpcUaConfig } from './manifest.ts';
import { pkiDirOf } from './identity.ts';

export default defineAdapter<OpcUaConfig>({
  manifest,
  create(config, ctx) {
    const pkiDir = pkiDirOf(ctx.dataDir, config.pki_dir);
    const ingest = createIngestBatcher(ctx.ingest, { maxRecords: config.batch_max_records, maxWaitMs: config.batch_max_wait_ms });
    let endpoints: import('./endpoint.ts').Endpoint[] = [];
    let cm: OPCUACertificateManager | undefined;
    let inFlight = 0, committed = 0, commitErrors = 0;
    let lastCommitError: string | undefined;
    const MAX_IN_FLIGHT = 200_000;

    // OPC UA has nothing to acknowledge: a failed commit is retried a few times, then counted as dropped.
    const sink = (all: SourceReading[]): void => {
      // A publish response may carry thousands of values: hand them over in batch_max_records slices so commits pipeline.
      if (all.length > config.batch_max_records) {
        for (let i = 0; i < all.length; i += config.batch_max_records) sink(all.slice(i, i + config.batch_max_records));
        return;
      }
      const batch = all;
      if (inFlight + batch.length > MAX_IN_FLIGHT) { ctx.metrics.dropped(batch.length); ctx.metrics.error('backpressure', batch.length); return; }
      inFlight += batch.length;
      void (async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            const r = await ingest(batch);
            committed += batch.length;
            ctx.metrics.sent(r.accepted);
            break;
          } catch (e) {
            commitErrors++;
            lastCommitError = (e as Error).message;
            if (attempt >= 3 || ctx.signal.aborted) { ctx.metrics.error('commit_failed'); ctx.metrics.dropped(batch.length); ctx.logger.error({ err: lastCommitError, n: batch.length }, 'OPC UA values dropped: commit failed'); break; }
            await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
          }
        }
        inFlight -= batch.length;
      })();
    };

    // Values that cannot become readings (strings, arrays …): quarantined with their reason, outside the batcher.
    const quarantine = (input: RejectedInput): void => {
      ctx.ingest([], { rejected: [input] }).catch((e: Error) => ctx.logger.warn({ err: e.message }, 'could not quarantine an OPC UA value'));
    };

    // A user certificate is read at every connection; check it here so a wrong path stops the hub at start.
    config.endpoints.forEach((e, i) => {
      if (e.auth?.type !== 'certificate') return;
      for (const k of ['certificate', 'private_key'] as const) {
        const at = `/adapters/${ctx.name}/endpoints/${i}/auth/${k}`;
        const file = e.auth[k];
        if (!file) throw new LifelineError('CONFIG_INVALID', `${at}: auth type certificate needs ${k}`, { details: { path: at }, stage: 'config' });
        readConfigFile(file, at, ctx.configDir);
        e.auth[k] = resolve(ctx.configDir, file);
      }
    });

    let stopped = false;
    let pkiError: string | undefined;
    let pkiReady = false;

    return {
      // start() does not wait for the certificate: creating it (first start) takes seconds on a busy machine. Endpoints
      // start once it exists; health says `connecting` meanwhile, and `down` if the PKI cannot be opened at all.
      async start() {
        stopped = false;
        void (async () => {
          try {
            const [{ openPki, ownCertificateFile, ownPrivateKeyFile }, { Endpoint }, { hubIdentity }, { pkcs1v15Problem }] = await Promise.all([
              import('./pki.ts'), import('./endpoint.ts'), import('./identity.ts'), import('./node-opcua-warnings.ts')]);
            const opened = await openPki(pkiDir, hubIdentity(config), config.accept_unknown_certificates);
            for (const e of config.endpoints) {
              const problem = pkcs1v15Problem(e.security_policy, ownCertificateFile(pkiDir), ownPrivateKeyFile(pkiDir));
              if (problem) ctx.logger.warn({ endpoint: e.key }, `OPC UA endpoint ${e.key}: ${problem}`);
            }
            if (stopped) { await opened.dispose().catch(() => undefined); return; }
            cm = opened;
            pkiReady = true;
            endpoints = config.endpoints.map((e) => new Endpoint(e, config, ctx, opened, ownCertificateFile(pkiDir), sink, quarantine));
            for (const e of endpoints) e.start();
          } catch (e) {
            if (stopped) return;
            pkiError = `cannot open the PKI in ${pkiDir}: ${(e as Error).message}`;
            ctx.metrics.error('pki_failed');
            ctx.logger.error({ err: (e as Error).message, pki_dir: pkiDir }, 'OPC UA PKI failed');
          }
        })();
      },
      async stop() {
        stopped = true;
        await Promise.all(endpoints.map((e) => e.stop()));
        endpoints = [];
        const c = cm;
        cm = undefined;
        await c?.dispose().catch(() => undefined);
      },
      health(): AdapterHealth {
        if (pkiError) return { status: 'down', detail: { pki_dir: pkiDir, last_error: { code: 'OPCUA_PKI_FAILED', message: pkiError } } };
        if (!pkiReady) {
          return { status: 'degraded', detail: { pki_dir: pkiDir, note: 'opening the PKI (creating the hub certificate on first start)', committed, in_flight: inFlight,
            endpoints: config.endpoints.map((e) => ({ key: e.key, url: e.url, security: `${e.security_mode}/${e.security_policy}`, state: 'connecting', reconnections: 0, values: 0,
              items: { configured: e.items.length, monitored: 0, unresolved: 0 } })) } };
        }
        const eps = endpoints.map((e) => e.health());
        const bad = eps.some((e) => e.state !== 'connected' || e.items.unresolved > 0);
        return {
          status: bad ? 'degraded' : 'ok',
          detail: { pki_dir: pkiDir, endpoints: eps, committed, in_flight: inFlight, ...(commitErrors ? { commit_errors: commitErrors, last_commit_error: lastCommitError } : {}) },
        };
      },
    };
  },
});
