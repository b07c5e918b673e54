import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSpeechRecognizer, SpeechEngineUnavailableError, SpeechServiceError, type SpeechRecognizer } from '../speech/index.ts';
import { parseWordLines } from '../speech/pocketsphinx.ts';
import { otherFormatWav, speechChunk, type Clip } from './fixtures/speech/audio.ts';

// The offline engine: the real pocketsphinx_continuous on espeak-ng speech (recognition is poor; timing is real).

let dir: string;
let sentence: Clip & { speech: Array<{ start: number; end: number }> };
let silent: Clip;
const recognizer: SpeechRecognizer = createSpeechRecognizer({ engine: 'pocketsphinx' });
const transcribe = (clip: Clip, language = 'en', r = recognizer, signal?: AbortSignal) =>
  r.transcribe({ wavPath: clip.path, durationSeconds: clip.durationSeconds }, { language, signal });

async function rejectsFinal(promise: Promise<unknown>, message: RegExp, type: typeof SpeechServiceError = SpeechServiceError) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.equal(error.retryable, false);
    assert.match(error.message, message);
    return true;
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-pocketsphinx-'));
  sentence = await speechChunk(dir, 'sentence', [0.7, 'Please bring the sales figures to the meeting tomorrow.', 0.7]);
  silent = await speechChunk(dir, 'silent', [2]);
});

after(() => rm(dir, { recursive: true, force: true }));

describe('pocketsphinx engine', () => {
  it('is the offline, low-quality engine', () => {
    assert.equal(recognizer.name, 'pocketsphinx');
    assert.equal(recognizer.quality, 'offline-low');
  });

  it('returns words timed inside the speech, with confidences in 0..1', async () => {
    const words = await transcribe(sentence, 'en-US');
    const [speech] = sentence.speech;
    assert.ok(words.length >= 3, `expected several words, got ${JSON.stringify(words)}`);
    for (const w of words) {
      assert.match(w.text, /^[a-z'.-]+$/, 'no <s>, <sil>, [NOISE] or word(2) left');
      assert.ok(w.start >= speech!.start - 0.1 && w.end <= speech!.end + 0.1 && w.start <= w.end, `word outside the speech ${JSON.stringify(speech)}: ${JSON.stringify(w)}`);
      assert.ok(w.confidence !== null && w.confidence >= 0 && w.confidence <= 1);
    }
    assert.deepEqual([...words].sort((a, b) => a.start - b.start), words);
  });

  it('a silent chunk → no words, no error', async () => {
    assert.deepEqual(await transcribe(silent), []);
  });

  it('a language other than English → final, saying so', async () => {
    await rejectsFinal(transcribe(sentence, 'de'), /only a US English model.*'de'/);
  });

  it('a missing binary or model → final SpeechEngineUnavailableError', async () => {
    const noBinary = createSpeechRecognizer({ engine: 'pocketsphinx', binaryPath: join(dir, 'no-such-pocketsphinx') });
    await rejectsFinal(transcribe(sentence, 'en', noBinary), /cannot run .*no-such-pocketsphinx \(ENOENT/, SpeechEngineUnavailableError);
    const noModel = createSpeechRecognizer({ engine: 'pocketsphinx', hmmPath: join(dir, 'no-model') });
    await rejectsFinal(transcribe(sentence, 'en', noModel), /acoustic model not found/, SpeechEngineUnavailableError);
  });

  it('a WAV in another format → final, before running the tool', async () => {
    const narrow = await otherFormatWav(dir, 'narrow', { rate: 8000 });
    await rejectsFinal(transcribe({ path: narrow, durationSeconds: 1 }), /8000 Hz \(expected 16000\)/);
  });

  it("the caller's cancellation stops the process and rejects with its reason", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 150);
    const started = performance.now();
    await assert.rejects(transcribe(sentence, 'en', recognizer, controller.signal), /activity cancelled/);
    assert.ok(performance.now() - started < 1500);
  });

  it('its own timeout → retryable', async () => {
    const hasty = createSpeechRecognizer({ engine: 'pocketsphinx', timeoutMs: 100 });
    await assert.rejects(transcribe(sentence, 'en', hasty), (error: unknown) => error instanceof SpeechServiceError && error.retryable && error.code === 'timeout');
  });
});

describe('pocketsphinx output parsing', () => {
  it('reads word lines of a real run: markers and fillers dropped, alternates stripped, times kept', async () => {
    const words = parseWordLines(await readFile(join(import.meta.dirname, 'fixtures/speech/pocketsphinx-output.txt'), 'utf8'), 30);
    assert.equal(words.length, 38);
    assert.deepEqual(words[0], { text: 'what', start: 0.25, end: 0.46, confidence: 0.3874 });
    assert.ok(words.some((w) => w.text === 'recording' && w.start === 12.06));
    assert.ok(words.every((w) => /^[a-z']+$/.test(w.text)));
    assert.ok(words.at(-1)!.start > 22, 'later utterances keep times from the start of the input');
  });

  it('clamps a probability over 1 and a time past the chunk', () => {
    assert.deepEqual(parseWordLines('hello 0.5 2.5 1.000200\n', 2), [{ text: 'hello', start: 0.5, end: 2, confidence: 1 }]);
  });
});
