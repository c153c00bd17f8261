// generated — do not edit. Source: schemas/json/*.schema.json; run `npm run gen`.
/* eslint-disable */

/**
 * A rollup the hub derived from a point's stored rtd readings (derived: true) over one minute, hour or day bucket of the hub's time zone. Only readings with a value count; first and last are the earliest and latest of them (time and value). Source-sent aggregates (HJ 212 minute/hour/day data) are observations of kind min/hour/day, not aggregates.
 */
export interface Aggregate {
  /**
   * Point code.
   */
  point: string;
  /**
   * Device code.
   */
  device: string;
  /**
   * Site code.
   */
  site: string;
  /**
   * Indicator code.
   */
  indicator: string;
  domain: Domain;
  /**
   * Canonical UCUM unit of the indicator.
   */
  unit: string;
  /**
   * Bucket length: minute, hour or day of the hub's time zone.
   */
  interval: "1m" | "1h" | "1d";
  /**
   * Bucket start (inclusive), UTC.
   */
  bucket: string;
  avg: number;
  min: number;
  max: number;
  /**
   * Readings with a value in the bucket.
   */
  count: number;
  first: TimedValue;
  last: TimedValue;
  /**
   * Readings counted whose source flag is not N or that carry out_of_range, future_time, uncertain or bad.
   */
  flagged: number;
  /**
   * Always true: computed by the hub, not sent by a source.
   */
  derived: true;
}
export interface TimedValue {
  time: string;
  value: number;
}

/**
 * One change of an alarm, recorded exactly once: by the evaluator (raised, escalated, de_escalated, cleared) or by a handling transition through the API.
 */
export interface AlarmEvent {
  id: string;
  alarm: string;
  type:
    | "raised"
    | "escalated"
    | "de_escalated"
    | "cleared"
    | "acknowledged"
    | "assessed"
    | "dispatched"
    | "resolved"
    | "archived";
  /**
   * Evaluator events: the reading's time (no_data: the hub clock). Transitions: the hub clock.
   */
  at: string;
  /**
   * The alarm's level after the change.
   */
  level?: number | null;
  /**
   * The reading that caused it (evaluator events).
   */
  value?: number | null;
  /**
   * API key name (transitions); null for the evaluator.
   */
  by?: string | null;
  note?: string | null;
  assignee?: string | null;
}

/**
 * One alarm event as a publish target with stream: alarms receives it (docs/alarms.md#notifications): the event and the alarm after it, as GET /v1/alarms/{id} shows the alarm. Each event is enqueued once, in the transaction that made the change.
 */
export interface AlarmNotification {
  /**
   * The change: raised, escalated, de_escalated, cleared or a handling step.
   */
  event: AlarmEvent;
  /**
   * The alarm when the notification was built (its current level, state and counts).
   */
  alarm: Alarm;
}

/**
 * An alarm rule as data: the defaults of an indicator (schemas/indicators/*.yaml, `alarm_rules`) or an override in the hub config (`alarms.overrides`). docs/alarms.md is the reference.
 */
export interface AlarmRule {
  /**
   * Rule id, snake_case, unique among the rules of one point: an override with the same id replaces the default.
   */
  id: string;
  /**
   * threshold: value above (upper) or below (lower) level limits; rate_of_change: the change over `window_s` (latest value minus the value `window_s` before) above (upper, a rise) or below (lower, a fall; negative limits) level limits; stuck: the same value (within `tolerance`) `readings` times in a row; quality: `readings` readings in a row flagged bad by the source or the hub, or HJ 212 D (sensor fault); no_data: nothing from the point for `intervals` × `expected_interval_s`.
   */
  kind: "threshold" | "rate_of_change" | "stuck" | "quality" | "no_data";
  /**
   * What the rule watches, for people.
   */
  description?: string;
  /**
   * Where the limits come from (standard and clause), or `hub default` when no standard gives them.
   */
  source?: string;
  /**
   * false switches the rule off (an override with only `id`, `kind` and `enabled: false` disables a default).
   */
  enabled?: boolean;
  /**
   * threshold, rate_of_change: upper raises when the value reaches `raise` or more, lower when it falls to `raise` or less.
   */
  direction?: "upper" | "lower";
  /**
   * threshold, rate_of_change: UCUM unit of `raise` and `clear` (converted to the indicator's unit; `%{LEL}` through the indicator's lel_percent_vol). Default: the indicator's unit.
   */
  unit?: string;
  /**
   * threshold, rate_of_change: one entry per level used (level numbers as in `alarms.levels`, 1 most severe). Each level's raise value is beyond the clear value (hysteresis).
   *
   * @minItems 1
   * @maxItems 4
   */
  levels?:
    | [
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        }
      ]
    | [
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        },
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        }
      ]
    | [
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        },
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        },
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        }
      ]
    | [
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        },
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        },
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        },
        {
          /**
           * Alarm level (1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级 by default).
           */
          level: number;
          /**
           * Reaching this value (upper: ≥, lower: ≤) indicates the level.
           */
          raise: number;
          /**
           * Once at the level, the value must get past this one (upper: ≤, lower: ≥) to leave it.
           */
          clear: number;
        }
      ];
  /**
   * threshold, rate_of_change: how long a new level (raise, escalate, de-escalate, clear) must be indicated before it is taken: `readings` consecutive readings, or `seconds` since the first of them. Default 1 reading.
   */
  for?: {
    /**
     * Consecutive readings.
     */
    readings?: number;
    /**
     * Seconds from the first reading indicating the new level to the latest one.
     */
    seconds?: number;
  };
  /**
   * no_data: the point's expected reporting interval (s). Default: the point's `expected_interval_s` in the registry, else the indicator's.
   */
  expected_interval_s?: number;
  /**
   * rate_of_change: the window (s) the change is taken over.
   */
  window_s?: number;
  /**
   * stuck, quality: how many readings in a row raise.
   */
  readings?: number;
  /**
   * stuck: readings within this of the first of the run count as the same value (indicator unit).
   */
  tolerance?: number;
  /**
   * no_data: raise after this many expected intervals without a reading.
   */
  intervals?: number;
  /**
   * no_data, stuck, quality: the level of the alarm it raises.
   */
  level?: number;
}

/**
 * An alarm: one episode of one rule on one point (the seed's real-time alarm table: 站名, 所属企业, 站址, 报警设备, 报警时间, 最新报警时间, 报警次数, 报警类型), and where its handling (处置闭环) stands.
 */
