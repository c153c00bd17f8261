// /v1/adapters: what runs and how it is (read); commands to devices through an adapter (admin, audited).
import type { RouteModule } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';

const adapters: RouteModule = (app, deps) => {
  app.get('/v1/adapters', {
    config: { scope: 'read', dataScope: 'unscoped' },
    schema: { tags: ['adapters'], summary: 'Running adapters: manifest (without config schema) and health.' },
  }, async () => {
    const health = await deps.adapterHealth();
    return {
      data: [...deps.adapters()].map(([name, { manifest }]) => {
        const { configSchema: _schema, conformance: _driver, commands: _commands, ...m } = manifest;
        return { name, ...m, health: health[name] };
      }),
    };
  });

  app.post<{ Params: { name: string }; Body: unknown }>('/v1/adapters/:name/commands', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: { tags: ['adapters'], summary: 'Send a command to a device through an adapter that supports commands; answers with the device\'s reply.' },
  }, async (req) => {
    const a = deps.adapters().get(req.params.name);
    if (!a) throw new LifelineError('ADAPTER_NOT_FOUND', `no running adapter "${req.params.name}"`, { httpStatus: 404 });
    if (!a.instance.command) throw new LifelineError('COMMAND_UNSUPPORTED', `adapter "${req.params.name}" takes no commands`);
    req.log.info({ audit: true, by: req.principal?.name, adapter: req.params.name, command: req.body }, 'adapter command');
    return { result: await a.instance.command(req.body ?? {}) };
  });
};

export default adapters;
