// The declarative mapping engine (JSONata profiles → SourceReadings), re-exported by the SDK.
export type { MappingInput, MappingFailure, MappingResult, CompiledProfile, CompileOptions } from './types.ts';
export { compileProfile } from './compile.ts';
export { loadProfile, shippedProfiles, profilesDir, resolveProfilePath } from './load.ts';
