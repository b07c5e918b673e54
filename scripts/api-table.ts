// The README's endpoint table, generated from the endpoint declarations (api/endpoint.ts) so it cannot drift:
// `npm run docs:api` rewrites it between the markers; test/authorization-matrix.test.ts checks it is current.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { endpoints } from '../api/app.ts';
import type { AccessRule } from '../api/access.ts';

export const README = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const START = '<!-- endpoints:start (npm run docs:api) -->';
const END = '<!-- endpoints:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function endpointTable(): string {
  const rows = endpoints.map((e) => `| \`${e.method.toUpperCase()} ${e.path}\` | ${cell(e.summary)} | ${e.access.name} |`);
  const rules = new Map<string, AccessRule>(endpoints.map((e) => [e.access.name, e.access]));
  const ruleRows = [...rules.values()].map((rule) => `| ${rule.name} | ${cell(rule.description)} |`);
  return [
    START,
    '| Endpoint | What it does | Who may call it |',
    '|---|---|---|',
    ...rows,
    '',
    '| Rule | Who passes |',
    '|---|---|',
    ...ruleRows,
    END,
  ].join('\n');
}

/** The README with its table replaced (or null when the markers are missing). */
export function withTable(readme: string): string | null {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return null;
  return readme.slice(0, start) + endpointTable() + readme.slice(end + END.length);
}

if (import.meta.main) {
  const readme = await readFile(README, 'utf8');
  const updated = withTable(readme);
  if (updated === null) throw new Error(`README.md has no ${START} … ${END} markers`);
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md endpoint table is out of date: run npm run docs:api');
      process.exitCode = 1;
    }
  } else {
    await writeFile(README, updated);
    console.log(`README.md: ${endpoints.length} endpoints`);
  }
}
