// generated — do not edit. Source: schemas/json/*.schema.json (the enum schemas); run `npm run gen`.

import type { Domain, ObservationKind, QualityFlag, SourceFlag, SourceQuality } from './types.ts';

/** The values of `lifeline:domain` (Domain), in the schema's order. */
export const domains: readonly Domain[] = ["gas","water","drainage","heating","bridge"];

/** The values of `lifeline:observation-kind` (ObservationKind), in the schema's order. */
export const observationKinds: readonly ObservationKind[] = ["rtd","min","hour","day"];

/** The default of `lifeline:observation-kind`: what an absent value means. */
export const observationKindDefault: ObservationKind = "rtd";

/** The values of `lifeline:quality-flag` (QualityFlag), in the schema's order. */
export const qualityFlags: readonly QualityFlag[] = ["unit_converted","out_of_range","finer_than_resolution","future_time","late","uncertain","bad","text_sanitised"];

/** The values of `lifeline:source-flag` (SourceFlag), in the schema's order. */
export const sourceFlags: readonly SourceFlag[] = ["N","F","M","S","D","C","T","B"];

/** The default of `lifeline:source-flag`: what an absent value means. */
export const sourceFlagDefault: SourceFlag = "N";

/** The values of `lifeline:source-quality` (SourceQuality), in the schema's order. */
export const sourceQualities: readonly SourceQuality[] = ["good","uncertain","bad"];

/** The default of `lifeline:source-quality`: what an absent value means. */
export const sourceQualityDefault: SourceQuality = "good";
