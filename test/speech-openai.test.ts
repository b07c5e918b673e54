import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSpeechRecognizer, SpeechServiceError, type SpeechRecognizer } from '../speech/index.ts';
import { startSpeechStandIn, TRANSCRIPTIONS_PATH, type SpeechStandIn } from '../speech/stand-in-server.ts';
import { otherFormatWav, speechChunk, type Clip } from './fixtures/speech/audio.ts';

// The openai-compatible engine over real HTTP, against the stand-in that checks requests as OpenAI documents them.

const KEY = 'sk-test-key';
let dir: string;
let standIn: SpeechStandIn;
let chunk: Clip & { speech: Array<{ start: number; end: number }> };
let recognizer: SpeechRecognizer;

const recognizerFor = (overrides: { baseUrl?: string; apiKey?: string; requestTimeoutMs?: number; prompt?: string; temperature?: number } = {}) =>
  createSpeechRecognizer({ engine: 'openai-compatible', baseUrl: standIn.baseUrl, apiKey: KEY, model: 'whisper-1', requestTimeoutMs: 5000, ...overrides });

const transcribe = (r: SpeechRecognizer = recognizer, options: { language?: string; signal?: AbortSignal } = {}) =>
  r.transcribe({ wavPath: chunk.path, durationSeconds: chunk.durationSeconds }, { language: 'en', ...options });

async function rejectsWith(promise: Promise<unknown>, expected: { retryable: boolean; status?: number; code?: string }) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SpeechServiceError, `expected SpeechServiceError, got ${String(error)}`);
    assert.equal(error.retryable, expected.retryable, error.message);
    if ('status' in expected) assert.equal(error.status, expected.status);
    if (expected.code) assert.equal(error.code, expected.code);
    assert.ok(!error.message.includes(KEY), 'the API key must not leak into messages');
    return true;
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<SpeechServiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SpeechServiceError);
    return error;
  }
  assert.fail('expected a rejection');
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-openai-'));
  chunk = await speechChunk(dir, 'chunk', [1.0, 'The quarterly budget meeting starts at nine tomorrow.', 1.5, 'Please bring the sales figures.', 1.0]);
  standIn = await startSpeechStandIn({ apiKey: KEY, models: ['whisper-1'] });
  recognizer = recognizerFor();
});

