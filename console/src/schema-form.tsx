// A form generated from one of the registry's JSON Schemas (schemas/json/point.schema.json, device.schema.json,
// bundled at build time: the schema stays the one source of truth, a field added there appears here). Handles what
// those schemas use: strings (pattern, length, enum), numbers and integers (bounds), booleans, $ref to another bundled
// schema, nested objects, string maps (tags, as key=value lines) and arrays of objects (identities). The browser
// checks required/pattern/bounds as you type; the hub validates again and its answer names the field (shown under it).
import type { ComponentChildren } from 'preact';
import { t, tMaybe } from './i18n.ts';

export interface JsonSchema {
  $id?: string; $ref?: string; type?: string | string[]; title?: string; description?: string; examples?: unknown[];
  properties?: Record<string, JsonSchema>; required?: string[]; additionalProperties?: boolean | JsonSchema; items?: JsonSchema;
  enum?: unknown[]; pattern?: string; minLength?: number; maxLength?: number; minimum?: number; maximum?: number;
  exclusiveMinimum?: number; default?: unknown;
}

export type FormValue = Record<string, unknown>;
/** Per field path (`/device`, `/identities/0/key`): choices offered, or a fixed value. */
export interface FieldHints { [path: string]: { options?: Array<{ value: string; label: string }>; suggestions?: string[]; fixed?: boolean } }