export interface Alarm {
  id: string;
  /**
   * The rule's id (alarm-rule `id`).
   */
  rule: string;
  /**
   * Site code (站名 via the registry).
   */
  site: string;
  /**
   * Device code (报警设备).
   */
  device: string;
  /**
   * Point code; null for a device alarm (device_offline).
   */
  point: string | null;
  indicator: string;
  domain?: string;
  /**
   * Current level: 1 most severe (by default 1 red 一级, 2 orange 二级, 3 yellow 三级, 4 blue 四级; config alarms.levels).
   */
  level: number;
  /**
   * Alarm type (报警类型), snake_case: over_upper_limit, under_lower_limit, rising_fast, falling_fast, stuck_value, bad_quality, no_data, device_offline.
   */
  type: string;
  /**
   * 报警时间.
   */
  first_time: string;
  /**
   * 最新报警时间.
   */
  latest_time: string;
  /**
   * 报警次数: readings that indicated an alarm level while the alarm was active (1 for no_data).
   */
  count: number;
  /**
   * Highest (upper) or lowest (lower) value while active, in the indicator's unit; null for no_data.
   */
  peak_value?: number | null;
  /**
   * Handling state: open → acknowledged (接警) → assessed (研判) → dispatched (派单) → resolved (处置/反馈) → archived (归档).
   */
  state: "open" | "acknowledged" | "assessed" | "dispatched" | "resolved" | "archived";
  /**
   * The level's name from alarms.levels (一级 …).
   */
  level_name?: string;
  /**
   * The level's colour from alarms.levels (red …).
   */
  level_colour?: string;
  /**
   * Most severe level the alarm reached.
   */
  peak_level?: number;
  /**
   * Value of the latest reading that indicated an alarm level.
   */
  latest_value?: number | null;
  /**
   * true while the condition holds; false once cleared. At most one active alarm per (rule, point).
   */
  active: boolean;
  /**
   * When the clear took effect (reading time; for no_data the time data returned).
   */
  cleared_time?: string | null;
  /**
   * Who it was dispatched to.
   */
  assignee?: string | null;
  /**
   * Acknowledge by (first_time + ack_within_s of peak_level); null without a deadline.
   */
  ack_due?: string | null;
  /**
   * Resolve by (first_time + resolve_within_s of peak_level); null without a deadline.
   */
  resolve_due?: string | null;
  /**
   * true when still open past ack_due, or not yet resolved past resolve_due (on the hub clock).
   */
  overdue?: boolean;
  /**
   * Every change, in order (GET /v1/alarms/{id} only).
   */
  events?: AlarmEvent[];
  /**
   * The readings that raised it (GET /v1/alarms/{id} only): its point's real-time observations from what the rule looked at before the raise (its window, duration or run) to the clear (or the latest reading while active), at most ?readings. Empty for a device alarm.
   */
  observations?: Observation[];
  /**
   * true when the window holds more readings than were included (GET /v1/alarms/{id} only).
   */
  observations_truncated?: boolean;
}

/**
 * A registry code: letters, digits, and . _ : - ; starts with a letter or digit.
 */
export type Code = string;

/**
 * The hub's YAML configuration file. Each adapter's own schema is composed in under `adapters.<id>` at load time.
 */
