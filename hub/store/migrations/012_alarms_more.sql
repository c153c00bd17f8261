-- Alarms, continued (issue 14, docs/alarms.md): what rate_of_change, stuck and quality rules remember between readings,
-- the device-offline alarm (one per device, no point), and rules added through the admin API (/v1/alarm-rules).

-- rate_of_change: the readings of its window; stuck: the run's value and length; quality: the run of bad readings.
ALTER TABLE alarm_rule_state ADD COLUMN memo jsonb;

-- A device-offline alarm belongs to a device, not a point: at most one active per device.
ALTER TABLE alarm ALTER COLUMN point_id DROP NOT NULL;
CREATE UNIQUE INDEX alarm_one_offline ON alarm (device_id) WHERE active AND kind = 'offline';
-- The board groups by site, device and type; the SSE stream reads events after an id (the primary key).
CREATE INDEX alarm_board ON alarm (site_id, device_id, type);

-- Overrides added through the API, applied after the config's at each scope (site < device < point).
CREATE TABLE alarm_rule_override (
  id bigserial PRIMARY KEY,
  doc jsonb NOT NULL,
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