function resolve(s: JsonSchema, refs: Record<string, JsonSchema>): JsonSchema {
  if (!s.$ref) return s;
  const target = refs[s.$ref.replace(/#$/, '')];
  return target ? { ...resolve(target, refs), ...s, $ref: undefined, description: s.description ?? target.description } : { ...s, $ref: undefined, type: 'string' };
}

const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type) ?? (s.properties ? 'object' : 'string');

/** A property's label: the i18n table's words for it when it has them (fld_code …), else its name. */
const label = (name: string) => tMaybe(`fld_${name}`) ?? name;

/** Tags as text lines `key=value` ↔ object. */
const mapToText = (m: unknown) => Object.entries((m ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join('\n');
function textToMap(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (line.trim() && i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

/** A schema pattern as an HTML pattern attribute (anchored by the browser, compiled with the v flag): left out when
 * the v flag would refuse it (a `-` at the end of a class, …); the hub still checks it. */
function htmlPattern(p: string | undefined): string | undefined {
  if (!p) return undefined;
  const bare = p.replace(/^\^/, '').replace(/\$$/, '');
  // The v flag wants a literal `-` at the end of a class escaped: `[._:-]` → `[._:\-]`.
  for (const candidate of [bare, bare.replace(/-\]/g, '\\-]')]) {
    try { new RegExp(`^(?:${candidate})$`, 'v'); return candidate; } catch { /* try the next */ }
  }
  return undefined;
}

function set(obj: FormValue, key: string, v: unknown): FormValue {
  const next = { ...obj };
  if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete next[key]; else next[key] = v;
  return next;
}

function Field(p: {
  name: string; path: string; schema: JsonSchema; required: boolean; value: unknown; onChange: (v: unknown) => void;
  refs: Record<string, JsonSchema>; hints: FieldHints; error?: { path: string; message: string }; testid: string;
}): ComponentChildren {
  const s = resolve(p.schema, p.refs);
  const type = typeOf(s);
  const hint = p.hints[p.path];
  const id = `f-${p.testid}-${p.path.replace(/\W/g, '_')}`;
  const err = p.error && (p.error.path === p.path || (p.error.path.startsWith(`${p.path}/`) && !s.properties && type !== 'array')) ? p.error.message : '';
  const help = s.description && <small class="help">{s.description}{s.examples?.length ? ` (${t('example')}: ${s.examples.map((e) => JSON.stringify(e)).join(', ')})` : ''}</small>;
  const head = <label for={id}>{label(p.name)}{p.required && <span class="req" title={t('required')}> *</span>} <code class="muted">{p.name}</code></label>;
  const wrap = (input: ComponentChildren) => <div class={`field ${err ? 'invalid' : ''}`} data-field={p.path}>{head}{input}{help}{err && <span class="field-error" role="alert">{err}</span>}</div>;

  if (type === 'object' && s.properties) {
    return (
      <fieldset class="sub" data-field={p.path}>
        <legend>{label(p.name)} <code class="muted">{p.name}</code></legend>
        {help}
        <Fields schema={s} path={p.path} value={(p.value ?? {}) as FormValue} onChange={(v) => p.onChange(Object.keys(v).length ? v : undefined)} refs={p.refs} hints={p.hints} error={p.error} testid={p.testid} />
      </fieldset>
    );
  }
  if (type === 'object') {
    return wrap(<textarea id={id} rows={2} placeholder="key=value" value={mapToText(p.value)} onChange={(e) => p.onChange(textToMap((e.target as HTMLTextAreaElement).value))} />);
  }
  if (type === 'array' && s.items) {
    const items = (p.value ?? []) as FormValue[];
    const item = resolve(s.items, p.refs);
    return (
      <fieldset class="sub" data-field={p.path}>
        <legend>{label(p.name)} <code class="muted">{p.name}</code></legend>
        {help}
        {items.map((v, i) => (
          <div class="array-item" key={i}>
            <Fields schema={item} path={`${p.path}/${i}`} value={v} onChange={(nv) => p.onChange(items.map((x, k) => (k === i ? nv : x)))} refs={p.refs} hints={p.hints} error={p.error} testid={p.testid} />
            <button type="button" class="small" onClick={() => p.onChange(items.filter((_x, k) => k !== i))}>{t('remove')}</button>
          </div>
        ))}
        <button type="button" class="small" onClick={() => p.onChange([...items, {}])}>{t('addItem')}</button>
      </fieldset>
    );
  }
  if (type === 'boolean') {
    return wrap(<input id={id} type="checkbox" checked={p.value === true} onChange={(e) => p.onChange((e.target as HTMLInputElement).checked ? true : undefined)} />);
  }
  if (type === 'number' || type === 'integer') {
    return wrap(<input id={id} type="number" step={type === 'integer' ? 1 : 'any'} required={p.required} min={s.minimum ?? s.exclusiveMinimum} max={s.maximum}
      value={p.value === undefined ? '' : String(p.value)} onInput={(e) => { const x = (e.target as HTMLInputElement).value; p.onChange(x === '' ? undefined : Number(x)); }} />);
  }
  const options = hint?.options ?? (s.enum ? s.enum.map((x) => ({ value: String(x), label: String(x) })) : undefined);
  if (options) {
    return wrap(
      <select id={id} required={p.required} disabled={hint?.fixed} value={(p.value as string) ?? ''} onChange={(e) => p.onChange((e.target as HTMLSelectElement).value || undefined)}>
        <option value="">{t('choose')}</option>
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>,
    );
  }
  const list = hint?.suggestions?.length ? `${id}-list` : undefined;
  return wrap(
    <>
      <input id={id} type="text" required={p.required} readOnly={hint?.fixed} pattern={htmlPattern(s.pattern)} minLength={s.minLength} maxLength={s.maxLength}
        list={list} value={(p.value as string) ?? ''} onInput={(e) => p.onChange((e.target as HTMLInputElement).value || undefined)} />
      {list && <datalist id={list}>{hint!.suggestions!.map((x) => <option key={x} value={x} />)}</datalist>}
    </>,
  );
}

function Fields(p: { schema: JsonSchema; path: string; value: FormValue; onChange: (v: FormValue) => void; refs: Record<string, JsonSchema>; hints: FieldHints; error?: { path: string; message: string }; testid: string }) {
  const req = new Set(p.schema.required ?? []);
  return (
    <>
      {Object.entries(p.schema.properties ?? {}).map(([name, s]) => (
        <Field key={name} name={name} path={`${p.path}/${name}`} schema={s} required={req.has(name)} value={p.value[name]}
          onChange={(v) => p.onChange(set(p.value, name, v))} refs={p.refs} hints={p.hints} error={p.error} testid={p.testid} />
      ))}
    </>
  );
}

/** The fields of `schema` for `value`; `error` (a path and message from the hub) is shown under its field. */
export function SchemaForm(p: { schema: JsonSchema; value: FormValue; onChange: (v: FormValue) => void; refs: Record<string, JsonSchema>; hints?: FieldHints; error?: { path: string; message: string }; testid: string }) {
  return (
    <div class="schema-form" data-testid={p.testid} data-schema={p.schema.$id}>
      <Fields schema={p.schema} path="" value={p.value} onChange={p.onChange} refs={p.refs} hints={p.hints ?? {}} error={p.error} testid={p.testid} />
    </div>
  );
}
