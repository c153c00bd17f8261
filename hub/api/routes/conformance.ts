// GET /v1/conformance/reports and /v1/conformance/reports/{id}: the certification reports in the hub's
// conformance.reports_dir (hub/conformance-reports/store.ts), for the console's 登记与认证 page and for platforms
// that want to know which products passed. Read scope; a report names a vendor's product, nothing of the city's data.
import type { RouteModule } from '../context.ts';
import { listReports, readReport } from '../../conformance-reports/store.ts';

const conformance: RouteModule = (app, deps) => {
  const dir = deps.conformanceReportsDir;
  if (!dir) return;
  app.get('/v1/conformance/reports', {
    config: { scope: 'read', dataScope: 'none' },
    schema: {
      tags: ['conformance'], summary: 'Conformance reports the hub keeps, newest first: product, profile, verdict, clause counts and the integrity check (docs/certification.md#reports-on-the-hub).',
      response: { 200: { type: 'object', additionalProperties: false, required: ['data'], properties: { data: { type: 'array', items: { $ref: 'lifeline:conformance-report#' } } } } },
    },
  }, async (req) => {
    const data = listReports(dir);
    req.pulled = { rows: data.length };
    return { data };
  });

  app.get<{ Params: { id: string } }>('/v1/conformance/reports/:id', {
    config: { scope: 'read', dataScope: 'none' },
    schema: {
      tags: ['conformance'], summary: 'One conformance report with every clause\'s status, message and evidence.',
      params: { type: 'object', properties: { id: { type: 'string', description: 'The report\'s folder name.' } } },
      response: { 200: { $ref: 'lifeline:conformance-report#' } },
    },
  }, async (req) => {
    const r = readReport(dir, req.params.id);
    req.pulled = { rows: 1 };
    return r;
  });
};

export default conformance;
