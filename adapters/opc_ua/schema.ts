// The adapter's config schema, read once: the manifest declares it, and the CLI takes enum lists and defaults from it.
import { readFileSync } from 'node:fs';

export const configSchema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** The schema of one endpoint property (`security_mode`, …). */
export function endpointProperty(name: string): { enum?: string[]; default?: unknown } {
  const endpoints = (configSchema.properties as Record<string, { items: { properties: Record<string, { enum?: string[]; default?: unknown }> } }>).endpoints;
  return endpoints.items.properties[name]!;
}
