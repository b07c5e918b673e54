// The OpenAPI document is generated from the endpoint declarations: it must be valid OpenAPI 3.1, state every
// endpoint's access rule, agree with the router both ways, and describe what the API really sends and answers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { z } from 'zod';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { endpoints } from '../api/app.ts';
import { endpoint } from '../api/endpoint.ts';
import { rules } from '../api/access.ts';
import { buildOpenApiDocument, openApiPath, operationIdOf, renderDocsPage, type OpenApiDocument, type Operation } from '../api/openapi.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function operations(document: OpenApiDocument): Array<{ path: string; method: (typeof METHODS)[number]; op: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) => METHODS.filter((method) => item[method]).map((method) => ({ path, method, op: item[method]! })));
}

/** A JSON pointer token (RFC 6901). */
const pointer = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');

describe('OpenAPI document', () => {
  let product: TestProduct;
  let document: OpenApiDocument;
  let ajv: Ajv2020;
  before(async () => {
    product = await startTestProduct({ name: 'openapi', worker: false });
    const response = await product.as({})('GET', '/v1/openapi.json');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    document = response.body;
    ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    ajv.addSchema(document as never, 'openapi');
  });
  after(() => product?.stop());

  /** Checks a real answer against the schema the document gives for that operation and status. */
  function assertMatchesDocument(method: string, path: string, status: number, body: unknown): void {
    const media = `openapi#/paths/${pointer(path)}/${method}/responses/${status}/content/${pointer('application/json')}/schema`;
    assert.ok(document.paths[path]?.[method as 'get']?.responses[status], `${method} ${path} documents ${status}`);
    const validate = ajv.compile({ $ref: media });
    assert.ok(validate(body), `${method.toUpperCase()} ${path} ${status}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(body)}`);
  }

  it('is valid OpenAPI 3.1 (and the validator does catch a broken one)', async () => {
    assert.equal(document.openapi, '3.1.0');
    const result = await new Validator().validate(structuredClone(document) as never);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
    const broken = structuredClone(document) as unknown as { paths: Record<string, Record<string, { responses?: unknown }>> };
    delete broken.paths['/v1/rooms']!.get!.responses;
    broken.paths['/v1/rooms']!.get!.responses = 'none';
    assert.equal((await new Validator().validate(broken as never)).valid, false);
    assert.equal(document.info.version, JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version);
    assert.deepEqual(document.servers, [{ url: product.services.config.api.publicUrl }]);
  });

  it('lists every mounted endpoint once, with its rule, security and stable operationId', () => {
    const ids = new Set<string>();
    for (const spec of endpoints) {
      const op = document.paths[openApiPath(spec.path)]?.[spec.method];
      assert.ok(op, `${spec.method.toUpperCase()} ${spec.path} is in the document`);
      assert.equal(op.operationId, operationIdOf(spec.method, spec.path));
      assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
      ids.add(op.operationId);
      assert.equal(op['x-access-rule'].name, spec.access.name);
      assert.equal(op['x-access-rule'].description, spec.access.description);
      assert.deepEqual(op.tags, [spec.tag]);
      const schemes = op.security.flatMap((requirement) => Object.keys(requirement));
      if (spec.access === rules.public || spec.access === rules.platformSignature) assert.deepEqual(op.security, []);
      else {
        assert.equal(schemes.includes('apiKey'), spec.access.admits.includes('user'), `${op.operationId}: API key iff users are admitted`);
        assert.equal(schemes.includes('meetingToken'), spec.access.admits.includes('participant'), `${op.operationId}: meeting token iff participants are admitted`);
        assert.equal(op.security.some((requirement) => Object.keys(requirement).length === 0), spec.access.admits.includes('anonymous'));
      }
      for (const scheme of schemes) assert.ok(document.components.securitySchemes[scheme], `security scheme ${scheme} is defined`);
      // Path parameters are documented, and `:x` never leaks into the document's paths.
      assert.doesNotMatch(openApiPath(spec.path), /:/);
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      assert.deepEqual(pathParams, [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1]));
      if (spec.access.anonymousNeedsShareLink) assert.ok(op.parameters?.some((p) => p.in === 'query' && p.name === 'share'), `${op.operationId} documents ?share=`);
    }
    assert.equal(operations(document).length, endpoints.length, 'nothing in the document that is not an endpoint');
  });

  it('gives each operation the standard errors its rule and input can produce, as the one Error schema', () => {
    const errorRef = { $ref: '#/components/schemas/Error' };
    for (const spec of endpoints) {
      const op = document.paths[openApiPath(spec.path)]![spec.method]!;
      const has = (status: number) => status in op.responses;
      if (spec.params || spec.query || spec.body) assert.ok(has(400), `${op.operationId} 400`);
      if (!spec.access.admits.includes('anonymous') || spec.access.anonymousNeedsShareLink) assert.ok(has(401), `${op.operationId} 401`);
      if (spec.access !== rules.public && spec.access !== rules.platformSignature) assert.ok(has(403), `${op.operationId} 403`);
      if (spec.path.includes(':')) assert.ok(has(404), `${op.operationId} 404`);
      if (spec.body) assert.ok(has(413) && has(415), `${op.operationId} 413/415`);
      if (spec.rawBody) assert.ok(has(413), `${op.operationId} 413`);
      if (spec.rateLimit) assert.ok(has(429), `${op.operationId} 429`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && !spec.responses[Number(status)]?.schema) assert.deepEqual(response.content?.['application/json']?.schema, errorRef, `${op.operationId} ${status}`);
      }
    }
    const loginOp = document.paths['/v1/auth/login']!.post!;
    assert.ok(loginOp.responses[429] && loginOp.responses[413]);
    assert.match(loginOp.responses[413]!.description, /8192 bytes/);
  });

  it('agrees with the router both ways: every documented path answers, and with exactly the documented methods', async () => {
    const anonymous = product.as({});
    for (const { path, method } of operations(document)) {
      // Any value fits every parameter's shape (a lower-case UUID is also a valid room name).
      const url = path.replace(/\{\w+\}/g, () => randomUUID());
      const response = await fetch(`${product.url}${url}`, { method: method.toUpperCase(), signal: AbortSignal.timeout(15_000) });
      const text = await response.text();
      assert.ok(!(response.status === 404 && text.includes('No route')), `${method.toUpperCase()} ${path} is routed (got ${response.status} ${text})`);
      assert.notEqual(response.status, 405, `${method.toUpperCase()} ${path} is routed`);
    }
    for (const path of Object.keys(document.paths)) {
      const url = path.replace(/\{\w+\}/g, () => randomUUID());
      const response = await anonymous('OPTIONS', url);
      const allowed = (response.headers.get('allow') ?? '').split(',').map((m) => m.trim().toLowerCase()).filter((m) => m && m !== 'head' && m !== 'options');
      assert.deepEqual(allowed.sort(), METHODS.filter((m) => document.paths[path]![m]).sort(), `the router's methods for ${path}`);
    }
    assert.match((await anonymous('GET', '/v1/not-an-endpoint')).body.error.message, /No route/);
  });

  it('describes real requests and answers: rooms created, listed, refused; errors', async () => {
    const created = await product.request('POST', '/v1/rooms', { name: 'openapi-room', webhookUrl: 'https://example.com/hook', webhookSecret: 'a-secret-of-16-chars', allowAnonymous: true });
    assert.equal(created.status, 201);
    assertMatchesDocument('post', '/v1/rooms', 201, created.body);
    const list = await product.request('GET', '/v1/rooms?limit=5');
    assert.equal(list.status, 200);
    assert.ok(list.body.items.length >= 1);
    assertMatchesDocument('get', '/v1/rooms', 200, list.body);
    const guest = await product.as({})('GET', '/v1/rooms/openapi-room');
    assert.equal(guest.status, 200);
    assertMatchesDocument('get', '/v1/rooms/{name}', 200, guest.body);
    const me = await product.request('GET', '/v1/auth/me');
    assertMatchesDocument('get', '/v1/auth/me', 200, me.body);

    const invalid = await product.request('POST', '/v1/rooms', { name: 'No Spaces!', retentionDays: 0 });
    assert.equal(invalid.status, 400);
    assertMatchesDocument('post', '/v1/rooms', 400, invalid.body);
    assert.deepEqual(invalid.body.error.details.map((d: { field: string }) => d.field).sort(), ['name', 'retentionDays']);
    const badQuery = await product.request('GET', '/v1/rooms?limit=1000');
    assert.equal(badQuery.status, 400);
    assertMatchesDocument('get', '/v1/rooms', 400, badQuery.body);
    const unauthenticated = await product.as({})('GET', '/v1/rooms');
    assert.equal(unauthenticated.status, 401);
    assertMatchesDocument('get', '/v1/rooms', 401, unauthenticated.body);
    const missing = await product.request('GET', '/v1/rooms/no-such-room');
    assertMatchesDocument('get', '/v1/rooms/{name}', 404, missing.body);
    const conflict = await product.request('POST', '/v1/rooms', { name: 'openapi-room' });
    assert.equal(conflict.status, 409);
    assertMatchesDocument('post', '/v1/rooms', 409, conflict.body);

    // The documented request body schema accepts what the API accepts, and refuses what it refuses.
    const validateBody = ajv.compile({ $ref: `openapi#/paths/${pointer('/v1/rooms')}/post/requestBody/content/${pointer('application/json')}/schema` });
    assert.ok(validateBody({ name: 'another-room', retentionDays: 30, webhookUrl: null }));
    assert.equal(validateBody({ name: 'No Spaces!' }), false);
    assert.equal(validateBody({ name: 'fine-name', unknownField: 1 }), false, 'strict bodies are documented as closed');
  });

  it('describes corrections: the corrected answer, a stale revision\'s 409 and the history', async () => {
    const em = product.services.db.em.fork();
    const owner = await product.createUser();
    const { meeting } = await seedRoom(em, { name: 'openapi-corrections', ownerId: owner.id });
    const { transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true });
    const segments = [{ speaker: 0, speakerName: 'A', start: 0, end: 1, text: 'hello world', words: [] }];
    await product.services.storage.put(`transcripts/${transcript!.id}/segments.json`, JSON.stringify(segments), { contentType: 'application/json' });
    const as = product.as(owner.headers);
    const renamed = await as('PATCH', `/v1/transcripts/${transcript!.id}/speakers/0`, { revision: 0, name: 'Ada' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assertMatchesDocument('patch', '/v1/transcripts/{id}/speakers/{speaker}', 200, renamed.body);
    const stale = await as('PATCH', `/v1/transcripts/${transcript!.id}/turns/0`, { revision: 0, text: 'hello there' });
    assert.equal(stale.status, 409);
    assertMatchesDocument('patch', '/v1/transcripts/{id}/turns/{index}', 409, stale.body);
    const invalid = await as('PATCH', `/v1/transcripts/${transcript!.id}/turns/0`, { revision: 1 });
    assert.equal(invalid.status, 400);
    assertMatchesDocument('patch', '/v1/transcripts/{id}/turns/{index}', 400, invalid.body);
    const edits = await as('GET', `/v1/transcripts/${transcript!.id}/edits`);
    assertMatchesDocument('get', '/v1/transcripts/{id}/edits', 200, edits.body);
    const view = await as('GET', `/v1/transcripts/${transcript!.id}`);
    assertMatchesDocument('get', '/v1/transcripts/{id}', 200, view.body);
    assert.equal(view.body.revision, 1);
  });

  it('serves a readable page: every operation by tag with its rule, no scripts, escaped', async () => {
    const page = await product.as({})('GET', '/v1/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /style-src 'unsafe-inline'/);
    assert.doesNotMatch(csp, /script-src/);
    const html = page.body as string;
    assert.doesNotMatch(html, /<script/i);
    for (const { path, method, op } of operations(document)) {
      assert.ok(html.includes(`id="${op.operationId}"`), `${op.operationId} on the page`);
      assert.ok(html.includes(`${method.toUpperCase()}</span> <code>${path}</code>`), `${method} ${path} on the page`);
    }
    for (const rule of Object.values(rules)) if (endpoints.some((e) => e.access === rule)) assert.ok(html.includes(`<b>${rule.name}</b>`), `rule ${rule.name} on the page`);

    const hostile = endpoint({
      method: 'post',
      path: '/v1/x/:id',
      summary: '<script>alert(1)</script>',
      description: '"quoted" & <b>bold</b>',
      tag: '<img src=x onerror=alert(1)>',
      access: rules.signedIn,
      body: z.object({ '<evil>': z.string().describe('</pre><script>') }),
      responses: { 200: { description: '<iframe>' } },
      async handler() {},
    });
    const rendered = renderDocsPage(buildOpenApiDocument([hostile], { publicUrl: 'http://x.test', version: '<1>' }));
    assert.doesNotMatch(rendered, /<script|<img|<iframe|<evil|<b>bold/i);
    assert.match(rendered, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });
});