after(async () => {
  await standIn?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('openai-compatible engine: the happy path', () => {
  it('returns words timed where espeak spoke, inside the chunk, with confidences from avg_logprob', async () => {
    const words = await transcribe();
    assert.ok(words.length >= 2, `expected words, got ${JSON.stringify(words)}`);
    for (const w of words) {
      assert.ok(w.start >= 0 && w.start < w.end && w.end <= chunk.durationSeconds, `word outside the chunk: ${JSON.stringify(w)}`);
      const inSpeech = chunk.speech.some((s) => w.start >= s.start - 0.02 && w.end <= s.end + 0.02);
      assert.ok(inSpeech, `word outside speech ${JSON.stringify(chunk.speech)}: ${JSON.stringify(w)}`);
      assert.ok(Math.abs(w.confidence! - Math.exp(-0.25)) < 1e-3);
    }
    for (const s of chunk.speech) assert.ok(words.some((w) => w.start >= s.start && w.start < s.end), `no word in ${JSON.stringify(s)}`);
    assert.ok(words[0]!.start >= 0.9, 'nothing recognised in the leading second of silence');
    assert.deepEqual([...words].sort((a, b) => a.start - b.start), words);
  });

  it('sends the request OpenAI documents: multipart fields, a 16 kHz mono WAV, the bearer key', async () => {
    const seen = standIn.requests.length;
    await transcribe(recognizerFor({ prompt: 'Budget meeting.', temperature: 0 }), { language: 'en-US' });
    const request = standIn.requests[seen]!;
    assert.equal(request.status, 200);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, TRANSCRIPTIONS_PATH);
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.match(String(request.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.deepEqual(request.fields, {
      model: ['whisper-1'],
      response_format: ['verbose_json'],
      'timestamp_granularities[]': ['word', 'segment'],
      language: ['en'],
      prompt: ['Budget meeting.'],
      temperature: ['0'],
    });
    assert.equal(request.file?.filename, 'chunk.wav');
    assert.equal(request.file?.contentType, 'audio/wav');
    assert.equal(request.file?.wav?.sampleRate, 16000);
    assert.equal(request.file?.wav?.channels, 1);
    assert.ok(Math.abs(request.file!.wav!.durationSeconds - chunk.durationSeconds) < 0.01);
  });

  it('accepts a base URL given with /v1, as OpenAI SDKs take it', async () => {
    const words = await transcribe(recognizerFor({ baseUrl: `${standIn.baseUrl}/v1/` }));
    assert.ok(words.length >= 2);
  });

  it('returns [] for silence', async () => {
    const silent = await speechChunk(dir, 'silent', [2]);
    const words = await recognizer.transcribe({ wavPath: silent.path, durationSeconds: silent.durationSeconds }, { language: 'en' });
    assert.deepEqual(words, []);
  });
});

describe('the stand-in refuses malformed requests', () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}, path = TRANSCRIPTIONS_PATH) =>
    fetch(`${standIn.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, ...headers }, body });

  async function form(overrides: Record<string, string | null> = {}, file?: { bytes: Uint8Array; name: string }) {
    const f = new FormData();
    const fields: Record<string, string | null> = { model: 'whisper-1', response_format: 'verbose_json', 'timestamp_granularities[]': 'word', language: 'en', ...overrides };
    for (const [name, value] of Object.entries(fields)) if (value !== null) f.append(name, value);
    const wav = file ?? { bytes: await readFile(chunk.path), name: 'chunk.wav' };
    f.append('file', new Blob([new Uint8Array(wav.bytes)], { type: 'audio/wav' }), wav.name);
    return f;
  }

  async function expectRefusal(response: Response, status: number, message: RegExp) {
    assert.equal(response.status, status);
    const body = (await response.json()) as any;
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.match(body.error.message, message);
    assert.equal(typeof body.error.type, 'string');
  }

  it('a well-formed raw request passes (the baseline for the refusals below)', async () => {
    const response = await post(await form());
    assert.equal(response.status, 200);
    const body = (await response.json()) as any;
    assert.equal(body.task, 'transcribe');
    assert.equal(body.language, 'english');
    assert.ok(Math.abs(body.duration - chunk.durationSeconds) < 0.01);
    assert.ok(body.words.length >= 2 && body.words.every((w: any) => typeof w.word === 'string' && w.end > w.start));
    assert.equal(body.segments, undefined, "segments only when 'segment' granularity is asked for");
  });

  it('JSON instead of multipart/form-data', async () => {
    await expectRefusal(await post(JSON.stringify({ model: 'whisper-1' }), { 'content-type': 'application/json' }), 400, /multipart\/form-data/);
  });

  it('a multipart body without its close delimiter', async () => {
    const body = '--XyZ\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n';
    await expectRefusal(await post(body, { 'content-type': 'multipart/form-data; boundary=XyZ' }), 400, /close delimiter/);
  });

  it('missing model, missing word granularity, wrong response_format, bad language, bad temperature, unknown field', async () => {
    await expectRefusal(await post(await form({ model: null })), 400, /model/);
    await expectRefusal(await post(await form({ 'timestamp_granularities[]': null })), 400, /timestamp_granularities/);
    await expectRefusal(await post(await form({ response_format: 'json' })), 400, /timestamp_granularities requires response_format=verbose_json/);
    await expectRefusal(await post(await form({ language: 'english' })), 400, /ISO-639-1/);
    await expectRefusal(await post(await form({ temperature: '1.5' })), 400, /temperature/);
    await expectRefusal(await post(await form({ speaker: 'x' })), 400, /Unrecognized request argument/);
    await expectRefusal(await post(await form({ model: 'whisper-9' })), 400, /does not exist/);
  });

  it('a file that is not a 16 kHz mono WAV, or has no usable name', async () => {
    await expectRefusal(await post(await form({}, { bytes: new TextEncoder().encode('not audio at all'), name: 'chunk.wav' })), 400, /could not be decoded: not a RIFF\/WAVE/);
    const narrow = await readFile(await otherFormatWav(dir, 'narrow', { rate: 8000 }));
    await expectRefusal(await post(await form({}, { bytes: narrow, name: 'narrow.wav' })), 400, /8000 Hz/);
    const stereo = await readFile(await otherFormatWav(dir, 'stereo', { channels: 2 }));
    await expectRefusal(await post(await form({}, { bytes: stereo, name: 'stereo.wav' })), 400, /2 channels/);
    await expectRefusal(await post(await form({}, { bytes: await readFile(chunk.path), name: 'chunk.txt' })), 400, /Invalid file format/);
  });

  it('no key, a wrong key, a wrong path', async () => {
    const noKey = await fetch(`${standIn.baseUrl}${TRANSCRIPTIONS_PATH}`, { method: 'POST', body: await form() });
    await expectRefusal(noKey, 401, /didn't provide an API key/);
    await expectRefusal(await post(await form(), { authorization: 'Bearer sk-wrong' }), 401, /Incorrect API key/);
    await expectRefusal(await post(await form(), {}, '/v1/audio/translations'), 404, /Invalid URL/);
  });
});

describe('openai-compatible engine: errors classified once', () => {
  it('429 with Retry-After → retryable, with the delay', async () => {
    standIn.failNext({ status: 429, retryAfterSeconds: 7 });
    await rejectsWith(transcribe(), { retryable: true, status: 429, code: 'rate_limit_exceeded' });
    standIn.failNext({ status: 429, retryAfterSeconds: 7 });
    assert.equal((await failure(transcribe())).retryAfterSeconds, 7);
    standIn.failNext({ status: 429 });
    assert.equal((await failure(transcribe())).retryAfterSeconds, undefined);
  });

  it('429 insufficient_quota → final (billing: waiting does not help)', async () => {
    standIn.failNext({ status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota, please check your plan and billing details.' });
    await rejectsWith(transcribe(), { retryable: false, status: 429, code: 'insufficient_quota' });
  });

  it('500 and 503 → retryable', async () => {
    standIn.failNext({ status: 500 });
    await rejectsWith(transcribe(), { retryable: true, status: 500 });
    standIn.failNext({ status: 503 });
    await rejectsWith(transcribe(), { retryable: true, status: 503 });
  });

  it('400, 401 (injected and real), 403 → final', async () => {
    standIn.failNext({ status: 400, message: 'Audio file is too short.' });
    await rejectsWith(transcribe(), { retryable: false, status: 400 });
    standIn.failNext({ status: 401 });
    await rejectsWith(transcribe(), { retryable: false, status: 401, code: 'invalid_api_key' });
    await rejectsWith(transcribe(recognizerFor({ apiKey: 'sk-wrong' })), { retryable: false, status: 401, code: 'invalid_api_key' });
    standIn.failNext({ status: 403 });
    await rejectsWith(transcribe(), { retryable: false, status: 403 });
  });

  it('no answer within the request timeout → retryable, promptly', async () => {
    standIn.failNext({ delayMs: 3000 });
    const started = performance.now();
    await rejectsWith(transcribe(recognizerFor({ requestTimeoutMs: 300 })), { retryable: true, code: 'timeout' });
    assert.ok(performance.now() - started < 2000);
  });

  it("the caller's cancellation rejects with its reason, not as a service error", async () => {
    standIn.failNext({ delayMs: 3000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 100);
    await assert.rejects(transcribe(recognizer, { signal: controller.signal }), /activity cancelled/);
  });

  it('a dropped connection and a refused connection → retryable', async () => {
    standIn.failNext({ dropConnection: true });
    await rejectsWith(transcribe(), { retryable: true, code: 'network' });
    await rejectsWith(transcribe(recognizerFor({ baseUrl: `http://127.0.0.1:${await closedPort()}` })), { retryable: true, code: 'network' });
  });

  it('a language that is not ISO 639-1 → final, without a request', async () => {
    const seen = standIn.requests.length;
    await rejectsWith(transcribe(recognizer, { language: 'english' }), { retryable: false });
    assert.equal(standIn.requests.length, seen);
  });
});

