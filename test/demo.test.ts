// `npm run demo` against the running product, as a new user runs it after `npm start` (which runs Daily and LiveKit
// side by side): the transcript it prints says what the demo's participants said (the words from Whisper,
// compared with the scenario's lines), on either platform.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it, type TestContext } from 'node:test';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { wordErrorRate } from '../speech/wer.ts';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '..');

describe('npm run demo', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'demo', livekit: true, hms: true, whereby: true, env: { RECORDING_READY_TIMEOUT_SECONDS: '30' } });
  });
  after(() => product?.stop());

  const demo = async (args: string[]) => {
    const { stdout } = await run(process.execPath, [
      path.join(root, 'scripts', 'demo.ts'), '--api', product.url, '--api-key', product.adminHeaders['x-api-key']!, '--timeout', '240', ...args,
    ], { cwd: root, env: { ...process.env, TEMPORAL_NAMESPACE: product.config.temporal.namespace }, maxBuffer: 10 * 2 ** 20 });
    return stdout;
  };

  /** The printed turns against the scenario's lines: each speaker's words within `perSpeaker`, all within 0.15. */
  const assertSaidByTheirSpeakers = async (t: TestContext, stdout: string, perSpeaker: number) => {
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
      const heard = turns.filter((turn) => turn.speaker === speaker).map((turn) => turn.text).join(' ');
      const wer = wordErrorRate(spoken, heard);
      t.diagnostic(`${speaker}: WER ${wer.toFixed(2)}`);
      assert.ok(wer <= perSpeaker, `${speaker} said "${spoken}"; the demo printed "${heard}" (WER ${wer.toFixed(2)})`);
    }
    const wer = wordErrorRate(said.map((s) => s.text).join(' '), turns.map((turn) => turn.text).join(' '));
    t.diagnostic(`the whole demo: WER ${wer.toFixed(2)}`);
    assert.ok(wer <= 0.15, `the whole demo: WER ${wer.toFixed(2)}\n${stdout}`);
    assert.match(stdout, /Engines: +speech openai-compatible:whisper-base|Engines: +speech whisper:whisper-base/);
  };

  it('prints a transcript whose words are what the demo said, each by its speaker', { timeout: 300_000 }, async (t) => {
    const stdout = await demo(['--sim', product.daily.controlUrl]);
    assert.match(stdout, /room "demo-[0-9a-f]+" on daily/);
    await assertSaidByTheirSpeakers(t, stdout, 0.35);
  });

  it('npm run demo -- --platform livekit prints a transcript whose words are what was said, each by its speaker', { timeout: 300_000 }, async (t) => {
    const stdout = await demo(['--platform', 'livekit', '--sim', product.livekit!.controlUrl]);
    assert.match(stdout, /room "demo-[0-9a-f]+" on livekit/);
    // Its links to the meeting's and the recordings' workflows in the Temporal UI.
    assert.match(stdout, /Workflow: +http:\/\/127\.0\.0\.1:\d+\/namespaces\/[^/]+\/workflows\/meeting%2F/);
    assert.match(stdout, /Workflow: +http:\/\/127\.0\.0\.1:\d+\/namespaces\/[^/]+\/workflows\/recording%2F/);
    await assertSaidByTheirSpeakers(t, stdout, 0.35);
  });

  /** A composite-only platform's demo: one speaker, the whole room, whose words are what was said. */
  const assertCompositeTranscript = async (t: TestContext, platform: string, stdout: string) => {
    const room = new RegExp(`room "(demo-[0-9a-f]+)" on ${platform}`).exec(stdout)?.[1];
    assert.ok(room, stdout);
    const scenario = JSON.parse(await readFile(path.join(root, 'platforms', 'daily', 'simulator', 'scenarios', 'three-person-demo.json'), 'utf8')) as { steps: Array<{ action: string; text?: string }> };
    const said = scenario.steps.filter((s) => s.action === 'say').map((s) => s.text!).join(' ');
    const turns = [...stdout.matchAll(/^ {4}\[\d\d:\d\d\] (.+?): (.*)$/gm)].map((m) => ({ speaker: m[1]!, text: m[2]! }));
    assert.ok(turns.length > 0, stdout);
    assert.deepEqual([...new Set(turns.map((turn) => turn.speaker))], [`Room ${room}`], 'one speaker, the whole room');
    const wer = wordErrorRate(said, turns.map((turn) => turn.text).join(' '));
    t.diagnostic(`the whole demo on ${platform} (mixed audio): WER ${wer.toFixed(2)}`);
    assert.ok(wer <= 0.3, `WER ${wer.toFixed(2)}\n${stdout}`);
  };

  it('npm run demo -- --platform 100ms prints a transcript of the composite whose words are what was said, one speaker the room', { timeout: 300_000 }, async (t) => {
    await assertCompositeTranscript(t, '100ms', await demo(['--platform', '100ms', '--sim', product.hms!.controlUrl]));
  });

  it('npm run demo -- --platform whereby: the room records itself, and the composite Whereby wrote into our storage is transcribed', { timeout: 300_000 }, async (t) => {
    const stdout = await demo(['--platform', 'whereby', '--sim', product.whereby!.controlUrl]);
    assert.match(stdout, /Whereby records by itself: the room's trigger \(automatic\)/);
    assert.doesNotMatch(stdout, /asked to record on join/, 'our API is not asked: Whereby starts its recorder');
    await assertCompositeTranscript(t, 'whereby', stdout);
  });

  it('refuses an unknown --platform with the usage, exit code 2', async () => {
    const refused = await run(process.execPath, [path.join(root, 'scripts', 'demo.ts'), '--platform', 'zoom'], { cwd: root }).then(() => undefined, (error: { code: number; stderr: string }) => error);
    assert.equal(refused?.code, 2);
    assert.match(refused.stderr, /--platform must be one of daily, livekit, 100ms, whereby \(got zoom\)/);
    assert.match(refused.stderr, /Usage: npm run demo/);
  });
});
