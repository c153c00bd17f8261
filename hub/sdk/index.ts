/**
 * The lifeline-hub SDK: the only surface adapters and publishers may import.
 * @packageDocumentation
 */
export * from './adapter.ts';
export * from './contract.ts';
export * from './publisher.ts';
export * from './cli.ts';
export * from './cli-options.ts';
export * from './errors.ts';
export * from './batcher.ts';
export * from './files.ts';
export * from './text.ts';
export * from './numbers.ts';
export * from '../mapping/index.ts';
export * from './enums.ts';
export * from './config.ts';
export type {
  SourceReading, Observation, ObservationKind, SourceFlag, SourceQuality, QualityFlag, Indicator, Site, Device, Point, Domain,
  Alarm, AlarmEvent, AlarmNotification,
} from '../../schemas/generated/types.ts';
