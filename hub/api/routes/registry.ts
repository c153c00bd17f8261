// /v1/sites, /v1/devices, /v1/points: read with `read`, change with `admin`.
import type { RouteModule } from '../context.ts';
import type { EntityKind } from '../../registry/service.ts';
import type { Device } from '../../../schemas/generated/types.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { allows } from '../auth.ts';
import { siteVisible } from '../query.ts';
import type { Registry } from '../../registry/registry.ts';

const schemaId: Record<EntityKind, string> = { sites: 'lifeline:site#', devices: 'lifeline:device#', points: 'lifeline:point#' };
const parentFilter: Record<EntityKind, string | undefined> = { sites: undefined, devices: 'site', points: 'device' };

/** Identity secrets (HJ 212 PW, passwords) are shown to admin keys only. */
function redact(d: Device): Device {
  return { ...d, identities: d.identities?.map(({ protocol, key }) => ({ protocol, key })) };
}

const registry: RouteModule = (app, deps) => {
  for (const kind of ['sites', 'devices', 'points'] as const) {
    const parent = parentFilter[kind];
    const list = () => deps.registry.registry.docs()[kind] as unknown as Array<Record<string, unknown>>;
    const shown = (doc: Record<string, unknown>, admin: boolean) => (kind === 'devices' && !admin ? redact(doc as unknown as Device) : doc);
    // The site an entity belongs to, for the key's data scope.
    const siteOf = (reg: Registry, doc: Record<string, unknown>) =>
      kind === 'sites' ? reg.sites.get(doc.code as string) : kind === 'devices' ? reg.sites.get(doc.site as string) : reg.devices.get(doc.device as string)?.site;

    app.get<{ Querystring: Record<string, string | undefined> }>(`/v1/${kind}`, {
      config: { scope: 'read', dataScope: 'site' },
      schema: {
        tags: ['registry'], summary: `Registered ${kind}.`,
        querystring: {
          type: 'object', additionalProperties: false,
          properties: { domain: { $ref: 'lifeline:domain#' }, ...(parent ? { [parent]: { type: 'string', description: `Only those of this ${parent} code.` } } : {}), ...(kind === 'points' ? { indicator: { type: 'string' } } : {}) },
        },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: schemaId[kind] } } } } },
      },
    }, async (req) => {
      const reg = deps.registry.registry;
      const q = req.query;
      const admin = allows(req.principal!, 'admin');
      let rows = list();
      if (req.principal?.data) rows = rows.filter((r) => siteVisible(reg, req.principal!.data, siteOf(reg, r)));
      if (parent && q[parent]) rows = rows.filter((r) => r[parent] === q[parent]);
      if (q.indicator) rows = rows.filter((r) => r.indicator === q.indicator);
      if (q.domain) {
        rows = rows.filter((r) => {
          if (kind === 'sites') return r.domain === q.domain;
          if (kind === 'devices') return reg.sites.get(r.site as string)?.doc.domain === q.domain;
          return reg.catalogue.get(r.indicator as string)?.domain === q.domain;
        });
      }
      req.pulled = { rows: rows.length };
      return { data: rows.map((r) => shown(r, admin)) };
    });

    app.get<{ Params: { code: string } }>(`/v1/${kind}/:code`, {
      config: { scope: 'read', dataScope: 'site' },
      schema: { tags: ['registry'], summary: `One ${kind.slice(0, -1)}.`, response: { 200: { $ref: schemaId[kind] } } },
    }, async (req) => {
      const doc = list().find((x) => x.code === req.params.code);
      // Outside the key's scope: the same answer as for a code that does not exist.
      if (!doc || !siteVisible(deps.registry.registry, req.principal?.data, siteOf(deps.registry.registry, doc))) throw new LifelineError('REGISTRY_NOT_FOUND', `no ${kind.slice(0, -1)} "${req.params.code}"`);
      req.pulled = { rows: 1 };
      return shown(doc, allows(req.principal!, 'admin'));
    });

    app.put<{ Params: { code: string }; Body: unknown }>(`/v1/${kind}/:code`, {
      config: { scope: 'admin', dataScope: 'admin' },
      validatorCompiler: () => () => true, // the registry service validates with the hub's ajv and names the field
      schema: { tags: ['registry'], summary: `Create or replace a ${kind.slice(0, -1)} (the code in the path wins).`, body: { $ref: schemaId[kind] }, response: { 200: { $ref: schemaId[kind] } } },
    }, async (req) => {
      const doc = await deps.registry.put(kind, req.params.code, req.body ?? {});
      req.log.info({ audit: true, by: req.principal?.name, kind, code: req.params.code }, 'registry entity written');
      return doc;
    });

    app.delete<{ Params: { code: string } }>(`/v1/${kind}/:code`, {
      config: { scope: 'admin', dataScope: 'admin' },
      schema: { tags: ['registry'], summary: `Delete a ${kind.slice(0, -1)} nothing refers to.` },
    }, async (req, reply) => {
      await deps.registry.remove(kind, req.params.code);
      req.log.info({ audit: true, by: req.principal?.name, kind, code: req.params.code }, 'registry entity deleted');
      return reply.code(204).send();
    });
  }
};

export default registry;
