// The declarative mapping engine (JSONata profiles → SourceReadings), re-exported by the SDK.
export type { MappingInput, MappingFailure, MappingResult, CompiledProfile, CompileOptions } from './types.ts';
export { compileProfile, MAX_VALUES_PER_PAYLOAD } from './compile.ts';
export { MAX_FAILURES_KEPT } from './result.ts';
export { mappingRejection } from './reject.ts';
export { loadProfile, shippedProfiles, profilesDir, resolveProfilePath, loadTableProfile, isTableProfile } from './load.ts';
export { compileTable, type CompiledTable, type TableRow, type RowFailure } from './table.ts';
