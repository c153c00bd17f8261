/** One observation ready to commit: registry ids resolved, value in the canonical unit. */
export interface ObservationRow {
  pointId: number;
  deviceId: number;
  siteId: number;
  indicator: string;
  kind: string;
  timeMs: number;
  value: number | null;
  avg: number | null;
  min: number | null;
  max: number | null;
  cou: number | null;
  unit: string;
  sourceFlag: string;
  flags: string[];
  warnings: string[];
  messageId: string | null;
  rawValue: number | null;
  rawUnit: string | null;
}

/** One record the pipeline could not store, with why. */
export interface QuarantineRow {
  reason: string;
  message: string;
  field: string | null;
  record: unknown;
  /** Text in it held NUL or lone surrogates, stored as U+FFFD (hub/pipeline/sanitise.ts). */
  textSanitised: boolean;
}

/** The key that identifies an observation for dedup. */
export const identityKey = (pointId: number, kind: string, timeMs: number) => `${pointId}|${kind}|${timeMs}`;
