// generated — do not edit. Source: schemas/json/*.schema.json (the enum schemas); run `npm run gen`.

import type { Domain, ObservationKind, QualityFlag, SourceFlag } from './types.ts';

/** The values of `lifeline:domain` (Domain), in the schema's order. */
export const domains: readonly Domain[] = ["gas","water","drainage","heating","bridge"];

/** The values of `lifeline:observation-kind` (ObservationKind), in the schema's order. */
export const observationKinds: readonly ObservationKind[] = ["rtd","min","hour","day"];

/** The values of `lifeline:quality-flag` (QualityFlag), in the schema's order. */
export const qualityFlags: readonly QualityFlag[] = ["unit_converted","out_of_range","finer_than_resolution","future_time","late","uncertain","bad","text_sanitised"];

/** The values of `lifeline:source-flag` (SourceFlag), in the schema's order. */
export const sourceFlags: readonly SourceFlag[] = ["N","F","M","S","D","C","T","B"];
