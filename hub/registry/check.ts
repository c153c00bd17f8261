// Cross-reference checks over a whole registry (config file or the store's, plus a proposed change).
import type { Site, Device, Point, Indicator } from '../../schemas/generated/types.ts';
import type { FieldError } from '../schemas.ts';
import { conversion } from '../units/convert.ts';
import { LifelineError } from '../sdk/errors.ts';

export interface RegistryDocs { sites: Site[]; devices: Device[]; points: Point[] }

/** `conflict`: two entities claim the same code, identity or field; `invalid`: a broken reference or unit. */
export type RegistryError = FieldError & { kind: 'conflict' | 'invalid' };

/** Everything that schema validation cannot see: references, uniqueness, unit compatibility. */
export function checkRegistry(r: RegistryDocs, catalogue: Map<string, Indicator>, prefix = '/registry'): RegistryError[] {
  const errors: RegistryError[] = [];
  const dup = (what: string, list: { code: string }[]) => {
    const seen = new Map<string, number>();
    list.forEach((x, i) => {
      if (seen.has(x.code)) errors.push({ kind: 'conflict', path: `${prefix}/${what}/${i}/code`, message: `duplicates ${what}[${seen.get(x.code)}] code "${x.code}"` });
      else seen.set(x.code, i);
    });
  };
  dup('sites', r.sites); dup('devices', r.devices); dup('points', r.points);
  const sites = new Set(r.sites.map((s) => s.code));
  const devices = new Set(r.devices.map((d) => d.code));
  const identities = new Map<string, string>();
  r.devices.forEach((d, i) => {
    if (!sites.has(d.site)) errors.push({ kind: 'invalid', path: `${prefix}/devices/${i}/site`, message: `site "${d.site}" is not registered` });
    (d.identities ?? []).forEach((id, j) => {
      const k = `${id.protocol}\u0000${id.key}`;
      const other = identities.get(k);
      if (other && other !== d.code) errors.push({ kind: 'conflict', path: `${prefix}/devices/${i}/identities/${j}/key`, message: `${id.protocol} identity "${id.key}" is already device "${other}"'s` });
      else identities.set(k, d.code);
    });
  });
  const fields = new Map<string, string>();
  r.points.forEach((p, i) => {
    if (!devices.has(p.device)) errors.push({ kind: 'invalid', path: `${prefix}/points/${i}/device`, message: `device "${p.device}" is not registered` });
    const ind = catalogue.get(p.indicator);
    if (!ind) {
      errors.push({ kind: 'invalid', path: `${prefix}/points/${i}/indicator`, message: `"${p.indicator}" is not in the indicator catalogue (see \`lifeline indicators\`)` });
    } else if (p.source_unit) {
      const c = conversion(p.source_unit, ind.unit, p.lel_percent_vol ?? ind.lel_percent_vol);
      if (c instanceof LifelineError) errors.push({ kind: 'invalid', path: `${prefix}/points/${i}/source_unit`, message: c.message });
    }
    if (p.field) {
      const k = `${p.device}\u0000${p.field}`;
      const other = fields.get(k);
      if (other) errors.push({ kind: 'conflict', path: `${prefix}/points/${i}/field`, message: `field "${p.field}" of device "${p.device}" is already point "${other}"` });
      else fields.set(k, p.code);
    }
  });
  return errors;
}
