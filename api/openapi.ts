// The OpenAPI 3.1 document, generated from the endpoint declarations (api/endpoint.ts): the schemas it shows
// are the ones the routes parse with, and each operation states its access rule (`x-access-rule`) and the
// error answers its rule and input can give. Also a plain HTML page of the same document, for people.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Endpoint, ResponseSpec } from './endpoint.ts';
import { endpoint } from './endpoint.ts';
import { rules, type AccessRule } from './access.ts';
import { sessionCookieName } from '../auth/sessions.ts';
import type { ApiContext } from './app.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
  security: Array<Record<string, string[]>>;
  'x-access-rule': { name: string; description: string; admits: readonly string[]; adminOnly: boolean };
}

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** `{ error: { code, message, details? } }`: what every failure answers (api/errors.ts). */
const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable, machine-readable, e.g. `invalid_input`, `not_found`, `rate_limited`'),
    message: z.string().describe('For people; never internals'),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('With 400 invalid_input: each offending field'),
  }),
});

/** Where a credential can come from (auth/caller.ts tries them in this order). */
function securitySchemes(publicUrl: string): Record<string, JsonSchema> {
  return {
    apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (POST /v1/api-keys), shown once.' },
    apiKeyBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'The same API key as `Authorization: Bearer mr_…` (for clients that cannot set other headers, such as a Prometheus scrape).' },
    oidcBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "An OpenID Connect provider's access token (when one is configured)." },
    meetingToken: { type: 'http', scheme: 'bearer', bearerFormat: 'meeting token', description: "A meeting's participant token (POST /v1/meetings/{id}/join): that meeting only, never recordings." },
    session: { type: 'apiKey', in: 'cookie', name: sessionCookieName({ publicUrl }), description: 'The browser session set by POST /v1/auth/login (HttpOnly, SameSite).' },
  };
}

/** Rules that let anyone through and check nothing further: they cannot refuse a caller. */
const openRules: readonly AccessRule[] = [rules.public, rules.platformSignature];

const needsCredential = (rule: AccessRule) => !rule.admits.includes('anonymous') || Boolean(rule.anonymousNeedsShareLink);

function securityOf(rule: AccessRule): Array<Record<string, string[]>> {
  if (openRules.includes(rule)) return [];
  const options: Array<Record<string, string[]>> = [];
  if (rule.admits.includes('user')) options.push({ session: [] }, { apiKey: [] }, { apiKeyBearer: [] }, { oidcBearer: [] });
  if (rule.admits.includes('participant')) options.push({ meetingToken: [] });
  // An empty requirement: no credential at all is also accepted (anonymous callers, or a `?share=` link).
  if (rule.admits.includes('anonymous')) options.push({});
  return options;
}

/** `/v1/rooms/:name` → `/v1/rooms/{name}`. */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function pathParameterNames(koaPath: string): string[] {
  return [...koaPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!);
}

/** Stable and readable: `GET /v1/rooms/:name/meetings` → `getRoomsByNameMeetings`. */
export function operationIdOf(method: string, koaPath: string): string {
  const words = koaPath
    .split('/')
    .filter((segment) => segment && segment !== 'v1')
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/** The standard errors an endpoint can answer, given its rule and its input (api/endpoint.ts, api/errors.ts). */
function standardErrors(spec: Endpoint): Record<number, string> {
  const errors: Record<number, string> = {};
  if (spec.params || spec.query || spec.body) errors[400] = 'invalid_input: the path, query or body does not match its schema (`details` names each field)';
  if (spec.body) errors[400] = 'invalid_input or invalid_json: the path, query or body does not match its schema (`details` names each field)';
  if (needsCredential(spec.access)) errors[401] = 'unauthenticated: no credential, or one that is refused (expired, revoked, malformed)';
  if (!openRules.includes(spec.access)) errors[403] = `forbidden: the caller may not do this (rule ${spec.access.name})`;
  if (pathParameterNames(spec.path).length) errors[404] = 'not_found: no such thing, or none the caller may know of';
  if (spec.body || spec.rawBody) errors[413] = `payload_too_large: the body is over ${spec.bodyLimit ?? 64 * 1024} bytes`;
  if (spec.body || spec.rawBody) errors[415] = `unsupported_media_type: the body is not ${spec.rawBody?.contentType ?? 'application/json'}`;
  if (spec.rateLimit) errors[429] = `rate_limited: too many ${spec.rateLimit === 'login' ? 'sign-in attempts' : 'requests without an account'} from this address this minute (see Retry-After)`;
  return errors;
}

/** Converts zod schemas, moving the ones with a registered `id` (`.meta({ id })`) into components. */
class SchemaConverter {
  readonly components: Record<string, JsonSchema> = {};
  readonly #seen = new Map<string, string>();

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    const renames = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) renames.set(id, this.#component(id, def, io));
    return rewriteRefs(json, renames) as JsonSchema;
  }

  #component(id: string, def: JsonSchema, io: 'input' | 'output'): string {
    // The same id can differ between what is sent (input) and what is answered (output), e.g. defaults.
    const text = JSON.stringify(def);
    for (const name of [id, `${id}${io === 'input' ? 'Input' : 'Output'}`]) {
      const known = this.#seen.get(name);
      if (known === undefined) {
        this.#seen.set(name, text);
        this.components[name] = def;
        return name;
      }
      if (known === text) return name;
    }
    throw new Error(`Two different schemas are registered with the id "${id}"`);
  }
}