export interface Config {
  /**
   * Where the embedded store (PGlite) and the hub's own files live.
   */
  data_dir?: string;
  /**
   * IANA zone for source times that carry no offset, and whose minute/hour/day boundaries the derived rollups (GET /v1/observations/aggregate) follow.
   */
  timezone?: string;
  /**
   * The HTTP API server.
   */
  server?: {
    /**
     * Listen address. The default serves this machine only (loopback); set 0.0.0.0 (every interface) or one interface's address to serve other machines.
     */
    host?: string;
    /**
     * Listen port (0 = any free port).
     */
    port?: number;
    /**
     * Largest request body accepted.
     */
    body_limit_bytes?: number;
    /**
     * Behind a reverse proxy: whose X-Forwarded-For/-Host/-Proto headers to believe, so the links the hub writes (SensorThings @iot.selfLink and @iot.nextLink) name the address clients use. false: nobody's (the headers are ignored); true: any peer's; a list: only peers with these addresses or CIDR ranges (the proxy's). Set it only when every request comes through the proxy.
     */
    trust_proxy?: boolean | [string, ...string[]];
  };
  /**
   * Where observations are committed. Without `url` (and without DATABASE_URL) the embedded PGlite store in data_dir is used.
   */
  store?: {
    /**
     * PostgreSQL connection URL; the DATABASE_URL environment variable overrides it.
     */
    url?: string;
    /**
     * PostgreSQL connections.
     */
    pool_size?: number;
    /**
     * The embedded store's page cache (its PostgreSQL shared_buffers), in MB. It is allocated and zeroed when the hub starts (about 4 ms of CPU per MB: 128 MB is half a second). Less suits a small gateway; more keeps more of a large store in memory. Not used with PostgreSQL.
     */
    embedded_cache_mb?: number;
    /**
     * Observation partitions are created this many days ahead (hourly, and at start). A reading outside them still commits, into a DEFAULT partition, and is moved into its own partition by the next run.
     */
    partitions_ahead_days?: number;
    /**
     * The hourly upkeep packs a time partition this many days after its range ended: its rows become one row per point and kind with the readings as arrays (about a third of the bytes; docs/store.md#packed-days). Reads are unchanged; late data into a packed day still commits, deduplicated against the packs, and is packed at the next run. null never packs (partitions already packed stay packed).
     */
    pack_closed_days?: number | null;
    /**
     * The hourly upkeep also packs the days not yet packed whole (rtd and min: today's, and yesterday's until pack_closed_days), an hour at a time: the readings of every whole hour that ended this many hours ago or more become packs, a slice of points at a time, and leave the partition (docs/store.md#packed-hours). One point's last day then reads a pack per hour instead of a heap page per reading. null packs whole days only. Ignored when pack_closed_days is null.
     */
    pack_hours_after?: number | null;
    /**
     * Days of observations kept, per kind; null keeps them for ever. Applied hourly by dropping whole partitions (a day of rtd/min, a month of hour, a year of day) once their whole range is older; never row by row.
     */
    retention?: {
      /**
       * Instant values.
       */
      rtd?: number | null;
      /**
       * Minute aggregates (HJ 212 2051).
       */
      min?: number | null;
      /**
       * Hour aggregates (HJ 212 2061); kept by default.
       */
      hour?: number | null;
      /**
       * Day aggregates (HJ 212 2031); kept by default.
       */
      day?: number | null;
    };
  };
  log?: {
    /**
     * pino log level.
     */
    level?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  };
  ingest?: {
    /**
     * A reading timed further ahead of its receipt than this is flagged future_time.
     */
    future_tolerance_s?: number;
    /**
     * An rtd reading older than this at receipt is flagged late (0 disables).
     */
    late_after_s?: number;
  };
  /**
   * File uploads (POST /v1/uploads, `lifeline upload`; docs/uploads.md).
   */
  uploads?: {
    /**
     * Largest file accepted (413 UPLOAD_TOO_LARGE above it). Files are spooled to data_dir/uploads while they are processed.
     */
    max_bytes?: number;
    /**
     * A folder of your own table profiles (<name>.yaml), named by uploads before the shipped ones; relative to the config file.
     */
    profiles_dir?: string;
    /**
     * Data rows committed per transaction (with the upload's row offset).
     */
    batch_rows?: number;
  };
  api?: {
    /**
     * API keys, stored hashed. Make a hash with `lifeline hash-key`. Send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
     */
    keys?: {
      /**
       * Who holds the key (shown in logs and audit).
       */
      name: string;
      /**
       * sha256 of the key, as printed by `lifeline hash-key`.
       */
      hash: string;
      /**
       * read: pull data; ingest: push data; admin: edit the registry (and everything read and ingest may).
       *
       * @minItems 1
       */
      scopes: ["read" | "ingest" | "admin", ...("read" | "ingest" | "admin")[]];
      /**
       * Limit the key to some enterprises, regions (行政区划代码), domains and sites (docs/api.md#scoped-keys). Only with scopes [read]. Without it the key sees everything.
       */
      scope?: DataScope;
    }[];
    /**
     * The pull audit: one row per data read (key, route, filter, rows, bytes, time), readable at GET /v1/audit (admin).
     */
    audit?: {
      /**
       * Record data reads.
       */
      enabled?: boolean;
      /**
       * Audit rows older than this are deleted by the hourly store upkeep; null keeps them for ever.
       */
      retention_days?: number | null;
      /**
       * Audit rows are written in batches, at most this long after the read (or sooner, every 500 rows).
       */
      flush_ms?: number;
    };
  };
  /**
   * Sites, devices and points. Applied on start (upsert by code); entities created through the admin API are kept.
   */
  registry?: {
    sites?: Site[];
    devices?: Device[];
    points?: Point[];
  };
  /**
   * Third-party adapters: a file path (relative to the config file) or an npm package name, each default-exporting defineAdapter(...).
   */
  plugins?: string[];
  /**
   * Push stored observations (or alarm events: stream: alarms) to upstream platforms (docs/publishing.md). Each target gets its own ordered stream of batches with retries, backoff and a dead-letter list.
   */
  publish?: {
    /**
     * embedded: drain the store's outbox in this process; bullmq: share the work between hub processes through BullMQ on Redis. Default: bullmq when redis_url (or REDIS_URL) is set, else embedded.
     */
    driver?: "embedded" | "bullmq";
    /**
     * Redis for the bullmq driver; the REDIS_URL environment variable overrides it.
     */
    redis_url?: string;
    /**
     * BullMQ key prefix in Redis (one per hub cluster sharing a Redis).
     */
    key_prefix?: string;
    /**
     * How often an idle target looks for new outbox entries.
     */
    poll_ms?: number;
    /**
     * Outbox entries (the change feed targets read from; observations themselves are kept) are deleted once every configured target and the rollup roller (derived aggregates) have consumed them and they are older than this; with no targets, once the roller has and they are older than this. A target added later with start: earliest begins at the oldest entry left. 0 keeps them forever.
     */
    outbox_retention_h?: number;
    /**
     * Third-party target types: a file path (relative to the config file) or an npm package name, each default-exporting definePublisher(...).
     */
    plugins?: string[];
    /**
     * Targets by name (snake_case or kebab-case); each is one upstream platform.
     */
    targets?: {
      [k: string]: {
        /**
         * Publisher id: http_push, hj212_upstream, mqtt_publish, or a plugin's id.
         */
        type: string;
        /**
         * false: configured but neither batched nor sent; enabled again, it carries on from where it stopped in the outbox.
         */
        enabled?: boolean;
        /**
         * Where a target seen for the first time starts: earliest = everything in the store's outbox (nothing stored is skipped); latest = only what is committed from now on.
         */
        start?: "earliest" | "latest";
        /**
         * What this target receives: observations, or alarm events (raised, escalated, de_escalated, cleared and each handling step; docs/alarms.md#notifications). A target carries one stream; configure two targets for both. The publisher must support it (http_push and mqtt_publish do).
         */
        stream?: "observations" | "alarms";
        /**
         * For stream: alarms. Which alarm events go out (with filter.sites, domains and indicators, which apply to the alarm's site and indicator) and, optionally, the body each is sent as (a group-chat robot's JSON, without code).
         */
        alarms?: {
          /**
           * Only these event types (default: all).
           *
           * @minItems 1
           */
          events?: [
            (
              | "raised"
              | "escalated"
              | "de_escalated"
              | "cleared"
              | "acknowledged"
              | "assessed"
              | "dispatched"
              | "resolved"
              | "archived"
            ),
            ...(
              | "raised"
              | "escalated"
              | "de_escalated"
              | "cleared"
              | "acknowledged"
              | "assessed"
              | "dispatched"
              | "resolved"
              | "archived"
            )[]
          ];
          /**
           * Only events of alarms at these levels (the alarm's level after the event; 1 most severe). Default: all levels.
           *
           * @minItems 1
           */
          levels?: [number, ...number[]];
          /**
           * The body of each event instead of the standard one: any JSON value (object, array, string) whose strings may hold {{placeholders}} such as {{alarm.site_name}} or {{event.type_name}} (the list is in docs/alarms.md). A string that is one placeholder alone takes the value's own type (a number stays a number). With a template each event is sent alone: one HTTP request or MQTT message per event.
           */
          template?: {
            [k: string]: unknown;
          };
        };
        /**
         * Which observations (or, with stream: alarms, which alarms: by their site and indicator) this target receives; absent lists mean all. Lists combine with AND.
         */
        filter?: {
          /**
           * Only these domains.
           */
          domains?: Domain[];
          /**
           * Only these site codes.
           */
          sites?: string[];
          /**
           * Only these indicator codes.
           */
          indicators?: string[];
          /**
           * Only these kinds (rtd, min, hour, day); not with stream: alarms.
           */
          kinds?: ObservationKind[];
        };
        batch?: {
          /**
           * Most observations in one batch.
           */
          max_size?: number;
          /**
           * A smaller batch is sent once its oldest observation has waited this long.
           */
          max_wait_ms?: number;
        };
        retry?: {
          /**
           * Wait before the first retry.
           */
          initial_ms?: number;
          /**
           * Longest backoff between attempts (a target's Retry-After is honoured even when longer, up to 1 h).
           */
          max_ms?: number;
          /**
           * Each wait is the previous one times this.
           */
          multiplier?: number;
          /**
           * Attempts before the batch is dead-lettered.
           */
          max_attempts?: number;
          /**
           * Random spread of each wait, as a fraction (0.2 = ±20%).
           */
          jitter?: number;
        };
        /**
         * The target type's own settings (validated against its schema at start).
         */
        config?: {};
      };
    };
  };
  /**
   * Alarms and early warning (docs/alarms.md): the level names and colours, and rule overrides per site, device or point on top of the catalogue's defaults.
   */
  alarms?: {
    /**
     * Run the alarm evaluator (it follows the outbox like the rollup roller).
     */
    enabled?: boolean;
    /**
     * How often (s) silent points are checked for no_data rules.
     */
    no_data_check_s?: number;
    /**
     * Level → name, colour and handling deadlines (1 most severe). A city with three levels lists three. An alarm is overdue by the deadlines of its most severe level (peak_level).
     */
    levels?: {
      /**
       * Level number.
       */
      level: number;
      /**
       * Name shown (一级 …).
       */
      name: string;
      /**
       * Colour name or CSS colour (red …).
       */
      colour: string;
      /**
       * Deadline for acknowledging (接警) an alarm of this level, from its first time; none when absent.
       */
      ack_within_s?: number;
      /**
       * Deadline for resolving (处置/反馈) an alarm of this level, from its first time; none when absent.
       */
      resolve_within_s?: number;
    }[];
    /**
     * Rules for a site, a device or a point (exactly one of them), replacing the default rule of the same id (point over device over site over catalogue) or adding one.
     */
    overrides?: {
      /**
       * Site code: the rule applies to its points.
       */
      site?: string;
      /**
       * Device code: the rule applies to its points.
       */
      device?: string;
      /**
       * Point code.
       */
      point?: string;
      /**
       * Only points of this indicator (with site or device).
       */
      indicator?: string;
      /**
       * The rule (an id the catalogue uses replaces that default).
       */
      rule: AlarmRule;
    }[];
  };
  /**
   * Data-quality reports (GET /v1/reports/daily and /monthly, `lifeline report`; docs/reports.md).
   */
  reports?: {
    /**
     * A reading received at most this long after its data time counts as on time (及时率). Stored with each rollup as it is rolled: a change applies to readings rolled from then on.
     */
    timely_within_s?: number;
    /**
     * Expected reporting interval (s) of a point that names none (neither on the point nor on its indicator): the basis of its expected readings (数据完整率).
     */
    expected_interval_s?: number;
  };
  /**
   * Certification reports the hub lists (GET /v1/conformance/reports; the console's 登记与认证 page; docs/certification.md).
   */
  conformance?: {
    /**
     * Folder of conformance reports, one sub-folder per report as `lifeline conformance … --out DIR` writes it (report.json, evidence.ndjson, report.html, report.md); relative to the config file. Default: data_dir/conformance-reports.
     */
    reports_dir?: string;
  };
  /**
   * Adapters to run, keyed by adapter id; each value is that adapter's config (validated against its own schema).
   */
  adapters?: {
    [k: string]: {};
  };
}