describe('openai-compatible engine: other servers’ answers', () => {
  let server: Server;
  let answer: { status: number; type: string; body: string };
  let baseUrl: string;
  before(async () => {
    server = createServer((req, res) => {
      req.resume().on('end', () => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const ask = () => transcribe(recognizerFor({ baseUrl }));

  it("joins whisper.cpp's per-token words and uses their probabilities", async () => {
    const tokens = [[' Hello', 1.0, 1.3, 0.9], [',', 1.3, 1.35, 0.5], [' wor', 1.4, 1.6, 0.8], ['ld', 1.6, 1.9, 0.6]] as const;
    const body = { task: 'transcribe', language: 'english', duration: 3, text: ' Hello, world', segments: [{ id: 0, text: ' Hello, world', start: 1, end: 1.9, avg_logprob: -0.4, words: tokens.map(([word, start, end, probability]) => ({ word, start, end, probability })) }] };
    answer = { status: 200, type: 'application/json', body: JSON.stringify(body) };
    const words = await ask();
    assert.deepEqual(words.map((w) => w.text), ['Hello,', 'world']);
    assert.deepEqual(words.map((w) => [w.start, w.end]), [[1, 1.35], [1.4, 1.9]]);
    assert.deepEqual(words.map((w) => w.confidence), [0.7, 0.7]);
  });

  it('top-level words without segments → confidence null; times kept inside the chunk', async () => {
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ task: 'transcribe', language: 'english', duration: 2, text: 'Hi there', words: [{ word: 'Hi', start: 0.2, end: 0.4 }, { word: ' there', start: 0.5, end: 99 }] }) };
    const words = await ask();
    assert.deepEqual(words, [{ text: 'Hi', start: 0.2, end: 0.4, confidence: null }, { text: 'there', start: 0.5, end: Math.round(chunk.durationSeconds * 1000) / 1000, confidence: null }]);
  });

  it('text without word timestamps, an HTML page, or a 200 carrying an error → final', async () => {
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ text: 'Hello there', segments: [{ start: 0, end: 1, avg_logprob: -0.1 }] }) };
    await rejectsWith(ask(), { retryable: false, status: 200 });
    answer = { status: 200, type: 'text/html', body: '<html>Welcome</html>' };
    await rejectsWith(ask(), { retryable: false, status: 200 });
    answer = { status: 200, type: 'application/json', body: '{"error":"failed to process audio"}' };
    await rejectsWith(ask(), { retryable: false, status: 200 });
  });

  it('an error body that is not OpenAI-shaped still classifies by status', async () => {
    answer = { status: 502, type: 'text/plain', body: 'Bad Gateway' };
    await rejectsWith(ask(), { retryable: true, status: 502 });
    answer = { status: 422, type: 'application/json', body: '{"detail":"Unprocessable"}' };
    await rejectsWith(ask(), { retryable: false, status: 422 });
  });
});

