// The Modbus live-device clauses, as data: what the kit checks when it reads a PLC or RTU against the register map
// (device profile) the vendor ships for it. Protocol references are the Modbus Application Protocol Specification
// V1.1b3 (function codes, exception responses) and Modbus Messaging on TCP/IP Implementation Guide V1.0b (MBAP).
import type { ClauseSpec, Profile } from '../model.ts';

const APP = 'Modbus Application Protocol V1.1b3';
const TCP = 'Modbus Messaging on TCP/IP Implementation Guide V1.0b';
const c = (id: string, level: ClauseSpec['level'], title: string, title_zh: string, traces: string, method: string, needs: string[] = []): ClauseSpec =>
  ({ id: `MODBUS-${id}`, level, title, title_zh, traces, needs, method });

export const modbusDeviceClauses: ClauseSpec[] = [
  c('CONN-001', 'MUST', 'the device accepts a TCP connection and answers its unit id', '设备接受 TCP 连接并响应其单元号', `${TCP} (MBAP header: unit identifier)`,
    'The kit connects to --host:--port and reads the first register of the map with --unit; some answer (data or exception) must come within the timeout.'),
  c('READ-001', 'MUST', 'every register of the map reads with its function code', '寄存器表中每个点位可按其功能码读取', `${APP} §6.1–6.4 (FC 01, 02, 03, 04)`,
    'Each point is read on its own (its function code, address and register count); every read must answer data, never an exception or silence. The function codes used are listed.'),
  c('READ-002', 'SHOULD', 'the merged reads the adapter makes are answered', '适配器合并读取的请求可被响应', `${APP} §6.3 (quantity 1–125); lifeline modbus_tcp request planner`,
    'The map is planned as the modbus_tcp adapter plans it (adjacent points merged across gaps of up to 8 registers / 64 bits); each merged request must answer data, or the adapter needs max_gap_registers: 0.'),
  c('FRAME-001', 'MUST', 'answers are well-formed MBAP frames', '响应帧结构正确（MBAP）', `${TCP} (MBAP header); ${APP} §6`,
    'Protocol id 0, length matching the frame, unit id and function code echoed, byte count 2 × quantity (registers) or ⌈quantity / 8⌉ (bits).'),
  c('EXC-001', 'MUST', 'an address outside the map answers an exception, not silence', '表外地址返回异常响应而非超时', `${APP} §7 (exception responses)`,
    'The kit reads one register past the end of the map (then address 65535, or --unmapped ADDR); the device must answer an exception response. A timeout makes every poll of a mistyped map wait out the timeout.'),
  c('EXC-002', 'SHOULD', 'the exception for an unmapped address is 02 ILLEGAL DATA ADDRESS', '表外地址的异常码为 02（非法数据地址）', `${APP} §7 (exception code 02)`,
    'The exception code of EXC-001\'s answer is 2; 4 SERVER DEVICE FAILURE and others hide the cause from operators.'),
  c('VAL-001', 'MUST', 'values are plausible against the indicator spec', '数值符合监测指标的量程', 'lifeline indicator catalogue (schemas/indicators/*.yaml, from the solution\'s tables 1–5)',
    'Each point with an `indicator` decodes (scale, offset) and converts (UCUM) from its unit to the indicator\'s; it must lie in the indicator\'s valid range. Points without an indicator must decode to a finite number. A sentinel (fault) value is reported, not judged.'),
  c('ORDER-001', 'MUST', 'multi-register values are in the declared byte order', '多寄存器数值的字节序与声明一致', `${APP} §4.2 (big-endian registers); register map \`order\` (ABCD, CDAB, BADC, DCBA)`,
    'Each 32/64-bit point is decoded in all four orders; when the declared order gives NaN, ±∞, a denormal crumb, |x| > 10⁹ or a value more than 100 spans outside the indicator\'s range, and another order gives a value within it (or a finite, ordinary one without an indicator), the finding names that order. A value merely out of range is VAL-001\'s.'),
  c('TIME-001', 'MUST', 'every request is answered within the timeout', '每个请求在超时时间内得到响应', 'lifeline modbus_tcp adapter (timeout_ms, default 1000 ms)',
    'No request of the run goes unanswered for --timeout-ms (default 1000 ms, the adapter\'s default).'),
  c('TIME-002', 'SHOULD', 'answers are quick enough for one-second polling', '响应时间满足 1 秒轮询', 'lifeline modbus_tcp adapter (interval_ms, default 1000 ms)',
    'Median response time ≤ 100 ms and 95th percentile ≤ 500 ms over every request of the run (each point is read --rounds times, default 3).'),
];

export const modbusDeviceProfile: Profile = {
  id: 'modbus-device', title: 'Modbus TCP device', title_zh: 'Modbus TCP 设备', subject: 'a PLC or RTU on Modbus TCP (or a serial gateway), against the register map (device profile) shipped for it',
  clauses: modbusDeviceClauses.map((x) => x.id),
};