/**
 * What a vendor declares about the product under test (Matter's PICS): the conformance kit runs a clause only when the capabilities it needs are declared; an undeclared one is reported not applicable, never passed. One protocol section per product kind (hj212 today).
 */
export interface ConformanceCapabilities {
  /**
   * The product under test, as it goes in the report header.
   */
  product: {
    /**
     * Manufacturer (厂商).
     */
    vendor: string;
    /**
     * Product name (产品名称).
     */
    name: string;
    /**
     * Model (型号).
     */
    model?: string;
    /**
     * Firmware or software version under test.
     */
    version: string;
  };
  /**
   * The profile the vendor applies for (the command line's --profile wins).
   */
  profile?: string;
  /**
   * An HJ 212 data collector (数采仪): how it talks to a platform.
   */
  hj212?: {
    /**
     * Protocol generation the device speaks (Flag version bits 0, 1, 2).
     */
    version: "2005" | "2017" | "2025";
    /**
     * The device's MN (the command line's --mn wins).
     */
    mn?: string;
    /**
     * The access password it sends (the command line's --pw wins).
     */
    pw?: string;
    /**
     * System code of its uploads (Table 5), e.g. 32 surface-water pollution source.
     */
    st?: string;
    /**
     * Zone of its wall-clock times (DataTime, SystemTime, QN).
     */
    timezone?: string;
    /**
     * Data it uploads by itself, per CN, with the period in seconds (2011: RtdInterval; 2051: MinInterval × 60; 2061: 3600).
     */
    uploads?: {
      "2011"?: Cadence;
      "2051"?: Cadence;
      "2061"?: Cadence;
    };
    /**
     * It resends an upload that got no 9014 (Table 1: OverTime, ReCount).
     */
    retransmission?: {
      /**
       * Seconds it waits for the 9014 before resending.
       */
      over_time_s: number;
      /**
       * How many times it resends.
       */
      re_count: number;
    };
    /**
     * It splits long messages into packets with PNUM/PNO (Flag D).
     */
    segmented_uploads?: boolean;
    /**
     * It sends 9015 heartbeats (HJ 212-2025).
     */
    heartbeat?: {
      /**
       * Seconds between heartbeats.
       */
      interval_s: number;
    };
    /**
     * Platform requests it executes (1011 get time, 1012 set time).
     */
    commands?: ("1011" | "1012")[];
    /**
     * History CNs it serves for a BeginTime/EndTime request.
     */
    history?: ("2031" | "2051" | "2061")[];
    /**
     * Factor codes it reports (any other code is a finding).
     */
    factors?: string[];
  };
}
/**
 * A periodic upload.
 */
export interface Cadence {
  /**
   * Period in seconds.
   */
  interval_s: number;
}

/**
 * A certification report written by the conformance kit (`lifeline conformance … --out DIR`, format lifeline-conformance-report/1) into the hub's conformance.reports_dir, as GET /v1/conformance/reports lists it: the product, the profile, the verdict and the count of clauses per status, and what the hub found when it checked the report's integrity block. GET /v1/conformance/reports/{id} adds every clause's result. See docs/certification.md.
 */
export interface ConformanceReport {
  /**
   * The report's folder name under conformance.reports_dir.
   */
  id: string;
  /**
   * Report format written by the kit.
   */
  format: string;
  /**
   * Version of the conformance kit that ran.
   */
  kit_version?: string;
  /**
   * Version of the hub the kit came with.
   */
  hub_version?: string;
  /**
   * pass: every applicable MUST clause passed.
   */
  verdict: "pass" | "fail";
  /**
   * What was certified.
   */
  subject: {
    kind: string;
    vendor: string;
    product: string;
    model?: string;
    version: string;
    identity?: string;
    endpoint?: string;
    [k: string]: unknown;
  };
  /**
   * The profile run (docs/reference/conformance-clauses.md).
   */
  profile: {
    id: string;
    title: string;
    title_zh: string;
  };
  started: string;
  ended: string;
  /**
   * Clauses per status, and the MUST clauses that did not pass.
   */
  summary: {
    pass: number;
    fail: number;
    warning: number;
    not_applicable: number;
    must_not_passed: string[];
  };
  /**
   * The hub's check of the report's integrity block: the SHA-256 of the report and of its evidence log. A signature (HMAC-SM3 with a lab's key) is reported, not verified: the hub does not hold the lab's key (`lifeline conformance verify DIR --key-file` does).
   */
  integrity: {
    /**
     * The report's SHA-256 and its evidence log's match what the report says.
     */
    intact: boolean;
    /**
     * What does not match, in words (empty when intact).
     */
    problems: string[];
    report_sha256?: string;
    /**
     * The report carries a signature.
     */
    signed: boolean;
    /**
     * Signature algorithm (HMAC-SM3).
     */
    algorithm?: string;
    /**
     * The lab key's id, when the kit was given one (--key-id).
     */
    key_id?: string;
  };
  /**
   * Every clause's result (GET /v1/conformance/reports/{id} only).
   */
  results?: {
    id: string;
    title: string;
    title_zh: string;
    /**
     * The standard clause or SDK contract it traces to.
     */
    traces?: string;
    level: "MUST" | "SHOULD" | "MAY";
    status: "pass" | "fail" | "warning" | "not_applicable";
    /**
     * One line a person can act on.
     */
    message: string;
    evidence?: {
      kind: string;
      event?: number;
      text: string;
    }[];
  }[];
}

