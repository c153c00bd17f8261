import { createIngestBatcher, defineAdapter, LifelineError } from '../../hub/sdk/index.ts';
import { manifest, type ModbusConfig } from './manifest.ts';
import { resolvePoints } from './profile.ts';
import { DevicePoller, type Ingest } from './transport/poller.ts';
import { runCommand } from './commands.ts';
import { resolve } from 'node:path';

const HEALTH_LIST = 200;

export default defineAdapter<ModbusConfig>({
  manifest,
  create(config, ctx) {
    const ingest = createIngestBatcher(ctx.ingest, { maxRecords: config.batch_max_records, maxWaitMs: config.batch_max_wait_ms }) as Ingest;
    const seen = new Set<string>();
    const pollers = (config.devices ?? []).map((d, i) => {
      const where = `/adapters/${ctx.name}/devices/${i}`;
      const port = d.port, unit = d.unit_id; // defaults filled by ajv from config.schema.json
      const key = `${d.host}:${port}/${unit}`;
      if (seen.has(key)) throw new LifelineError('CONFIG_INVALID', `${where}: ${key} is listed twice`);
      seen.add(key);
      const points = resolvePoints(d, where, config.profiles_dir && resolve(ctx.configDir, config.profiles_dir));
      return new DevicePoller({
        host: d.host, port, unitId: unit, device: d.device, points,
        intervalMs: d.interval_ms ?? config.interval_ms, timeoutMs: d.timeout_ms ?? config.timeout_ms, retries: d.retries ?? config.retries,
        maxRegisters: d.max_registers_per_request ?? config.max_registers_per_request, maxBits: config.max_bits_per_request,
        maxGapRegisters: d.max_gap_registers ?? config.max_gap_registers, maxGapBits: config.max_gap_bits,
        reconnect: { initialMs: config.reconnect_initial_ms, maxMs: config.reconnect_max_ms, jitter: config.reconnect_jitter },
        writes: d.writes ?? config.writes,
      }, ctx, ingest);
    });
    return {
      async start() {
        // Spread the first polls over one interval so 1,000 devices do not all ask in the same millisecond.
        pollers.forEach((p, i) => p.start(pollers.length > 1 ? Math.floor((i / pollers.length) * p.o.intervalMs) : 0));
      },
      async stop() { await Promise.all(pollers.map((p) => p.stop())); },
      health() {
        const devices = pollers.map((p) => p.health());
        const down = devices.filter((d) => d.status === 'down').length;
        // Every device up to HEALTH_LIST; beyond that only the ones down (a /ready probe should stay small).
        const listed = devices.length <= HEALTH_LIST ? devices : devices.filter((d) => d.status === 'down').slice(0, HEALTH_LIST);
        let polls = 0, requests = 0;
        for (const d of devices) { polls += d.polls; requests += d.requests; }
        return { status: down ? 'degraded' : 'ok', detail: { devices_total: devices.length, devices_down: down, polls_total: polls, requests_total: requests, ...(listed.length < devices.length ? { devices_listed: 'down' } : {}), devices: listed } };
      },
      // A device is named by its hub code (config `device`, or the registry device with its identity) or host:port/unit.
      command: (request) => runCommand(request, pollers, (key) => ctx.registry.findDevice('modbus_tcp', key)?.code),
    };
  },
});
