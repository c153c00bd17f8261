// Names for people, in Chinese, of what alarms carry as snake_case codes: shared by the board, notifications and the
// operator console (which adds the English). No imports, so the console's browser bundle can take this file.

// 报警类型 as the seed's real-time alarm table shows them (the board, notifications).
export const TYPE_NAMES: Record<string, string> = {
  over_upper_limit: '超上限', under_lower_limit: '超下限', rising_fast: '上升过快', falling_fast: '下降过快',
  stuck_value: '数据不变', bad_quality: '数据异常', no_data: '数据中断', device_offline: '设备离线',
};

// Handling states (处置状态) as the seed's table and notifications name them.
export const STATE_NAMES: Record<string, string> = { open: '待接警', acknowledged: '已接警', assessed: '已研判', dispatched: '已派单', resolved: '已处置', archived: '已归档' };

// Alarm events (the alarm's history) as notifications name them.
export const EVENT_NAMES: Record<string, string> = {
  raised: '报警', escalated: '升级', de_escalated: '降级', cleared: '解除',
  acknowledged: '接警', assessed: '研判', dispatched: '派单', resolved: '处置', archived: '归档',
};