/**
 * The part of the city an API key may see: sites matching every listed dimension (a value of any one listed). A key with a scope may hold only the read scope.
 */
export interface DataScope {
  /**
   * Site `enterprise` values (所属企业).
   *
   * @minItems 1
   */
  enterprises?: [string, ...string[]];
  /**
   * 行政区划代码 (GB/T 2260) of site `region`s: `320000` (a province) covers `320100` and `320102`; `320100` (a city) covers its districts.
   *
   * @minItems 1
   */
  regions?: [string, ...string[]];
  /**
   * Site domains.
   *
   * @minItems 1
   */
  domains?: [Domain, ...Domain[]];
  /**
   * Site codes.
   *
   * @minItems 1
   */
  sites?: [Code, ...Code[]];
}

/**
 * A device (monitoring instrument, data collector, PLC) at a site, with its identity in each protocol it speaks.
 */
export interface Device {
  /**
   * Stable device code.
   */
  code: Code;
  /**
   * Code of the site it belongs to.
   */
  site: Code;
  /**
   * Display name (报警设备).
   */
  name?: string;
  /**
   * Manufacturer.
   */
  vendor?: string;
  /**
   * Model.
   */
  model?: string;
  /**
   * IANA zone for this device's times without an offset; defaults to the adapter's, then the hub's.
   */
  timezone?: string;
  /**
   * How each protocol names this device. `key` must be unique per protocol across devices.
   */
  identities?: {
    /**
     * Adapter id (hj212, modbus_tcp, opc_ua, json_mqtt, json_http, sql_poll, or a plugin's).
     */
    protocol: string;
    /**
     * Identity in that protocol: HJ 212 MN, `host:port/unit` for Modbus, topic, row key …
     */
    key: string;
    [k: string]: unknown;
  }[];
  tags?: {
    [k: string]: string;
  };
}

/**
 * Lifeline domain: gas (燃气), water supply (供水), drainage (排水), heating (热力), bridge (桥梁).
 */
export type Domain = "gas" | "water" | "drainage" | "heating" | "bridge";

/**
 * One monitored quantity of the catalogue (监测指标): what it measures, its canonical unit and the spec a reading is validated against.
 */
export interface Indicator {
  /**
   * Stable dotted code `domain.quantity`, never reused.
   */
  code: string;
  domain: Domain;
  /**
   * The monitored object (监测对象) the seed's table lists this indicator under.
   */
  object: {
    zh: string;
    en: string;
  };
  /**
   * Human name in Chinese and English.
   */
  name: {
    zh: string;
    en: string;
  };
  /**
   * The physical quantity, snake_case (pressure, flow_rate, level, concentration, ...).
   */
  quantity: string;
  /**
   * number: a measured value; event: a detection/alarm event (e.g. intrusion recognised on video), value 1 = detected; media: a video/image stream the hub only references.
   */
  value_type: "number" | "event" | "media";
  /**
   * Canonical unit as a UCUM case-sensitive code. Every stored value of this indicator is in this unit.
   */
  unit: string;
  /**
   * Valid measuring range in the canonical unit, where the seed gives one. Values outside are stored with the `out_of_range` flag.
   */
  range?: {
    min?: number;
    max?: number;
  };
  /**
   * Smallest step the instrument resolves, in the canonical unit, where the seed gives an absolute one.
   */
  resolution?: number;
  /**
   * Accuracy as the seed states it (e.g. ±1.5%FS), kept as text.
   */
  accuracy?: string;
  /**
   * The seed's full technical requirement text (监测技术指标要求), verbatim Chinese.
   */
  requirements?: string;
  /**
   * Standards the seed cites for this table (e.g. GB 50028, CJJ/T 146).
   */
  standards: string[];
  /**
   * Expected reporting interval (s) of points of this indicator that name none: the readings reports expect (docs/reports.md) and the default of no_data alarm rules (docs/alarms.md).
   */
  expected_interval_s?: number;
  /**
   * For combustible-gas concentrations: the lower explosive limit in %VOL used to convert %LEL readings (methane: 5).
   */
  lel_percent_vol?: number;
  /**
   * Default alarm rules of every point of this indicator, each citing its source; overridden per site, device or point in the hub config (alarms.overrides). docs/alarms.md lists them.
   */
  alarm_rules?: AlarmRule[];
  /**
   * Where in the seed this row comes from, e.g. 表1.
   */
  source_table?: string;
}

/**
 * Body of POST /v1/observations: a batch of source readings, committed in one transaction.
 */
export interface IngestBatch {
  /**
   * @minItems 1
   * @maxItems 10000
   */
  records: [SourceReading, ...SourceReading[]];
}

/**
 * A declarative mapping from a vendor's JSON payload to SourceReadings (used by the json_http and json_mqtt adapters; test one with `lifeline mapping test`). Keys named `*_expr`, and `records`, `value`, `each`, `device`, `key` and `time.expr`, are JSONata expressions; the other string keys are literals. See docs/mapping.md. A profile with `table` reads CSV/XLSX files (uploads) instead of JSON payloads: it then has no `values`, `records`, `device`, `identity`, `time` or `message_id_expr` of its own. See docs/uploads.md.
 */
export type MappingProfile = {
  /**
   * Profile name (default: the file name without extension).
   */
  name?: string;
  /**
   * What payloads this profile reads (vendor, product, example).
   */
  description?: string;
  table?: Table;
  /**
   * JSONata expression giving the list of records (one per reading or per device) in a payload; each is the context of the keys below. Default `$`: the payload is one record. $senml($) resolves a SenML pack.
   */
  records?: string;
  /**
   * JSONata expression giving the hub device code. Use this, `identity`, or per-value `point`.
   */
  device?: string;
  /**
   * The device's identity in a protocol (registered on the device as identities: [{protocol, key}]).
   */
  identity?: {
    /**
     * Protocol of the identity (literal; default: the adapter's id, e.g. json_http or json_mqtt).
     */
    protocol?: string;
    /**
     * JSONata expression giving the device's key (numbers are turned into strings).
     */
    key: string;
  };
  time?: Time;
  /**
   * Source message id kept for tracing (e.g. msgId).
   */
  message_id_expr?: string;
  /**
   * The values of a record: fixed entries (field + value) and/or dynamic ones (`each`).
   *
   * @minItems 1
   * @maxItems 256
   */
  values?: [Value, ...Value[]];
  /**
   * Vendor unit spelling → UCUM code, applied to every unit (e.g. %LEL → %{LEL}, ℃ → Cel). Unmapped units pass through.
   */
  unit_map?: {
    [k: string]: string;
  };
  /**
   * Example payload files (relative to the profile) for docs and `lifeline mapping test`.
   */
  examples?: string[];
} & {
  [k: string]: unknown;
};
/**
 * A column: its header text (as in the header row), or its 1-based number.
 */
export type Column = string | number;

/**
 * Read CSV/XLSX files (POST /v1/uploads, `lifeline upload`) instead of JSON payloads. See docs/uploads.md.
 */
