// docs/reference/conformance-clauses.md is generated from the clause data (conformance/profiles.ts), so the
// catalogue a vendor reads is the one the kit runs: `npm run gen` rewrites it, a test and CI compare.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { clauseCatalogue, profiles } from '../conformance/profiles.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

export function renderClauseCatalogue(): string {
  const out = [
    '<!-- generated — do not edit. Source: conformance/profiles.ts and conformance/clauses/*.ts; run `npm run gen`. -->',
    '# Conformance clause catalogue (一致性测试条款目录)',
    '',
    'Every clause the conformance kit runs, by profile. **Level** is MUST / SHOULD / MAY: a report passes only when every',
    'MUST clause that applies passed. **Needs** lists the capabilities the product must declare in its capability statement',
    '(schemas/json/conformance-capabilities.schema.json) for the clause to apply; a clause whose capability is not declared',
    'is reported *not applicable*, never *pass*. How to run a profile: [certification.md](../certification.md).',
    '',
    '## Profiles',
    '',
    '| Profile | 名称 | Certifies | Clauses |',
    '|---|---|---|---|',
    ...profiles.map((p) => `| \`${p.id}\` | ${p.title_zh} | ${cell(p.subject)} | ${p.clauses.length} |`),
    '',
  ];
  const inProfiles = (id: string) => profiles.filter((p) => p.clauses.includes(id)).map((p) => `\`${p.id}\``).join(', ');
  const groups = [...new Set(clauseCatalogue.map((c) => profiles.find((p) => p.clauses.includes(c.id))!.id))];
  for (const g of groups) {
    const p = profiles.find((x) => x.id === g)!;
    out.push(`## ${p.title} (${p.title_zh})`, '');
    out.push('| Clause | Level | Title | 标题 | Traces to | Needs | Profiles | How the kit checks |', '|---|---|---|---|---|---|---|---|');
    for (const c of clauseCatalogue.filter((x) => profiles.find((q) => q.clauses.includes(x.id))!.id === g)) {
      const needs = c.needs.filter((n) => n !== 'hj212').map((n) => `\`${n}\``).join(', ') || '–';
      out.push(`| ${c.id} | ${c.level} | ${cell(c.title)} | ${cell(c.title_zh)} | ${cell(c.traces)} | ${needs} | ${inProfiles(c.id)} | ${cell(c.method)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

export const catalogueFile = (root: URL) => new URL('docs/reference/conformance-clauses.md', root);

/** Writes the page when it changed; returns whether it did. */
export function writeClauseCatalogue(root: URL): boolean {
  const file = catalogueFile(root);
  const next = renderClauseCatalogue();
  if (existsSync(file) && readFileSync(file, 'utf8') === next) return false;
  writeFileSync(file, next);
  return true;
}
