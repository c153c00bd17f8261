// The capability statement (schemas/json/conformance-capabilities.schema.json): load, validate, and turn into
// the capability names clauses need (`hj212.retransmission`, `hj212.upload.2011` …).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { LifelineError } from '../hub/sdk/errors.ts';
import { validator, fieldErrors } from '../hub/schemas.ts';
import type { ConformanceCapabilities } from '../schemas/generated/types.ts';

export type CapabilityStatement = ConformanceCapabilities;

/** Validates a statement (an object); throws CONFORMANCE_INVALID naming each offending path. */
export function checkStatement(doc: unknown, source = 'capability statement'): CapabilityStatement {
  const v = validator<CapabilityStatement>('lifeline:conformance-capabilities');
  if (!v(doc)) {
    const problems = fieldErrors(v.errors).map((e) => `${e.path || '/'} ${e.message}`).join('; ');
    throw new LifelineError('CONFORMANCE_INVALID', `${source} does not match schemas/json/conformance-capabilities.schema.json: ${problems}`);
  }
  return doc;
}

/** Reads a statement (YAML or JSON); returns it with the SHA-256 of the file as given, for the report header. */
export function loadStatement(file: string): { statement: CapabilityStatement; sha256: string; file: string } {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new LifelineError('CONFORMANCE_INVALID', `cannot read the capability statement ${file}: ${(e as Error).message}`); }
  let doc: unknown;
  try { doc = parse(text); } catch (e) { throw new LifelineError('CONFORMANCE_INVALID', `${file} is not YAML or JSON: ${(e as Error).message}`); }
  return { statement: checkStatement(doc, file), sha256: createHash('sha256').update(text).digest('hex'), file };
}

/** The capability names a statement declares. */
export function capabilitiesOf(s: CapabilityStatement): Set<string> {
  const out = new Set<string>();
  const h = s.hj212;
  if (h) {
    out.add('hj212');
    for (const cn of Object.keys(h.uploads ?? {})) out.add(`hj212.upload.${cn}`);
    if (h.retransmission) out.add('hj212.retransmission');
    if (h.segmented_uploads) out.add('hj212.segmented_uploads');
    if (h.heartbeat) out.add('hj212.heartbeat');
    for (const cn of h.commands ?? []) out.add(`hj212.command.${cn}`);
    if (h.history?.length) out.add('hj212.history');
    if (h.commands?.length || h.history?.length) out.add('hj212.command');
  }
  return out;
}