function rewriteRefs(value: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, renames));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) {
        const id = item.slice('#/$defs/'.length);
        return [key, `#/components/schemas/${renames.get(id) ?? id}`];
      }
      return [key, rewriteRefs(item, renames)];
    }),
  );
}

function parametersOf(spec: Endpoint, convert: SchemaConverter): Parameter[] {
  const parameters: Parameter[] = [];
  const pathSchema = spec.params ? convert.convert(spec.params, 'input') : undefined;
  for (const name of pathParameterNames(spec.path)) {
    const property = (pathSchema?.properties as Record<string, JsonSchema> | undefined)?.[name] ?? { type: 'string' };
    parameters.push(parameter(name, 'path', true, property));
  }
  if (spec.query) {
    const querySchema = convert.convert(spec.query, 'input');
    const required = new Set((querySchema.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries((querySchema.properties ?? {}) as Record<string, JsonSchema>)) {
      // A default makes a parameter optional whatever the output type says.
      parameters.push(parameter(name, 'query', required.has(name) && !('default' in property), property));
    }
  }
  if (spec.access.anonymousNeedsShareLink) {
    parameters.push(parameter('share', 'query', false, { type: 'string', maxLength: 256, description: 'A public link token: lets a caller without an account see what was shared by link.' }));
  }
  return parameters;
}

function parameter(name: string, where: 'path' | 'query', required: boolean, schema: JsonSchema): Parameter {
  const { description, ...rest } = schema;
  return { name, in: where, required, ...(typeof description === 'string' ? { description } : {}), schema: rest };
}

function responseOf(status: number, response: ResponseSpec, convert: SchemaConverter) {
  if (response.schema) return { description: response.description, content: { [response.contentType ?? 'application/json']: { schema: convert.convert(response.schema, 'output') } } };
  if (response.contentType) return { description: response.description, content: { [response.contentType]: {} } };
  if (status >= 400) return { description: response.description, content: { 'application/json': { schema: ERROR_REF } } };
  return { description: response.description };
}

function operationOf(spec: Endpoint, convert: SchemaConverter): Operation {
  const responses: Operation['responses'] = {};
  for (const [status, response] of Object.entries(spec.responses)) responses[status] = responseOf(Number(status), response, convert);
  for (const [status, description] of Object.entries(standardErrors(spec))) {
    responses[status] ??= { description, content: { 'application/json': { schema: ERROR_REF } } };
  }
  const parameters = parametersOf(spec, convert);
  let requestBody: Operation['requestBody'];
  if (spec.body) {
    // An empty body reads as `{}` (api/body.ts): the body is optional when `{}` is valid.
    requestBody = { required: !spec.body.safeParse({}).success, content: { 'application/json': { schema: convert.convert(spec.body, 'input') } } };
  } else if (spec.rawBody) {
    requestBody = { required: true, description: spec.rawBody.description, content: { [spec.rawBody.contentType]: {} } };
  }
  const rule = spec.access;
  return {
    operationId: operationIdOf(spec.method, spec.path),
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
    security: securityOf(rule),
    'x-access-rule': { name: rule.name, description: rule.description, admits: rule.admits, adminOnly: Boolean(rule.adminOnly) },
  };
}

export function buildOpenApiDocument(all: readonly Endpoint[], options: { publicUrl: string; version: string }): OpenApiDocument {
  const convert = new SchemaConverter();
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  for (const spec of all) {
    const operation = operationOf(spec, convert);
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = operation;
    if (!tags.includes(spec.tag)) tags.push(spec.tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Meeting recorder API',
      version: options.version,
      description:
        'Every operation states who may call it (`x-access-rule`). Every failure answers `{ "error": { "code", "message", "details"? } }` (components.schemas.Error); ' +
        '401 means no or a refused credential, 403 a caller who may not do this, 404 a thing that does not exist or that the caller may not know of; a 500 never carries internals.',
    },
    servers: [{ url: options.publicUrl }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: { schemas: { Error: convert.convert(errorSchema, 'output'), ...convert.components }, securitySchemes: securitySchemes(options.publicUrl) },
  };
}

let packageVersion: string | undefined;
function version(): string {
  packageVersion ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return packageVersion;
}

const documents = new Map<string, OpenApiDocument>();
/** Built at the first request (the endpoint list imports this module, so it is read lazily), then kept. */
async function documentFor(ctx: ApiContext): Promise<OpenApiDocument> {
  const { publicUrl } = ctx.state.services.config.api;
  let document = documents.get(publicUrl);
  if (!document) {
    const { endpoints } = await import('./app.ts');
    document = buildOpenApiDocument(endpoints, { publicUrl, version: version() });
    documents.set(publicUrl, document);
  }
  return document;
}

// ---- The page ------------------------------------------------------------------------------------------

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function schemaBlock(schema: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`;
}

function contentBlock(content: Record<string, { schema?: JsonSchema }> | undefined): string {
  if (!content) return '';
  return Object.entries(content)
    .map(([type, media]) => `<div class="media"><code>${escapeHtml(type)}</code>${media.schema ? schemaBlock(media.schema) : ''}</div>`)
    .join('');
}

function operationHtml(path: string, method: string, op: Operation): string {
  const rule = op['x-access-rule'];
  const parameters = op.parameters?.length
    ? `<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Required</th><th>Schema</th><th>Description</th></tr>${op.parameters
        .map((p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${escapeHtml(JSON.stringify(p.schema))}</code></td><td>${escapeHtml(p.description ?? '')}</td></tr>`)
        .join('')}</table>`
    : '';
  const body = op.requestBody
    ? `<h4>Request body${op.requestBody.required ? '' : ' (optional)'}</h4>${op.requestBody.description ? `<p>${escapeHtml(op.requestBody.description)}</p>` : ''}${contentBlock(op.requestBody.content)}`
    : '';
  const responses = Object.entries(op.responses)
    .map(([status, response]) => `<details><summary><b>${escapeHtml(status)}</b> ${escapeHtml(response.description)}</summary>${contentBlock(response.content)}</details>`)
    .join('');
  return `<section class="op" id="${escapeHtml(op.operationId)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary)}</p>${op.description ? `<p>${escapeHtml(op.description)}</p>` : ''}
<p class="rule">Access rule <b>${escapeHtml(rule.name)}</b>: ${escapeHtml(rule.description)}</p>
${parameters}${body}<h4>Responses</h4>${responses}
</section>`;
}

export function renderDocsPage(document: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(path, method, op)]);
    }
  }
  const sections = document.tags
    .map(({ name }) => `<h2 id="tag-${escapeHtml(name)}">${escapeHtml(name)}</h2>${(byTag.get(name) ?? []).join('\n')}`)
    .join('\n');
  const toc = document.tags.map(({ name }) => `<a href="#tag-${escapeHtml(name)}">${escapeHtml(name)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace}pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem}
.op{border-top:1px solid #ddd;padding:.5rem 0}.method{display:inline-block;min-width:4rem;font-size:13px;color:#fff;background:#555;padding:0 .3rem;border-radius:3px;text-align:center}
.get{background:#2a6f2a}.post{background:#1f5fa8}.put,.patch{background:#9a6a00}.delete{background:#a33}
.rule{background:#fff8e0;padding:.3rem .5rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top}
</style></head><body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${escapeHtml(document.info.description)}</p>
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1). Server: <code>${escapeHtml(document.servers[0]?.url ?? '')}</code></p>
<p>${toc}</p>
${sections}
</body></html>
`;
}

export const openApiEndpoints: Endpoint[] = [
  endpoint({
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    tag: 'meta',
    access: rules.public,
    responses: { 200: { description: 'The document', schema: z.object({ openapi: z.string() }).loose() } },
    async handler(ctx) {
      ctx.body = await documentFor(ctx);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/docs',
    summary: 'This API as a page: every endpoint by tag, with its access rule, parameters and bodies',
    tag: 'meta',
    access: rules.public,
    responses: { 200: { description: 'An HTML page (no scripts)', contentType: 'text/html' } },
    async handler(ctx) {
      const page = renderDocsPage(await documentFor(ctx));
      // A page, not data: inline styles only, still nothing that runs, loads or frames it.
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page;
    },
  }),
];