export interface Table {
  /**
   * long: each row is one reading (point or device+field, time, value). wide: each row is one time (and device), each value column one point or field.
   */
  layout: "long" | "wide";
  /**
   * File format. auto: XLSX when the file is a ZIP (starts with PK), else CSV.
   */
  format?: "auto" | "csv" | "xlsx";
  /**
   * CSV text encoding. auto: by BOM, else UTF-8 when the whole file is valid UTF-8, else GB18030 (a superset of GBK, Excel's default for Chinese text).
   */
  encoding?: "auto" | "utf-8" | "gbk" | "gb18030" | "utf-16le" | "utf-16be";
  /**
   * CSV field delimiter.
   */
  delimiter?: string;
  /**
   * 1-based row holding the column names; data rows follow it (rows before it are skipped). 0: no header, columns are named by number.
   */
  header_row?: number;
  /**
   * XLSX: the sheets to read, by name (default: every sheet). Every sheet read has the same layout.
   *
   * @minItems 1
   * @maxItems 256
   */
  sheets?: [string, ...string[]];
  /**
   * Values are written with a decimal comma (1,5 or 1.234,5): a comma is read as the decimal point and dots and spaces as thousands separators.
   */
  decimal_comma?: boolean;
  /**
   * The time column and how to read it.
   */
  time: {
    /**
     * The time column.
     */
    column: string | number;
    /**
     * As a JSON profile's time.format: auto, iso8601, epoch_ms, epoch_s or a pattern such as YYYY-MM-DD HH:mm:ss. XLSX date cells are read as they show in Excel (wall-clock, in `zone`) whatever the format.
     */
    format?: string;
    /**
     * IANA zone for times without an offset (default: the hub's timezone).
     */
    zone?: string;
  };
  /**
   * The hub device code: from a column, or the XLSX sheet name (one sheet per device). Give device, identity, or (long) point.
   */
  device?: {
    /**
     * Column holding the hub device code.
     */
    column?: string | number;
    /**
     * The sheet name is the device code.
     */
    sheet?: true;
  };
  /**
   * The device's identity in a protocol (registered as identities: [{protocol, key}]), from a column or the sheet name.
   */
  identity?: {
    /**
     * The identity's protocol.
     */
    protocol?: string;
    /**
     * Column holding the identity key.
     */
    column?: string | number;
    /**
     * The sheet name is the identity key.
     */
    sheet?: true;
  };
  /**
   * long: column holding the hub point code (then device and field are not needed).
   */
  point?: string | number;
  /**
   * long: column holding the source field name a registered point's `field` matches.
   */
  field?: string | number;
  /**
   * long: the value column.
   */
  value?: string | number;
  /**
   * long: column holding the unit (through unit_map). Absent or empty: the point's source_unit.
   */
  unit?: string | number;
  /**
   * Column holding an HJ 212-style source flag (N F M S D C T B); empty: none. In wide tables it applies to every value of the row.
   */
  flag?: string | number;
  /**
   * Observation kind of every reading (default rtd).
   */
  kind?: ObservationKind;
  /**
   * wide: the value columns. `*` (default): every column that is not the time, device, identity or flag column. Or a list of columns; each header is the key.
   */
  columns?: "*" | [Column, ...Column[]];
  /**
   * wide: what a value column's header names: a source field (with device or identity) or a hub point code.
   */
  header_is?: "field" | "point";
  /**
   * wide: the unit of a value column, by header (through unit_map); absent: the point's source_unit.
   */
  units?: {
    [k: string]: string;
  };
  /**
   * wide: an empty value cell is skipped (a gap). false: it is a MAPPING_BAD_VALUE failure. In long tables an empty value is always a failure.
   */
  skip_empty?: boolean;
}
/**
 * The record's time. Absent: the time the payload was received (warning time_from_receipt).
 */
export interface Time {
  /**
   * JSONata expression giving the time (a number or a string).
   */
  expr: string;
  /**
   * auto (number: epoch ms when > 1e11, else epoch seconds; numeric string: the same; other strings: ISO 8601), iso8601, epoch_ms, epoch_s (fractions allowed), or a pattern of YYYY MM DD HH mm ss SSS (and Z for an offset such as +08:00 / +0800 / Z) with any other characters taken literally.
   */
  format?: string;
  /**
   * IANA zone for wall-clock times without an offset (default: the adapter's, then the hub's timezone).
   */
  zone?: string;
}
/**
 * One value (or, with `each`, one value per item of a list) of the record.
 */
export interface Value {
  /**
   * Optional JSONata expression giving a list; the entry then yields one value per item, evaluated with the item as $ (and the record as $record). Use it for arrays of {code, value, unit} and name-keyed objects ($entries(obj) gives [{key, value}]).
   */
  each?: string;
  /**
   * Source field name (literal): what a point's `field` matches.
   */
  field?: string;
  /**
   * Source field name, computed.
   */
  field_expr?: string;
  /**
   * Hub point code (literal), when the payload is keyed by point rather than device + field.
   */
  point?: string;
  /**
   * Hub point code, computed.
   */
  point_expr?: string;
  /**
   * JSONata expression giving the value: a number, a numeric string, or a boolean (1/0). Nothing or null: the entry is skipped when `optional`, else a MAPPING_BAD_VALUE failure.
   */
  value: string;
  /**
   * Source unit (literal) as the vendor writes it; `unit_map` then turns it into UCUM. Absent: the point's source_unit.
   */
  unit?: string;
  /**
   * Source unit, computed (empty result: no unit).
   */
  unit_expr?: string;
  /**
   * Observation kind (default rtd).
   */
  kind?: ObservationKind;
  /**
   * Source flag (literal).
   */
  flag?: SourceFlag;
  /**
   * Source flag, computed (N F M S D C T B).
   */
  flag_expr?: string;
  /**
   * Source quality (literal).
   */
  quality?: SourceQuality;
  /**
   * Source quality, computed: good | uncertain | bad.
   */
  quality_expr?: string;
  time?: Time1;
  /**
   * A missing (or null) value is skipped instead of reported as a failure.
   */
  optional?: boolean;
}
/**
 * This value's own time, when it differs from the record's.
 */
export interface Time1 {
  /**
   * JSONata expression giving the time (a number or a string).
   */
  expr: string;
  /**
   * auto (number: epoch ms when > 1e11, else epoch seconds; numeric string: the same; other strings: ISO 8601), iso8601, epoch_ms, epoch_s (fractions allowed), or a pattern of YYYY MM DD HH mm ss SSS (and Z for an offset such as +08:00 / +0800 / Z) with any other characters taken literally.
   */
  format?: string;
  /**
   * IANA zone for wall-clock times without an offset (default: the adapter's, then the hub's timezone).
   */
  zone?: string;
}

/**
 * rtd: instant value; min / hour / day: aggregate over that interval (HJ 212 2051 / 2061 / 2031), with avg/min/max/cou.
 */
export type ObservationKind = "rtd" | "min" | "hour" | "day";

/**
 * A stored, standardized observation: registered point, canonical unit, quality flags and where it came from. Identity for dedup: point + kind + time.
 */
