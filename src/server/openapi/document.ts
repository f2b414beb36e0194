import * as z from 'zod';
import type { ErrorBody as HandlerErrorBody } from '../error-handler.js';
import { ErrorBody } from '../../contract/errors.js';
import { OPERATIONS, type Operation } from './operations.js';

/** The error body every failed request answers with: the shared contract's, as the handler sends it. */
export const ErrorResponse = ErrorBody.extend({ error: ErrorBody.shape.error.extend({ id: z.string() }) });
// The schema above must describe exactly the handler's `ErrorBody`: a change to either breaks the build.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const errorBodyMatches: Same<z.output<typeof ErrorResponse>, HandlerErrorBody> = true;
void errorBodyMatches;

type Json = Record<string, unknown>;

/** Request schemas are what callers send: the input side of coercions and defaults. */
function schemaOf(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  delete json['$schema'];
  return json;
}

function parameters(op: Operation): Json[] {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = op.query ? schemaOf(op.query) : undefined;
  const props = (query?.['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((query?.['required'] ?? []) as string[]);
  const queryParams = Object.entries(props).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema,
  }));
  const headers = Object.entries(op.headers ?? {}).map(([name, description]) => ({
    name,
    in: 'header',
    required: false,
    description,
    schema: { type: 'string' },
  }));
  return [...path, ...queryParams, ...headers];
}

const errorRef = { $ref: '#/components/responses/Error' };

function operationObject(op: Operation): Json {
  const success = op.success ?? 200;
  const content: Json = { 'application/json': { schema: { type: 'object' } } };
  if (op.streams) content['application/x-ndjson'] = { schema: { type: 'string' } };
  return {
    operationId: `${op.method}${op.path.replace(/[^\w]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: op.summary,
    description: op.public ? 'No token needed.' : `Token scopes: ${op.scopes.join(', ')}.`,
    tags: [op.tag],
    ...(op.public ? { security: [] } : {}),
    parameters: parameters(op),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body) } } } }
      : {}),
    responses: { [String(success)]: { description: 'Success', content }, '4XX': errorRef, '5XX': errorRef },
  };
}

/** The OpenAPI 3.1 document of `/api/v1`, built from the operation registry and the routes' zod schemas. */
export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) {
    paths[op.path] = { ...paths[op.path], [op.method]: operationObject(op) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'imagetrail API',
      version,
      description: 'Image reports, enriched images, integrations, runtimes, tokens and the audit trail.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An imagetrail API token (it_…).' },
      },
      schemas: { Error: schemaOf(ErrorResponse) },
      responses: {
        Error: {
          description: 'The request failed; the body says why and what to do.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}
