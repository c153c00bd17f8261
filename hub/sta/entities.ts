// The SensorThings entity sets over the hub's tables: where each one's rows come from, its properties as SQL, its
// navigation links, and how a row becomes the standard's JSON. SQL templates name their table alias `{e}` (joined
// tables `{e}_x`), so one entity can appear nested in another's query under a fresh alias.
import { siteInScopeSql, siteIdInScopeSql, type DataScope } from '../access/scope.ts';

export type PType = 'number' | 'string' | 'datetime' | 'bool' | 'json' | 'geo';

export interface Prop {
  sql: string;
  type: PType;
  /** geo: the WGS84 point's longitude and latitude (SQL), NULL when the entity has none. */
  lon?: string; lat?: string;
  /** json: sub-properties with a column of their own (`parameters/kind`), used before the generic JSON path. */
  fields?: Record<string, Prop>;
}

export type SetName = 'Things' | 'Locations' | 'HistoricalLocations' | 'Sensors' | 'ObservedProperties' | 'Datastreams' | 'Observations' | 'FeaturesOfInterest';

export interface Nav {
  target: SetName;
  many: boolean;
  /** On the parent alias: the value the child's `child` expression equals. */
  parent: string;
  child: string;
  /** PostgreSQL type of the link value (for arrays of them). */
  pg: 'int' | 'text' | 'bigint';
}

/** What building one SQL statement needs: its parameters, the caller's scope and the indicator catalogue. */
export interface SqlCtx {
  params: unknown[];
  scope: DataScope | undefined;
  /** The catalogue as a jsonb parameter (bound once per statement). */
  catalogue(): string;
  /** A fresh table alias. */
  alias(): string;
}

export interface EntityDef {
  set: SetName;
  /** FROM clause body defining `{e}`. */
  from(c: SqlCtx, a: string): string;
  /** The scope predicate on alias `a` (TRUE when unscoped). */
  scope(c: SqlCtx, a: string): string;
  id: Prop & { pg: 'int' | 'text' | 'bigint' };
  props: Record<string, Prop>;
  navs: Record<string, Nav>;
  /** Select list: columns `present` reads. */
  columns: string;
  present(row: Record<string, unknown>): Record<string, unknown>;
}

export const sub = (tpl: string, a: string) => tpl.replaceAll('{e}', a);

const OM_MEASUREMENT = 'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement';
/** The URI an ObservedProperty's `definition` names its catalogue code with. */
export const indicatorUri = (code: string) => `urn:lifeline:indicator:${code}`;
/** The UCUM definition URI of a unit code. */
export const ucumUri = (code: string) => `http://unitsofmeasure.org/ucum.html#${encodeURIComponent(code)}`;

const siteScope = (c: SqlCtx, a: string) => siteInScopeSql(c.scope, a, c.params);
const geoOfSite = (e: string): Prop => ({
  sql: `${e}.doc->'location'`, type: 'geo',
  lon: `((${e}.doc->'location'->>'lon')::float8)`, lat: `((${e}.doc->'location'->>'lat')::float8)`,
});
const point = (lon: unknown, lat: unknown) => (lon === null || lon === undefined ? null : { type: 'Point', coordinates: [Number(lon), Number(lat)] });
const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
/** A time column as ISO 8601 text (a Date from node-postgres, text from elsewhere; null stays null). */
export const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d === null || d === undefined ? null : new Date(String(d)).toISOString());

const SITE_COLS = `{e}.id, {e}.code, {e}.doc, {e}.updated_at`;
const siteProps = (): Record<string, Prop> => ({
  name: { sql: `({e}.doc->>'name')`, type: 'string' },
  description: { sql: `coalesce({e}.doc->>'address', {e}.doc->>'name')`, type: 'string' },
});
const siteProperties = (doc: Record<string, unknown>, code: unknown) =>
  strip({ code, domain: doc.domain, enterprise: doc.enterprise, region: doc.region, address: doc.address, tags: doc.tags });