export interface Observation {
  /**
   * Store id (64-bit, as a decimal string).
   */
  id: string;
  /**
   * Point code.
   */
  point: string;
  /**
   * Device code.
   */
  device: string;
  /**
   * Site code.
   */
  site: string;
  /**
   * Indicator code.
   */
  indicator: string;
  domain: Domain;
  kind: ObservationKind;
  /**
   * Measurement instant, UTC.
   */
  time: string;
  /**
   * Value in the indicator's canonical unit (null when the source flagged it unavailable).
   */
  value: number | null;
  avg?: number | null;
  min?: number | null;
  max?: number | null;
  cou?: number | null;
  /**
   * Canonical UCUM unit of the indicator.
   */
  unit: string;
  quality: {
    source_flag: SourceFlag;
    /**
     * The hub's own findings.
     */
    flags: QualityFlag[];
    /**
     * Deviations a lenient decoder accepted.
     */
    warnings?: string[];
  };
  source: {
    /**
     * Adapter instance that received it (`http` for native ingest).
     */
    adapter: string;
    message_id?: string | null;
    received_at: string;
    /**
     * Value as received, before unit conversion.
     */
    raw_value?: number | null;
    /**
     * Unit as received.
     */
    raw_unit?: string | null;
  };
}

/**
 * A measuring point (测点): one indicator measured by one device, and how the source names it.
 */
export interface Point {
  /**
   * Stable point code.
   */
  code: Code;
  /**
   * Code of the device that measures it.
   */
  device: Code;
  /**
   * Indicator code from the catalogue.
   */
  indicator: string;
  name?: string;
  /**
   * Source field on the device (HJ 212 factor code, register name, JSON key). Unique per device.
   */
  field?: string;
  /**
   * Unit the source reports in when a reading carries none (UCUM code, or %{LEL} for combustible gas). Defaults to the indicator's unit.
   */
  source_unit?: string;
  /**
   * Expected reporting interval (s): the readings reports expect of this point (docs/reports.md) and the default of no_data alarm rules (docs/alarms.md); overrides the indicator's.
   */
  expected_interval_s?: number;
  /**
   * Lower explosive limit in %VOL for %{LEL} → %{vol} conversion; overrides the indicator's (methane 5).
   */
  lel_percent_vol?: number;
  tags?: {
    [k: string]: string;
  };
}

/**
 * A finding the hub adds to an observation: unit_converted (value converted from the source unit), out_of_range (outside the indicator's valid range), finer_than_resolution (more precise than the indicator's resolution), future_time (time ahead of receipt beyond tolerance), late (older than the configured lateness), uncertain (the source marked the value uncertain), bad (the source marked the value bad or could not read it; the value is null or not to be trusted), text_sanitised (a text field of the reading, e.g. message_id, held NUL or a lone UTF-16 surrogate, stored as U+FFFD).
 */
export type QualityFlag =
  | "unit_converted"
  | "out_of_range"
  | "finer_than_resolution"
  | "future_time"
  | "late"
  | "uncertain"
  | "bad"
  | "text_sanitised";

/**
 * A record the pipeline could not store as an observation, kept with the reason so it can be fixed (e.g. register the point) and replayed.
 */
export interface QuarantineEntry {
  id: string;
  received_at: string;
  adapter: string;
  /**
   * Stable error code, e.g. UNKNOWN_POINT.
   */
  reason: string;
  message: string;
  /**
   * Path of the offending field in the record, when there is one.
   */
  field?: string | null;
  /**
   * The source reading as received.
   */
  record: {
    [k: string]: unknown;
  };
  /**
   * true when the entry's text (record, message or field) held NUL or lone UTF-16 surrogates, which PostgreSQL cannot store: they are kept as U+FFFD.
   */
  text_sanitised: boolean;
  replayed_at?: string | null;
}

export type Group = "enterprise" | "site" | "domain" | "point";

/**
 * A data-quality report (定制化报表) over one day or one calendar month of the hub's time zone: completeness (数据完整率), online (在线率), timeliness (及时率) and validity (有效率) rates, flagged and quarantined readings, alarms per level and mean handling times, per enterprise, site, domain and point. Computed from the day rollups, the quarantine and the alarms; docs/reports.md defines every figure.
 */
export interface Report {
  /**
   * daily: one day; monthly: one calendar month.
   */
  kind: "daily" | "monthly";
  /**
   * The day (YYYY-MM-DD) or month (YYYY-MM) reported, in the hub's time zone.
   */
  period: string;
  /**
   * The hub's time zone, whose days the period follows.
   */
  timezone: string;
  /**
   * Period start (inclusive), UTC.
   */
  from: string;
  /**
   * Period end (exclusive), UTC.
   */
  to: string;
  /**
   * The period had not ended at generated_at: readings are expected only up to then.
   */
  partial: boolean;
  /**
   * When the report was computed (the hub clock).
   */
  generated_at: string;
  /**
   * reports.timely_within_s now (rollups keep the value in force when they were rolled).
   */
  timely_within_s: number;
  /**
   * How far the rollups were behind the newest committed readings when the report was computed (0: caught up).
   */
  rollup_lag_s: number;
  /**
   * The groupings in `data`, in order.
   */
  groups: Group[];
  /**
   * Quarantined readings of the period that name no registered point, device or identity (so no row holds them). Counted only when neither the key's scope nor a filter narrows the report; else 0.
   */
  quarantined_unattributed: number;
  /**
   * The rows, grouping by grouping (in `groups` order), sorted by name within one.
   */
  data: Row[];
}
export interface Row {
  group: Group;
  /**
   * Site `enterprise` (所属企业); null on domain rows and for sites that name none.
   */
  enterprise: string | null;
  /**
   * Site domain; null on enterprise rows.
   */
  domain: string | null;
  /**
   * Site code (site and point rows).
   */
  site: string | null;
  /**
   * Site name (站名; site and point rows).
   */
  site_name: string | null;
  /**
   * Point code (point rows).
   */
  point: string | null;
  /**
   * Indicator code (point rows).
   */
  indicator: string | null;
  /**
   * Registered points in the row.
   */
  points: number;
  /**
   * Readings expected: per point and day, the elapsed part of the day ÷ the point's expected interval, rounded down.
   */
  expected: number;
  /**
   * Real-time readings with a value stored for the period (duplicates once), late ones included.
   */
  received: number;
  /**
   * received − flagged.
   */
  valid: number;
  /**
   * Readings whose source flag is not N or that carry out_of_range, future_time, uncertain or bad.
   */
  flagged: number;
  /**
   * Readings received within reports.timely_within_s of their data time.
   */
  on_time: number;
  /**
   * Hours the points should have data in: per point and day, the elapsed whole hours, or the readings expected when fewer.
   */
  hours_expected: number;
  /**
   * Of those, the hours with at least one reading.
   */
  hours_online: number;
  /**
   * Readings quarantined on arrival in the period that name a point (or device) of the row.
   */
  quarantined: number;
  /**
   * Alarms raised in the period.
   */
  alarms: number;
  /**
   * Alarms raised in the period by their most severe level (peak_level), keyed "1" (most severe) … ; every configured level is present.
   */
  alarms_by_level: {
    [k: string]: number;
  };
  /**
   * Mean time (s) from raise to acknowledgement (接警) of the period's alarms that were acknowledged; null when none.
   */
  mean_ack_s: number | null;
  /**
   * Mean time (s) from raise to resolution (处置) of the period's alarms that were resolved; null when none.
   */
  mean_resolve_s: number | null;
  /**
   * 数据完整率: valid readings (at most the expected ones per point and day) ÷ expected.
   */
  completeness: number | null;
  /**
   * 在线率: hours_online ÷ hours_expected.
   */
  online: number | null;
  /**
   * 及时率: on_time ÷ received.
   */
  timeliness: number | null;
  /**
   * 有效率: valid ÷ received.
   */
  validity: number | null;
}

