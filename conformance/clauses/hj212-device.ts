// The HJ 212 live-device clauses, as data: what the kit checks when it plays the platform to a data collector
// (数采仪). Sections and tables are those of HJ 212-2017 as summarised in the project's protocol notes; HJ 212-2025
// items come from caoyiliang/HJ212 (not checked against the 2025 text) and say so.
import type { ClauseSpec } from '../model.ts';
import { sourceFlags } from '../../schemas/generated/enums.ts';

const S17 = 'HJ 212-2017';
const c = (id: string, level: ClauseSpec['level'], title: string, title_zh: string, traces: string, needs: string[], method: string): ClauseSpec =>
  ({ id: `HJ212-${id}`, level, title, title_zh, traces, needs: ['hj212', ...needs], method });

export const hj212DeviceClauses: ClauseSpec[] = [
  c('CONN-001', 'MUST', 'the device connects and sends data uploads', '现场机主动连接并上传数据', `${S17} §6.1 (the field device opens the connection)`, [],
    'The kit listens; at least one data upload from the declared MN must arrive during the run.'),

  c('FRAME-001', 'MUST', '"##" header and a 4-digit length equal to the data segment\'s bytes', '包头 "##" 与数据段长度', `${S17} §6.3 (通讯包结构)`, [],
    'Every byte received belongs to a frame whose length field lands exactly on CRC + CRLF (bytes, not characters).'),
  c('FRAME-002', 'MUST', 'each frame ends with CR LF', '包尾 <CR><LF>', `${S17} §6.3 (通讯包结构)`, [],
    'The two bytes after the CRC are 0x0D 0x0A; a bare LF or bytes after the trailer are findings.'),
  c('FRAME-003', 'MUST', 'CRC by the standard\'s algorithm (Appendix A, not CRC-16/MODBUS)', 'CRC 校验按附录 A 算法', `${S17} Appendix A`, [],
    'Every CRC is recomputed with the Appendix A algorithm; a CRC that matches another dialect (modbus, modbus_le) is reported by name.'),
  c('FRAME-004', 'SHOULD', 'CRC written as 4 uppercase hex digits', 'CRC 为 4 位大写十六进制', `${S17} Appendix A (example 1C80)`, [],
    'Lowercase or unpadded CRCs are accepted by few platforms (IceCoffee, srdgame and caoyiliang compare uppercase strings).'),
  c('FRAME-005', 'MUST', 'data segment at most 1024 bytes', '数据段不超过 1024 字节', `${S17} §6.3; Table 3`, [],
    'The length field of every frame is ≤ 1024; longer messages must be split (PNUM/PNO).'),
  c('FRAME-006', 'MUST', 'text is ASCII, Chinese in UTF-8', '字符为 ASCII，汉字为 UTF-8', `${S17} §6.3`, [],
    'Every data segment decodes as UTF-8 (GBK text is a finding).'),

  c('HDR-001', 'MUST', 'QN is 17 digits YYYYMMDDhhmmsszzz', '请求编码 QN 为 YYYYMMDDhhmmsszzz', `${S17} Table 3`, [],
    'Every frame the device starts carries a QN of 17 digits that reads as a valid date and time.'),
  c('HDR-002', 'MUST', 'QN unique per MN (reused only by a resend of the same frame)', '同一 MN 的 QN 唯一（仅重发时复用）', `${S17} Table 3; §6.1 (QN identifies one interaction)`, [],
    'Two frames from one MN with the same QN must be byte-identical (a resend); otherwise the QN was repeated.'),
  c('HDR-003', 'MUST', 'ST is a system code of Table 5 and the declared one', '系统编码 ST 符合表 5 且与声明一致', `${S17} Table 5`, [],
    'Uploads carry a known ST (91 only on answers) equal to the statement\'s `st` when declared.'),
  c('HDR-004', 'MUST', 'CN is a command code of the device\'s version', '命令编码 CN 属于所声明版本', `${S17} Table 9`, [],
    'Every CN the device sends is defined for its protocol version (Table 9; 9015 only in 2025).'),
  c('HDR-005', 'MUST', 'PW and MN are the declared ones', '访问密码 PW 与设备唯一标识 MN 与声明一致', `${S17} Table 3`, [],
    'Every frame carries the MN and PW given to the kit (--mn, --pw or the statement).'),
  c('HDR-006', 'MUST', 'Flag carries the declared version bits; uploads that expect an answer set A', '标志位 Flag 的版本号与应答位', `${S17} §6.3 (Flag = V5…V0 D A)`, [],
    'Flag >> 2 is the declared version on every frame; with retransmission declared, uploads set A=1.'),
  c('HDR-007', 'SHOULD', 'MN is 24 hex digits (EPC-96)', 'MN 为 24 位十六进制（EPC-96）', `${S17} Table 3`, [],
    'The 2017 MN is 24 characters 0-9A-F; other forms (14-character 2005 MNs, dashes) are reported.'),

  c('HDR-008', 'MUST', 'header fields are key=value; each once, in the standard\'s spelling', '数据段字段格式（键=值; 不重复、大小写正确）', `${S17} §6.3; Table 3`, [],
    'No comma separators, no missing ";" before CP=, no unknown, duplicated or mis-cased header keys.'),

  c('CP-001', 'MUST', 'CP follows the grammar (key=value, ; and , separators, no duplicate keys)', '数据区 CP 语法', `${S17} §6.3.3 (数据区); Table 4`, [],
    'Every CP parses in strict mode: no stray spaces, empty or isolated keys, duplicates; CP ≤ 950 bytes.'),
  c('CP-002', 'MUST', 'DataTime present and valid on every data upload', '数据上传含有效 DataTime', `${S17} Table 4; Appendix C`, [],
    'Uploads of 2011, 2051, 2061, 2031 carry DataTime=YYYYMMDDhhmmss with a real date.'),
  c('CP-003', 'MUST', 'DataTime within tolerance of the kit\'s clock in the declared zone', 'DataTime 为当地时间且与平台时钟一致', `${S17} Table 4 (DataTime); §6.7 (time calibration)`, [],
    '2011: |DataTime − arrival| ≤ tolerance; 2051/2061: the period start, arrival − DataTime within [−tolerance, interval + tolerance]. An offset that matches UTC is named.'),
  c('CP-004', 'SHOULD', 'factor codes in the standard\'s form, and the declared ones', '监测因子编码规范', `${S17} §6.3.3; HJ 524/HJ 525 codes`, [],
    '2017 codes are a letter (w, a, e, g, i) and 5 digits or a noise code (LA, L10 …); codes outside the declared `factors` are reported.'),
  c('CP-005', 'MUST', 'field suffixes are the standard\'s for the command', '字段后缀符合表 4', `${S17} Table 4`, [],
    '2011 items use Rtd/Flag/SampleTime/EFlag/ZsRtd; 2051/2061 use Avg/Min/Max/Cou/Flag (+Zs…).'),
  c('CP-006', 'MUST', `data flags are ${sourceFlags.slice(0, -1).join(', ')} or ${sourceFlags.at(-1)}`, `数据标记取值 ${sourceFlags.join('/')}`, `${S17} Table 8`, [],
    'Every -Flag value is one of the version\'s data flags.'),
  c('CP-007', 'MUST', 'measured values are decimal numbers', '监测值为十进制数', `${S17} Table 4 (N14.2 …)`, [],
    'Rtd/Avg/Min/Max/Cou values are decimal numbers (or empty for a missing value).'),

  c('CAD-001', 'MUST', 'real-time data (2011) at the declared interval', '实时数据 2011 按声明间隔上传', `${S17} §6.7; CN 1061/1062 (RtdInterval)`, ['hj212.upload.2011'],
    'Median and mean gap between first transmissions of 2011 within 10 % / 2 % (at least 0.2 s) of the declared interval.'),
  c('CAD-002', 'MUST', 'minute data (2051) every minute interval, DataTime the period start', '分钟数据 2051 按分钟间隔上传', `${S17} CN 1063/1064 (MinInterval); Appendix C`, ['hj212.upload.2051'],
    'As CAD-001 for 2051, and each DataTime is a period start (seconds of the day divisible by the interval).'),
  c('CAD-003', 'MUST', 'hour data (2061) every hour, DataTime the period start', '小时数据 2061 每小时上传', `${S17} Table 9 (2061); §6.7`, ['hj212.upload.2061'],
    'As CAD-002 for 2061 (interval 3600 s unless declared otherwise). A run shorter than two periods cannot judge it.'),

  c('RETX-001', 'MUST', 'an unanswered upload is resent with the same QN after OverTime', '未应答的上传在超时后以原 QN 重发', `${S17} §6.1; Table 1 (OverTime, ReCount)`, ['hj212.retransmission'],
    'The kit withholds the 9014 of one 2011 upload; the same bytes must come again after OverTime (±50 %).'),
  c('RETX-002', 'MUST', 'resent ReCount times, then no more', '重发 ReCount 次后停止', `${S17} §6.1; Table 1`, ['hj212.retransmission'],
    'With the 9014 withheld for good, exactly 1 + ReCount transmissions of that QN arrive.'),
  c('RETX-003', 'MUST', 'no resend once the 9014 arrived', '收到 9014 后不再重发', `${S17} §6.1; Appendix C (9014 数据应答)`, ['hj212.retransmission'],
    'The kit answers the first resend of a withheld upload; no further copy may follow, and no acknowledged QN is ever resent.'),
  c('NEG-001', 'MUST', 'a 9014 with a bad CRC is not an acknowledgement', 'CRC 错误的 9014 不视为应答', `${S17} §6.3 ("CRC 错误则命令结束"); Appendix A`, ['hj212.retransmission'],
    'The kit answers one upload with a 9014 whose CRC is wrong in every dialect; the device must resend it.'),
  c('NEG-002', 'MUST', 'a 9014 with another QN is not an acknowledgement', 'QN 不符的 9014 不视为应答', `${S17} Table 3 (QN); Appendix C`, ['hj212.retransmission'],
    'The kit answers one upload with a well-formed 9014 carrying a QN it never sent; the device must resend it.'),

  c('SEG-001', 'MUST', 'segmented uploads: D bit, PNUM and PNO consistent', '拆分包 PNUM/PNO 一致', `${S17} §6.3 (Flag D); Appendix C.47–C.50`, ['hj212.segmented_uploads'],
    'Packets with D=1 carry PNUM and PNO, 1 ≤ PNO ≤ PNUM, the same PNUM throughout, each PNO once and in order.'),
  c('SEG-002', 'MUST', 'each packet has its own QN and repeats DataTime', '每个拆分包独立 QN 并重复 DataTime', `${S17} Appendix C.47–C.50`, ['hj212.segmented_uploads'],
    'Packets of one message have distinct QNs, each starts its CP with DataTime (record-boundary split) and each is acknowledged on its own.'),

  c('HB-001', 'MUST', 'heartbeat (9015) at the declared interval, answered 9013', '心跳 9015 按声明间隔发送', 'HJ 212-2025 CN 9015 (from caoyiliang/HJ212; not checked against the 2025 text)', ['hj212.heartbeat'],
    '9015 frames with an empty CP and A=1 arrive with a median gap within 10 % (at least 0.2 s) of the declared interval; the kit answers each with 9013.'),

  c('CMD-001', 'MUST', 'get time (1011): 9011, then SystemTime close to the kit\'s clock', '提取现场机时间 1011', `${S17} Table 9 (1011); Appendix C`, ['hj212.command.1011'],
    'The kit sends 1011; the device answers 9011 QnRtn=1 and a 1011 with the request QN whose SystemTime is within tolerance.'),
  c('CMD-002', 'MUST', 'set time (1012): 9011, 9012, then DataTime follows the new time', '设置现场机时间 1012', `${S17} Table 9 (1012); §6.7`, ['hj212.command.1012', 'hj212.upload.2011'],
    'The kit sets the clock ahead by 3× the tolerance; after 9011 QnRtn=1 and 9012 ExeRtn=1 the next 2011 DataTime follows it; the kit then sets the clock back.'),
  c('CMD-003', 'MUST', 'history request: data in BeginTime…EndTime, then 9012', '历史数据提取', `${S17} Table 9 (2051/2061 request); Appendix C.20–C.23`, ['hj212.history'],
    'The kit asks for the declared history CN over the last periods; 9011 QnRtn=1, data frames whose DataTime lies in the range (new QNs), then 9012 ExeRtn=1 with the request QN.'),
  c('CMD-004', 'SHOULD', 'answers carry ST=91, the request QN and Flag without A', '应答 ST=91、原 QN、Flag 不置应答位', `${S17} §6.5; Appendix C`, ['hj212.command'],
    'Every 9011/9012 the device sends has ST=91, the QN of the kit\'s request and A=0.'),
];
