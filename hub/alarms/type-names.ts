// 报警类型 as the seed's real-time alarm table shows them (the board, notifications).
export const TYPE_NAMES: Record<string, string> = {
  over_upper_limit: '超上限', under_lower_limit: '超下限', rising_fast: '上升过快', falling_fast: '下降过快',
  stuck_value: '数据不变', bad_quality: '数据异常', no_data: '数据中断', device_offline: '设备离线',
};
