// Commands through POST /v1/adapters/modbus_tcp/commands: write (or read) one point, encoded as it is decoded.
import { LifelineError } from '../../hub/sdk/index.ts';
import { decodeRegisters, encodeRegisters, scaleValue, unscaleValue } from './codec/registers.ts';
import { registerCount } from './codec/types.ts';
import type { ProfilePoint } from './profile.ts';
import type { DevicePoller } from './transport/poller.ts';

export interface CommandRequest { op?: 'write' | 'read'; device?: string; point?: string; value?: unknown }

const invalid = (message: string, field: string) => new LifelineError('COMMAND_INVALID', message, { details: { path: `/${field}` } });

/** Find the device (hub code or host:port/unit) and point a command names; validate the request's shape. */
export function resolveCommand(req: unknown, pollers: readonly DevicePoller[], codeOf: (key: string) => string | undefined = () => undefined): { poller: DevicePoller; point: ProfilePoint; op: 'write' | 'read'; value?: unknown } {
  if (!req || typeof req !== 'object' || Array.isArray(req)) throw invalid('the command must be an object {op, device, point, value}', '');
  const r = req as CommandRequest;
  const op = r.op ?? (r.value === undefined ? 'read' : 'write');
  if (op !== 'write' && op !== 'read') throw invalid('op must be "write" or "read"', 'op');
  if (typeof r.device !== 'string' || !r.device) throw invalid('device: the hub device code or host:port/unit', 'device');
  const poller = pollers.find((p) => p.o.device === r.device || p.key === r.device) ?? pollers.find((p) => codeOf(p.key) === r.device);
  if (!poller) throw invalid(`device "${r.device}" is not polled by this adapter`, 'device');
  if (typeof r.point !== 'string') throw invalid('point: the point name in the device\'s register map', 'point');
  const point = poller.o.points.find((p) => p.name === r.point);
  if (!point) throw invalid(`device "${r.device}" has no point "${r.point}"`, 'point');
  if (op === 'write') {
    if (!poller.o.writes) throw new LifelineError('MODBUS_WRITE_DISABLED', `writes are disabled for ${poller.key} (set writes: true on the device)`);
    if (!point.writable) throw new LifelineError('MODBUS_WRITE_DISABLED', `point "${point.name}" is not writable (set writable: true in its map)`);
    if (point.function !== 'holding_registers' && point.function !== 'coils') throw new LifelineError('MODBUS_WRITE_DISABLED', `${point.function} are read-only`);
    const v = r.value;
    const okType = point.type === 'string' ? typeof v === 'string' : typeof v === 'number' || typeof v === 'boolean';
    if (!okType) throw invalid(`value: ${point.type === 'string' ? 'a string' : 'a number (or boolean)'} for ${point.type} point "${point.name}"`, 'value');
  }
  return { poller, point, op, value: r.value };
}

/** Read a point's raw registers and decode (and scale) them. */
async function readPoint(poller: DevicePoller, point: ProfilePoint) {
  const n = point.function === 'coils' || point.function === 'discrete_inputs' ? 1 : registerCount(point);
  const words = await poller.conn.read(point.function, point.address, n);
  const raw = decodeRegisters(words, point);
  return { registers: words, value: typeof raw === 'number' ? scaleValue(raw, point.scale, point.offset) : raw };
}

/** Run a command on the device's queue; resolves with what was written and read back. */
export async function runCommand(req: unknown, pollers: readonly DevicePoller[], codeOf?: (key: string) => string | undefined) {
  const { poller, point, op, value } = resolveCommand(req, pollers, codeOf);
  // Encode before touching the device, so a bad value never reaches it.
  const raw = typeof value === 'number' ? unscaleValue(value, point.scale, point.offset) : (value as string | boolean | undefined);
  if (op === 'write' && point.type !== 'bit') encodeRegisters(raw!, point);
  if (!poller.conn.open) throw new LifelineError('DEVICE_NOT_CONNECTED', `${poller.key} is not connected right now (see the adapter's health)`);
  return poller.exclusive(async () => {
    const base = { device: poller.o.device ?? poller.key, key: poller.key, point: point.name, function: point.function, address: point.address };
    if (op === 'read') return { ...base, ...(await readPoint(poller, point)) };
    const current = point.type === 'bit' ? (await poller.conn.read(point.function, point.address, 1))[0] : undefined;
    const words = encodeRegisters(raw!, point, current);
    await poller.conn.write(point.function as 'holding_registers' | 'coils', point.address, words);
    const back = await readPoint(poller, point);
    return { ...base, written: words, registers: back.registers, value: back.value };
  });
}
