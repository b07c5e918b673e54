// Lint: strict TypeScript everywhere, and determinism enforced in workflows/ (no Node built-ins, no I/O).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
// Libraries that do I/O or read clocks/randomness outside Temporal's control.
const ioLibraries = [
  '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing',
  '@mikro-orm/*', 'pg', '@electric-sql/*', '@aws-sdk/*', 'koa', '@koa/*', 'dotenv', 'uuid',
];

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.venv/', 'web/dist/', 'test-results/', 'test-artifacts/', 'db/migrations/*.json'] },
  ...tseslint.configs.recommended,
  {
    // web/ (React, .tsx) is checked with its own tsconfig: the project service finds web/tsconfig.json.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON responses loosely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The messages workflows import (meetings/, recordings/) are held to the same rule.
    files: ['workflows/**/*.ts', 'meetings/messages.ts', 'recordings/messages.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins in workflows/.' })),
        patterns: [
          { group: ioLibraries, message: 'Workflow code must be deterministic: no I/O libraries in workflows/; call an activity.' },
          { group: ['../activities/*', '../db/*', '../storage/*', '../api/*', '../platforms/*', '../runtime/*'], allowTypeImports: true, message: 'workflows/ may import only types from side-effecting modules.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'No process in workflow code.' },
        { name: 'setInterval', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'fetch', message: 'No I/O in workflow code; call an activity.' },
      ],
    },
  },
);
