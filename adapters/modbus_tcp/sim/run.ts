// `lifeline sim modbus`: N simulated devices on one or more ports, values moving every second, faults on cue.
import { ModbusSimServer, type UnitBehaviour } from './server.ts';
import { simDevices, updateImage, type SimDevice, type SimLayout } from './devices.ts';

export interface ModbusSim {
  devices: SimDevice[];
  servers: Map<number, ModbusSimServer>;
  /** Faults for one device (by index) or every device. */
  setBehaviour(device: number | '*', b: UnitBehaviour): void;
  /** Close every client connection (the servers keep listening). */
  dropConnections(): void;
  /** Close one port's server and reopen it on the same port after `downMs` (a PLC power cycle). */
  powerCycle(port: number, downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RunSimOptions extends Omit<SimLayout, 'ports'> {
  /** Ports to listen on; 0 = any free port (then devices are spread over `portCount` servers). */
  ports?: number[];
  portCount?: number;
  /** How often the values move (ms, default 1000; 0: never). */
  updateMs?: number;
}

export async function runModbusSim(o: RunSimOptions): Promise<ModbusSim> {
  const servers = new Map<number, ModbusSimServer>();
  const wanted = o.ports?.length ? o.ports : Array.from({ length: o.portCount ?? 1 }, () => 0);
  const ports: number[] = [];
  try {
    for (const p of wanted) {
      const s = new ModbusSimServer({ host: o.host ?? '127.0.0.1' });
      const port = await s.listen(p);
      servers.set(port, s);
      ports.push(port);
    }
  } catch (e) { for (const s of servers.values()) await s.close(); throw e; }
  const devices = simDevices({ ...o, ports });
  for (const d of devices) {
    const s = servers.get(d.port)!;
    s.units.set(d.unitId, d.image);
  }
  for (const [port, s] of servers) {
    s.onWrite = (unit, fn, address) => {
      const d = devices.find((x) => x.port === port && x.unitId === unit);
      d?.profile.points.filter((p) => p.function === fn && p.address === address).forEach((p) => d.pinned.add(`${p.function}:${p.address}`));
    };
  }
  const tick = o.updateMs === 0 ? undefined : setInterval(() => { const t = Date.now(); for (const d of devices) updateImage(d, t); }, o.updateMs ?? 1000);
  tick?.unref();
  return {
    devices, servers,
    setBehaviour(device, b) {
      if (device === '*') { for (const s of servers.values()) s.behaviour.set('*', b); return; }
      const d = devices[device];
      if (!d) throw new Error(`no simulated device ${device}`);
      servers.get(d.port)!.behaviour.set(d.unitId, b);
    },
    dropConnections() { for (const s of servers.values()) s.dropConnections(); },
    async powerCycle(port, downMs) {
      const s = servers.get(port);
      if (!s) throw new Error(`no simulated server on port ${port}`);
      await s.close();
      await new Promise((r) => setTimeout(r, downMs));
      await s.listen(port);
    },
    async stop() { clearInterval(tick); await Promise.all([...servers.values()].map((s) => s.close())); },
  };
}
