// The values of the schemas' enums, generated from schemas/json (`npm run gen`): check and list them from here,
// never from a copy (schemas/test/enums.test.ts fails on one). Light to import: no other module comes with it.
export {
  sourceFlags, sourceFlagDefault, sourceQualities, sourceQualityDefault, qualityFlags, observationKinds, observationKindDefault, domains,
} from '../../schemas/generated/enums.ts';