export const ENTITIES: Record<SetName, EntityDef> = {
  Things: {
    set: 'Things',
    from: (_c, a) => `site ${a}`,
    scope: siteScope,
    id: { sql: '{e}.id', type: 'number', pg: 'int' },
    props: {
      ...siteProps(),
      properties: {
        sql: `jsonb_strip_nulls(jsonb_build_object('code', {e}.code, 'domain', {e}.doc->'domain', 'enterprise', {e}.doc->'enterprise', 'region', {e}.doc->'region', 'address', {e}.doc->'address', 'tags', {e}.doc->'tags'))`,
        type: 'json',
        fields: {
          code: { sql: '{e}.code', type: 'string' }, domain: { sql: `({e}.doc->>'domain')`, type: 'string' },
          enterprise: { sql: `({e}.doc->>'enterprise')`, type: 'string' }, region: { sql: `({e}.doc->>'region')`, type: 'string' },
          address: { sql: `({e}.doc->>'address')`, type: 'string' },
        },
      },
    },
    navs: {
      Locations: { target: 'Locations', many: true, parent: '{e}.id', child: '{e}.id', pg: 'int' },
      HistoricalLocations: { target: 'HistoricalLocations', many: true, parent: '{e}.id', child: '{e}.id', pg: 'int' },
      Datastreams: { target: 'Datastreams', many: true, parent: '{e}.id', child: '{e}_s.id', pg: 'int' },
    },
    columns: SITE_COLS,
    present: (r) => {
      const doc = r.doc as Record<string, unknown>;
      return { name: doc.name, description: doc.address ?? doc.name, properties: siteProperties(doc, r.code) };
    },
  },
  Locations: {
    set: 'Locations',
    from: (_c, a) => `site ${a}`,
    scope: (c, a) => `${a}.doc->'location' IS NOT NULL AND ${siteScope(c, a)}`,
    id: { sql: '{e}.id', type: 'number', pg: 'int' },
    props: {
      ...siteProps(),
      encodingType: { sql: `'application/geo+json'::text`, type: 'string' },
      location: geoOfSite('{e}'),
    },
    navs: {
      Things: { target: 'Things', many: true, parent: '{e}.id', child: '{e}.id', pg: 'int' },
      HistoricalLocations: { target: 'HistoricalLocations', many: true, parent: '{e}.id', child: '{e}.id', pg: 'int' },
    },
    columns: SITE_COLS,
    present: (r) => {
      const doc = r.doc as { name: string; address?: string; location: { lat: number; lon: number; crs?: string } };
      return {
        name: doc.name, description: doc.address ?? doc.name, encodingType: 'application/geo+json',
        location: point(doc.location.lon, doc.location.lat), properties: { crs: doc.location.crs ?? 'WGS84' },
      };
    },
  },
  HistoricalLocations: {
    set: 'HistoricalLocations',
    from: (_c, a) => `site ${a}`,
    scope: (c, a) => `${a}.doc->'location' IS NOT NULL AND ${siteScope(c, a)}`,
    id: { sql: '{e}.id', type: 'number', pg: 'int' },
    props: { time: { sql: '{e}.updated_at', type: 'datetime' } },
    navs: {
      Thing: { target: 'Things', many: false, parent: '{e}.id', child: '{e}.id', pg: 'int' },
      Locations: { target: 'Locations', many: true, parent: '{e}.id', child: '{e}.id', pg: 'int' },
    },
    columns: SITE_COLS,
    present: (r) => ({ time: iso(r.updated_at) }),
  },
  FeaturesOfInterest: {
    set: 'FeaturesOfInterest',
    from: (_c, a) => `site ${a}`,
    scope: siteScope,
    id: { sql: '{e}.id', type: 'number', pg: 'int' },
    props: { ...siteProps(), encodingType: { sql: `'application/geo+json'::text`, type: 'string' }, feature: geoOfSite('{e}') },
    navs: { Observations: { target: 'Observations', many: true, parent: '{e}.id', child: '{e}.site_id', pg: 'int' } },
    columns: SITE_COLS,
    present: (r) => {
      const doc = r.doc as { name: string; address?: string; location?: { lat: number; lon: number } };
      return { name: doc.name, description: doc.address ?? doc.name, encodingType: 'application/geo+json', feature: point(doc.location?.lon, doc.location?.lat), properties: { code: r.code } };
    },
  },
  Sensors: {
    set: 'Sensors',
    from: (_c, a) => `device ${a} JOIN site ${a}_s ON ${a}_s.id = ${a}.site_id`,
    scope: (c, a) => siteInScopeSql(c.scope, `${a}_s`, c.params),
    id: { sql: '{e}.id', type: 'number', pg: 'int' },
    props: {
      name: { sql: `coalesce({e}.doc->>'name', {e}.code)`, type: 'string' },
      description: { sql: `coalesce(nullif(concat_ws(' ', {e}.doc->>'vendor', {e}.doc->>'model'), ''), {e}.code)`, type: 'string' },
      encodingType: { sql: `'text/plain'::text`, type: 'string' },
      metadata: { sql: `concat_ws(' ', {e}.doc->>'vendor', {e}.doc->>'model')`, type: 'string' },
      properties: {
        sql: `jsonb_strip_nulls(jsonb_build_object('code', {e}.code, 'vendor', {e}.doc->'vendor', 'model', {e}.doc->'model'))`, type: 'json',
        fields: { code: { sql: '{e}.code', type: 'string' }, vendor: { sql: `({e}.doc->>'vendor')`, type: 'string' }, model: { sql: `({e}.doc->>'model')`, type: 'string' } },
      },
    },
    navs: { Datastreams: { target: 'Datastreams', many: true, parent: '{e}.id', child: '{e}.device_id', pg: 'int' } },
    columns: `{e}.id, {e}.code, {e}.doc`,
    present: (r) => {
      const doc = r.doc as { name?: string; vendor?: string; model?: string };
      const vm = [doc.vendor, doc.model].filter(Boolean).join(' ');
      return { name: doc.name ?? r.code, description: vm || r.code, encodingType: 'text/plain', metadata: vm, properties: strip({ code: r.code, vendor: doc.vendor, model: doc.model }) };
    },
  },
  ObservedProperties: {
    set: 'ObservedProperties',
    from: (c, a) => `jsonb_to_recordset(${c.catalogue()}) AS ${a}(code text, name text, name_zh text, description text, domain text, unit text)`,
    // The catalogue is no tenant's data, but a scoped key sees only the indicators measured inside its scope.
    scope: (c, a) => (c.scope ? `EXISTS (SELECT 1 FROM point ${a}_p JOIN device ${a}_d ON ${a}_d.id = ${a}_p.device_id JOIN site ${a}_s ON ${a}_s.id = ${a}_d.site_id
      WHERE ${a}_p.indicator = ${a}.code AND ${siteInScopeSql(c.scope, `${a}_s`, c.params)})` : 'TRUE'),
    id: { sql: '{e}.code', type: 'string', pg: 'text' },
    props: {
      name: { sql: '{e}.name', type: 'string' },
      description: { sql: '{e}.description', type: 'string' },
      definition: { sql: `('urn:lifeline:indicator:' || {e}.code)`, type: 'string' },
      properties: { sql: `jsonb_build_object('code', {e}.code, 'domain', {e}.domain, 'name_zh', {e}.name_zh, 'unit', {e}.unit)`, type: 'json',
        fields: { code: { sql: '{e}.code', type: 'string' }, domain: { sql: '{e}.domain', type: 'string' }, unit: { sql: '{e}.unit', type: 'string' } } },
    },
    navs: { Datastreams: { target: 'Datastreams', many: true, parent: '{e}.code', child: '{e}.indicator', pg: 'text' } },
    columns: `{e}.code AS id, {e}.code, {e}.name, {e}.name_zh, {e}.description, {e}.domain, {e}.unit`,
    present: (r) => ({ name: r.name, description: r.description, definition: indicatorUri(String(r.code)), properties: { code: r.code, domain: r.domain, name_zh: r.name_zh, unit: r.unit } }),
  },
  Datastreams: {
    set: 'Datastreams',
    from: (c, a) => `point ${a} JOIN device ${a}_dv ON ${a}_dv.id = ${a}.device_id JOIN site ${a}_s ON ${a}_s.id = ${a}_dv.site_id
      JOIN jsonb_to_recordset(${c.catalogue()}) AS ${a}_i(code text, name text, unit text) ON ${a}_i.code = ${a}.indicator`,
    scope: (c, a) => siteInScopeSql(c.scope, `${a}_s`, c.params),
    id: { sql: '{e}.id', type: 'number', pg: 'int' },
    props: {
      name: { sql: `coalesce({e}.doc->>'name', {e}.code)`, type: 'string' },
      description: { sql: `({e}_i.name || ' at ' || ({e}_s.doc->>'name'))`, type: 'string' },
      observationType: { sql: `'${OM_MEASUREMENT}'::text`, type: 'string' },
      unitOfMeasurement: {
        sql: `jsonb_build_object('name', {e}_i.unit, 'symbol', {e}_i.unit, 'definition', 'http://unitsofmeasure.org/ucum.html#' || {e}_i.unit)`, type: 'json',
        fields: { name: { sql: '{e}_i.unit', type: 'string' }, symbol: { sql: '{e}_i.unit', type: 'string' } },
      },
      properties: {
        sql: `jsonb_build_object('code', {e}.code, 'indicator', {e}.indicator, 'device', {e}_dv.code, 'site', {e}_s.code)`, type: 'json',
        fields: { code: { sql: '{e}.code', type: 'string' }, indicator: { sql: '{e}.indicator', type: 'string' }, device: { sql: '{e}_dv.code', type: 'string' }, site: { sql: '{e}_s.code', type: 'string' } },
      },
    },
    navs: {
      Thing: { target: 'Things', many: false, parent: '{e}_s.id', child: '{e}.id', pg: 'int' },
      Sensor: { target: 'Sensors', many: false, parent: '{e}.device_id', child: '{e}.id', pg: 'int' },
      ObservedProperty: { target: 'ObservedProperties', many: false, parent: '{e}.indicator', child: '{e}.code', pg: 'text' },
      Observations: { target: 'Observations', many: true, parent: '{e}.id', child: '{e}.point_id', pg: 'int' },
    },
    columns: `{e}.id, {e}.code, {e}.doc, {e}.indicator, {e}_dv.code AS device_code, {e}_s.code AS site_code, {e}_s.doc->>'name' AS site_name, {e}_i.name AS indicator_name, {e}_i.unit`,
    present: (r) => {
      const doc = r.doc as { name?: string };
      const unit = String(r.unit);
      return {
        name: doc.name ?? r.code, description: `${String(r.indicator_name)} at ${String(r.site_name)}`, observationType: OM_MEASUREMENT,
        unitOfMeasurement: { name: unit, symbol: unit, definition: ucumUri(unit) },
        properties: { code: r.code, indicator: r.indicator, device: r.device_code, site: r.site_code },
      };
    },
  },
  Observations: {
    set: 'Observations',
    from: (_c, a) => `observation ${a}`,
    scope: (c, a) => siteIdInScopeSql(c.scope, `${a}.site_id`, c.params),
    id: { sql: '{e}.id', type: 'number', pg: 'bigint' },
    props: {
      phenomenonTime: { sql: '{e}.time', type: 'datetime' },
      resultTime: { sql: '{e}.time', type: 'datetime' },
      result: { sql: '{e}.value', type: 'number' },
      resultQuality: {
        sql: `jsonb_build_object('source_flag', {e}.source_flag, 'flags', to_jsonb({e}.flags))`, type: 'json',
        fields: { source_flag: { sql: '{e}.source_flag::text', type: 'string' } },
      },
      parameters: {
        sql: `jsonb_build_object('kind', {e}.kind, 'unit', {e}.unit, 'raw_value', {e}.raw_value, 'raw_unit', {e}.raw_unit, 'warnings', to_jsonb({e}.warnings), 'adapter', {e}.adapter, 'message_id', {e}.message_id)`,
        type: 'json',
        fields: {
          kind: { sql: '{e}.kind', type: 'string' }, unit: { sql: '{e}.unit', type: 'string' }, raw_value: { sql: '{e}.raw_value', type: 'number' },
          raw_unit: { sql: '{e}.raw_unit', type: 'string' }, adapter: { sql: '{e}.adapter', type: 'string' }, message_id: { sql: '{e}.message_id', type: 'string' },
          received_at: { sql: '{e}.received_at', type: 'datetime' }, avg: { sql: '{e}.avg', type: 'number' }, min: { sql: '{e}.min', type: 'number' },
          max: { sql: '{e}.max', type: 'number' }, cou: { sql: '{e}.cou', type: 'number' },
        },
      },
    },
    navs: {
      Datastream: { target: 'Datastreams', many: false, parent: '{e}.point_id', child: '{e}.id', pg: 'int' },
      FeatureOfInterest: { target: 'FeaturesOfInterest', many: false, parent: '{e}.site_id', child: '{e}.id', pg: 'int' },
    },
    columns: OBSERVATION_COLUMNS('{e}'),
    present: presentObservationRow,
  },
};

