// The indicator catalogue: schemas/indicators/<domain>.yaml, validated on load.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Indicator } from '../../schemas/generated/types.ts';
import { validator, fieldErrors } from '../schemas.ts';

const dir = fileURLToPath(new URL('../../schemas/indicators/', import.meta.url));
let cached: Indicator[] | undefined;

/** Every indicator of every domain, in file then row order. Throws naming the file and field on a bad entry. */
export function loadCatalogue(): Indicator[] {
  if (cached) return cached;
  const validate = validator<Indicator>('lifeline:indicator');
  const out: Indicator[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(dir + file, 'utf8')) as { indicators: unknown[] };
    doc.indicators.forEach((entry, i) => {
      if (!validate(entry)) {
        const e = fieldErrors(validate.errors, `/indicators/${i}`)[0]!;
        throw new Error(`schemas/indicators/${file}: ${e.path} ${e.message}`);
      }
      out.push(entry);
    });
  }
  cached = out;
  return out;
}

export function catalogueByCode(): Map<string, Indicator> {
  return new Map(loadCatalogue().map((i) => [i.code, i]));
}
