// `npm run demo` against the running product, as a new user runs it after `npm start`: the transcript it prints
// says what the demo's participants said (the words from Whisper, compared with the scenario's lines).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { wordErrorRate } from '../speech/wer.ts';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '..');

describe('npm run demo', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'demo', env: { RECORDING_READY_TIMEOUT_SECONDS: '30' } });
  });
  after(() => product?.stop());

  it('prints a transcript whose words are what the demo said, each by its speaker', { timeout: 300_000 }, async () => {
    const { stdout } = await run(process.execPath, [
      path.join(root, 'scripts', 'demo.ts'), '--api', product.url, '--sim', product.daily.controlUrl, '--api-key', product.adminHeaders['x-api-key']!,
      '--timeout', '240',
    ], { cwd: root, env: { ...process.env, TEMPORAL_NAMESPACE: product.config.temporal.namespace }, maxBuffer: 10 * 2 ** 20 });

    const scenario = JSON.parse(await readFile(path.join(root, 'platforms', 'daily', 'simulator', 'scenarios', 'three-person-demo.json'), 'utf8')) as {
      participants: Record<string, { userName: string }>;
      steps: Array<{ action: string; who: string; text?: string }>;
    };
    const said = scenario.steps.filter((s) => s.action === 'say').map((s) => ({ speaker: scenario.participants[s.who]!.userName, text: s.text! }));
    // The printed turns: "    [00:02] Ada: Hello everyone, …".
    const turns = [...stdout.matchAll(/^ {4}\[\d\d:\d\d\] (\w+): (.*)$/gm)].map((m) => ({ speaker: m[1]!, text: m[2]! }));
    assert.ok(turns.length >= said.length - 1, `the demo printed its turns:\n${stdout}`);
    assert.doesNotMatch(stdout, /more turn\(s\)/, 'every turn printed');
    for (const speaker of new Set(said.map((s) => s.speaker))) {
      const spoken = said.filter((s) => s.speaker === speaker).map((s) => s.text).join(' ');
      const heard = turns.filter((t) => t.speaker === speaker).map((t) => t.text).join(' ');
      const wer = wordErrorRate(spoken, heard);
      assert.ok(wer <= 0.35, `${speaker} said "${spoken}"; the demo printed "${heard}" (WER ${wer.toFixed(2)})`);
    }
    const wer = wordErrorRate(said.map((s) => s.text).join(' '), turns.map((t) => t.text).join(' '));
    assert.ok(wer <= 0.15, `the whole demo: WER ${wer.toFixed(2)}\n${stdout}`);
    assert.match(stdout, /Engines: +speech openai-compatible:whisper-base|Engines: +speech whisper:whisper-base/);
  });
});