/** The observation columns an Observation is presented from (the view's, on alias `a`). */
export function OBSERVATION_COLUMNS(a: string): string {
  return `${a}.id, ${a}.point_id, ${a}.site_id, ${a}.kind, ${a}.time, ${a}.value, ${a}.avg, ${a}.min, ${a}.max, ${a}.cou, ${a}.unit, ${a}.source_flag, ${a}.flags, ${a}.warnings, ${a}.adapter, ${a}.message_id, ${a}.received_at, ${a}.raw_value, ${a}.raw_unit`;
}

/** A member of a presented object: its key (an ASCII identifier) and how its value is read from the row. */
export type Field = readonly [key: string, read: (r: Record<string, unknown>) => unknown];

/**
 * An Observation's nested members, in the order they are presented: `resultQuality`, then `parameters` (with the
 * aggregate's statistics after them when the kind is not rtd). presentObservationRow builds the object from these
 * lists and hub/sta/write.ts writes its JSON text from them: one description, two forms.
 */
export const OBSERVATION_QUALITY: readonly Field[] = [['source_flag', (r) => r.source_flag], ['flags', (r) => r.flags]];
export const OBSERVATION_PARAMETERS: readonly Field[] = [
  ['kind', (r) => r.kind], ['unit', (r) => r.unit], ['raw_value', (r) => r.raw_value], ['raw_unit', (r) => r.raw_unit],
  ['warnings', (r) => r.warnings], ['adapter', (r) => r.adapter], ['message_id', (r) => r.message_id], ['received_at', (r) => iso(r.received_at)],
];
export const OBSERVATION_STATISTICS: readonly Field[] = [['avg', (r) => r.avg], ['min', (r) => r.min], ['max', (r) => r.max], ['cou', (r) => r.cou]];

function fieldsOf(r: Record<string, unknown>, fields: readonly Field[], into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, read] of fields) into[k] = read(r);
  return into;
}

export function presentObservationRow(r: Record<string, unknown>): Record<string, unknown> {
  const t = iso(r.time);
  const parameters = fieldsOf(r, OBSERVATION_PARAMETERS);
  if (r.kind !== 'rtd') fieldsOf(r, OBSERVATION_STATISTICS, parameters);
  return { phenomenonTime: t, resultTime: t, result: r.value, resultQuality: fieldsOf(r, OBSERVATION_QUALITY), parameters };
}

/** The singular name of each entity set (its `@iot.navigationLink` from a to-one link). */
export const SET_NAMES = Object.keys(ENTITIES) as SetName[];
