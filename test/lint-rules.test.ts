// Determinism is enforced by the build: the lint configuration refuses Node built-ins, I/O libraries and
// value imports of side-effecting modules in workflows/, and allows them elsewhere.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '..');
// The probes are not files of the project, so type-aware parsing (and the rules that need it) is off for them.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

async function ruleIds(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('workflow determinism lint', () => {
  it('refuses Node built-ins, I/O libraries, process and fetch in workflows/', async () => {
    const code = [
      "import fs from 'node:fs';",
      "import { Client } from '@temporalio/client';",
      "import { Meeting } from '../db/entities.ts';",
      'export const probe = [fs, Client, Meeting, process.env, fetch];',
    ].join('\n');
    const ids = await ruleIds(code, 'workflows/probe.ts');
    assert.equal(ids.filter((id) => id === 'no-restricted-imports').length, 3, ids.join(', '));
    assert.equal(ids.filter((id) => id === 'no-restricted-globals').length, 2, ids.join(', '));
  });

  it('allows type-only imports of activities and the same code outside workflows/', async () => {
    assert.deepEqual(await ruleIds("import type { Meeting } from '../db/entities.ts';\nexport type M = Meeting;\n", 'workflows/probe.ts'), []);
    assert.deepEqual(await ruleIds("import fs from 'node:fs';\nexport const probe = [fs, process.env];\n", 'activities/probe.ts'), []);
  });
});
