// Fastify's own schema compilers (ajv for requests, fast-json-stringify for responses), each route's compiled on its
// first request instead of all of them when the server starts. Compiling every route's schemas was about a second of
// CPU of every hub start (ajv ~0.6 s, fast-json-stringify ~0.8 s, profiled on `lifeline start`), paid again by every
// hub a test starts, for routes most runs never call. A route's first request pays its own compile (milliseconds).
// A broken schema still fails: on that route's first request, which the auth and tenancy matrix tests make for every
// route (test/auth-matrix.test.ts, test/tenancy-matrix.test.ts).
import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;
type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;
type Validate = ((data: unknown, context?: object) => unknown) & { errors?: unknown; schemaEnv?: unknown };

/**
 * A validator compiled on its first call. Fastify reads `errors` off the function after a false result, and passes ajv's
 * data context (which lets ajv coerce a root value in place) only to functions that carry `schemaEnv`, as ajv's do.
 */
function lazyValidator(compile: () => Validate): Validate {
  let fn: Validate | undefined;
  const validate: Validate = (data, context) => {
    fn ??= compile();
    const result = fn.schemaEnv && context ? fn(data, context) : fn(data);
    validate.errors = fn.errors;
    return result;
  };
  validate.schemaEnv = true;
  return validate;
}

const defaultValidators = (AjvCompiler as unknown as () => ValidatorFactory)();
const defaultSerializers = (SerializerSelector as unknown as () => SerializerFactory)();

/** For `Fastify({ schemaController: { compilersFactory } })`. */
export const lazyCompilers: { buildValidator: ValidatorFactory; buildSerializer: SerializerFactory } = {
  buildValidator: (externalSchemas, ajvOptions) => {
    const compiler = defaultValidators(externalSchemas, ajvOptions);
    return ((route: Parameters<typeof compiler>[0]) => lazyValidator(() => compiler(route) as unknown as Validate)) as unknown as typeof compiler;
  },
  buildSerializer: (externalSchemas, serializerOptions) => {
    const compiler = defaultSerializers(externalSchemas, serializerOptions);
    return (route) => {
      let serialize: ((data: unknown) => string) | undefined;
      return (data: unknown) => (serialize ??= compiler(route) as (data: unknown) => string)(data);
    };
  },
};
