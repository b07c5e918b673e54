// The browser client's typed API client (web/src/api/client.ts) calls only operations the API documents:
// every entry of API_OPERATIONS is a path and method of the OpenAPI document the API serves at
// /v1/openapi.json (built here from the same endpoint list, without a server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { endpoints } from '../api/app.ts';
import { buildOpenApiDocument } from '../api/openapi.ts';

/** API_OPERATIONS read from the client's source: `name: ['METHOD', '/v1/…']` (the web code is not Node code). */
async function clientOperations(): Promise<Array<{ name: string; method: string; path: string }>> {
  const source = await readFile(path.resolve(import.meta.dirname, '..', 'web', 'src', 'api', 'client.ts'), 'utf8');
  const block = source.slice(source.indexOf('export const API_OPERATIONS'), source.indexOf('} as const'));
  return [...block.matchAll(/^\s*(\w+): \['(GET|POST|PUT|PATCH|DELETE)', '([^']+)'\],$/gm)].map(([, name, method, p]) => ({ name: name!, method: method!, path: p! }));
}

test('every operation the web client calls is in the OpenAPI document', async () => {
  const document = buildOpenApiDocument(endpoints, { publicUrl: 'http://127.0.0.1:8080', version: 'test' });
  const operations = await clientOperations();
  assert.ok(operations.length >= 25, `the client's operations were read (${operations.length})`);
  const missing = operations.filter((op) => !(document.paths[op.path] as Record<string, unknown> | undefined)?.[op.method.toLowerCase()]);
  assert.deepEqual(missing, [], 'operations the client calls that the API does not document');
});
