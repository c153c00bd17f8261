// Types of scale-readings.mjs (plain JavaScript: it also runs as a worker without a TypeScript loader).
import type { SourceReading } from '../../schemas/generated/types.ts';

export function valueOf(k: number, m: number): number;
export function readingsChunk(codes: string[], fromStep: number, toStep: number, baseMs: number): SourceReading[];
export function chunkBodies(codes: string[], fromStep: number, toStep: number, baseMs: number, batch: number): { bodies: ArrayBuffer[]; counts: number[] };