/**
 * A monitored site or object (监测对象/站点): a pipe section, station, manhole, bridge.
 */
export interface Site {
  /**
   * Stable site code (站点编码).
   */
  code: Code;
  /**
   * Site name (站名).
   */
  name: string;
  domain: Domain;
  /**
   * Owning enterprise (所属企业).
   */
  enterprise?: string;
  /**
   * Administrative division code (行政区划代码, GB/T 2260) of the county or city the site is in; a key scoped to a province (`320000`) or a city (`320100`) sees the sites below it.
   */
  region?: string;
  /**
   * Address (站址).
   */
  address?: string;
  /**
   * WGS84 position. Convert CGCS2000 (≈WGS84 at metre level) and GCJ-02 inputs before registering; `crs` records what the source used.
   */
  location?: {
    /**
     * Latitude, degrees (WGS84).
     */
    lat: number;
    /**
     * Longitude, degrees (WGS84).
     */
    lon: number;
    /**
     * Reference system the coordinates were surveyed in.
     */
    crs?: "WGS84" | "CGCS2000" | "GCJ-02";
  };
  /**
   * Free key/value labels.
   */
  tags?: {
    [k: string]: string;
  };
}

/**
 * HJ 212 data flag as the source reported it: N normal, F stopped, M maintenance, S manual, D fault, C calibration, T over limit, B communication abnormal.
 */
export type SourceFlag = "N" | "F" | "M" | "S" | "D" | "C" | "T" | "B";

/**
 * The source's own verdict on a value (OPC UA status family, a Modbus read that failed, a sensor-fault sentinel): good; uncertain keeps the value and adds the quality flag `uncertain`; bad adds the flag `bad` and allows `value: null` whatever the source flag.
 */
export type SourceQuality = "good" | "uncertain" | "bad";

/**
 * One reading as the source said it: its own identifiers and units. Adapters hand these to ctx.ingest(); POST /v1/observations accepts them as `records`. Identify the point either by `point` (hub point code) or by a device (`device` code, or `identity` protocol+key) plus the source `field`.
 */
export interface SourceReading {
  /**
   * Hub point code (测点编码), when the source already knows it.
   */
  point?: string;
  /**
   * Hub device code; used with `field`.
   */
  device?: string;
  /**
   * The device's identity in a protocol (HJ 212 MN, Modbus host:port/unit, MQTT topic, …); used with `field` when the device code is not known.
   */
  identity?: {
    /**
     * Adapter id of the protocol.
     */
    protocol: string;
    /**
     * The device's key in that protocol.
     */
    key: string;
  };
  /**
   * Source field name (HJ 212 factor code, register name, JSON key) of the point on that device.
   */
  field?: string;
  /**
   * When the value was measured (data time, not receive time).
   */
  time: string | number;
  kind?: ObservationKind;
  /**
   * The instant value (rtd) or, for aggregates, the average when `avg` is absent. null only with a non-N flag or quality `bad`.
   */
  value?: number | null;
  /**
   * Aggregate average (min/hour/day kinds).
   */
  avg?: number;
  /**
   * Aggregate minimum.
   */
  min?: number;
  /**
   * Aggregate maximum.
   */
  max?: number;
  /**
   * Aggregate cumulative amount (HJ 212 -Cou), not unit-converted.
   */
  cou?: number;
  /**
   * Source unit as a UCUM code (or %{LEL}); defaults to the point's source_unit, then to the indicator's unit.
   */
  unit?: string;
  flag?: SourceFlag;
  /**
   * The source's own verdict on this value, good when absent (OPC UA status family, a Modbus read that failed, a sensor-fault sentinel). `uncertain` keeps the value and adds the quality flag `uncertain`; `bad` adds the flag `bad` and allows `value: null` whatever the source flag. Put the specific status in `warnings` (e.g. `modbus_timeout`, `opcua_bad_sensor_failure`).
   */
  quality?: SourceQuality;
  /**
   * Source message id (HJ 212 QN, MQTT message id, row id) kept for tracing.
   */
  message_id?: string;
  /**
   * Lenient-decoder deviations the adapter accepted (snake_case codes), stored on the observation.
   *
   * @maxItems 16
   */
  warnings?:
    | []
    | [string]
    | [string, string]
    | [string, string, string]
    | [string, string, string, string]
    | [string, string, string, string, string]
    | [string, string, string, string, string, string]
    | [string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string, string, string, string]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ];
}

/**
 * A file (CSV or XLSX) sent to POST /v1/uploads and mapped with a table profile: what it is, where it is, and what its rows became. Counts are those committed: they move with each batch, and after a hub restart the upload resumes from them. See docs/uploads.md.
 */
export interface Upload {
  /**
   * Upload id.
   */
  id: string;
  /**
   * File name as sent (?name=, the multipart filename, or `upload`).
   */
  name: string;
  /**
   * The table profile it is mapped with.
   */
  profile: string;
  /**
   * Bytes received.
   */
  size: number;
  /**
   * SHA-256 of the file (hex), once received.
   */
  sha256?: string | null;
  /**
   * File format read.
   */
  format?: "csv" | "xlsx" | null;
  /**
   * CSV text encoding: utf-8, gbk, gb18030, utf-16le or utf-16be (null for XLSX).
   */
  encoding?: string | null;
  /**
   * How the encoding was decided: a byte-order mark, the file's bytes, or the profile's table.encoding.
   */
  encoding_by?: "bom" | "content" | "profile" | null;
  /**
   * receiving the body → queued → processing → done; failed (see error) or cancelled.
   */
  status: "receiving" | "queued" | "processing" | "done" | "failed" | "cancelled";
  /**
   * Why it failed.
   */
  error?: {
    code?: string;
    message?: string;
    [k: string]: unknown;
  } | null;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  /**
   * Data rows committed (stored or quarantined).
   */
  rows: number;
  /**
   * Readings the rows mapped to (one per row in long tables, one per value cell in wide ones).
   */
  readings: number;
  /**
   * Readings stored as new observations.
   */
  accepted: number;
  /**
   * Readings already stored (same point, kind and time): re-sending a file only adds to this.
   */
  duplicates: number;
  /**
   * Quarantine entries written: rows (or wide cells) that could not be mapped, with their row number and reason, and readings the pipeline refused (e.g. UNKNOWN_POINT).
   */
  quarantined: number;
  /**
   * While processing: how far into the file the reader is (for an ETA).
   */
  progress?: {
    bytes_done?: number;
    bytes_total?: number;
  } | null;
}
