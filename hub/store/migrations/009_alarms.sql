-- Alarms (issue 14, docs/alarms.md). The evaluator follows the outbox with its own cursor (rollup_cursor row
-- 'alarms', so the outbox pruner keeps what it has not read) and commits rule state, alarms, events and its cursor in
-- one transaction: a crash loses or doubles nothing.

-- One episode of one rule on one point. `active` while the condition holds; at most one active alarm per (rule, point).
CREATE TABLE alarm (
  id bigserial PRIMARY KEY,
  rule text NOT NULL,
  kind text NOT NULL,
  type text NOT NULL,
  point_id integer NOT NULL,
  device_id integer NOT NULL,
  site_id integer NOT NULL,
  indicator text NOT NULL,
  level smallint NOT NULL,
  peak_level smallint NOT NULL,
  peak_value double precision,
  latest_value double precision,
  first_time timestamptz NOT NULL,
  latest_time timestamptz NOT NULL,
  count integer NOT NULL DEFAULT 1,
  active boolean NOT NULL DEFAULT true,
  cleared_time timestamptz,
  state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'assessed', 'dispatched', 'resolved', 'archived')),
  assignee text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alarm_one_active ON alarm (rule, point_id) WHERE active;
CREATE INDEX alarm_first_time ON alarm (first_time);

-- Every change of an alarm, once: evaluator events (raised, escalated, de_escalated, cleared) and handling transitions.
CREATE TABLE alarm_event (
  id bigserial PRIMARY KEY,
  alarm_id bigint NOT NULL REFERENCES alarm(id),
  type text NOT NULL,
  at timestamptz NOT NULL,
  level smallint,
  value double precision,
  by_name text,
  note text,
  assignee text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alarm_event_alarm ON alarm_event (alarm_id, id);

-- Rule state per (rule, point): the level a run of readings indicates and how long it has, the last reading seen
-- (no_data) and the active alarm.
CREATE TABLE alarm_rule_state (
  rule text NOT NULL,
  point_id integer NOT NULL,
  level smallint NOT NULL DEFAULT 0,
  candidate smallint NOT NULL DEFAULT 0,
  candidate_count integer NOT NULL DEFAULT 0,
  candidate_since timestamptz,
  last_time timestamptz,
  alarm_id bigint,
  PRIMARY KEY (rule, point_id)
);
