// Register-level types of the Modbus TCP adapter: what a point is, how its registers are laid out.

/** Modbus data tables (function codes 1, 2, 3, 4 to read; 5/15 and 6/16 to write). */
export type ModbusFunction = 'coils' | 'discrete_inputs' | 'holding_registers' | 'input_registers';

/** Value types a point can have. `bool` is the type of coils and discrete inputs. */
export type DataType =
  | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'int64' | 'uint64'
  | 'bit' | 'bcd16' | 'bcd32' | 'string' | 'bool';

/**
 * Byte layout of a multi-register value, named by where the big-endian bytes A B C D land.
 * ABCD: words and bytes big-endian (Modbus default). CDAB: words swapped. BADC: bytes swapped in each word.
 * DCBA: fully little-endian. For 64-bit values the same rule applies to all four words.
 */
export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export const DATA_TYPES: readonly DataType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'int64', 'uint64', 'bit', 'bcd16', 'bcd32', 'string', 'bool'];
export const BYTE_ORDERS: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
export const FUNCTIONS: readonly ModbusFunction[] = ['coils', 'discrete_inputs', 'holding_registers', 'input_registers'];

/** How one value is stored: enough to decode it from registers/bits and encode it back. */
export interface Layout {
  type: DataType;
  /** Default ABCD. */
  order?: ByteOrder;
  /** For `bit`: bit index 0 (LSB) … 15 in the 16-bit register (after byte order). */
  bit?: number;
  /** For `string`: number of registers (2 characters each). */
  length?: number;
}

/** One point of a register map (a profile entry), after defaults. */
export interface PointSpec extends Layout {
  /** Source field name: unique in the map; becomes SourceReading.field. */
  name: string;
  function: ModbusFunction;
  /** 0-based protocol address (register or bit number in the request PDU). */
  address: number;
  /** value = raw × scale + offset. Default 1. */
  scale?: number;
  /** Default 0. */
  offset?: number;
  /** Source unit (UCUM) of the scaled value. */
  unit?: string;
  /** Indicator this point measures (used by the simulator's registry output). */
  indicator?: string;
  /** Raw decoded values meaning "sensor fault" (number, or "NaN"). */
  sentinels?: Array<number | string>;
  /** Allow writes to this point (a holding register or coil) when the device allows writes. */
  writable?: boolean;
  /** Display name. */
  title?: string;
}

export const isBitFunction = (f: ModbusFunction): boolean => f === 'coils' || f === 'discrete_inputs';

/** Registers a layout occupies (bits: 1). */
export function registerCount(l: Layout): number {
  switch (l.type) {
    case 'bool': case 'int16': case 'uint16': case 'bit': case 'bcd16': return 1;
    case 'int32': case 'uint32': case 'float32': case 'bcd32': return 2;
    case 'float64': case 'int64': case 'uint64': return 4;
    case 'string': return l.length ?? 1;
  }
}
