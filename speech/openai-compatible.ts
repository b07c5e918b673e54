// Whisper-class recognition through any OpenAI-compatible `POST {baseUrl}/v1/audio/transcriptions`: OpenAI
// (https://api.openai.com), Groq (https://api.groq.com/openai), faster-whisper servers, or whisper.cpp's server
// (started with `--inference-path /v1/audio/transcriptions`).
//
// What this relies on, from OpenAI's API reference ("Create transcription", and the SDK types generated from it):
//  - multipart/form-data: `file` (wav is a supported format), `model`, `language` (ISO-639-1), `prompt`,
//    `temperature` (0..1), `response_format` (json | text | srt | verbose_json | vtt), `timestamp_granularities[]`
//    ('word' and/or 'segment'; only with response_format=verbose_json). Segments come back only when 'segment' is
//    asked for, and they carry the only confidence signal (`avg_logprob`), so both granularities are requested.
//  - verbose_json: { task, language, duration, text, words?: [{ word, start, end }], segments?: [{ id, seek, start,
//    end, text, tokens, temperature, avg_logprob, compression_ratio, no_speech_prob }] }.
//  - errors: { error: { message, type, param, code } } (OpenAI's "Error codes" guide): 400 bad request, 401 bad key,
//    403 region/permission, 404 unknown model or URL, 429 rate limit (retry) or `insufficient_quota` (billing: waiting
//    does not help), 500/503 server side.
// whisper.cpp's server has no top-level `words`: it nests token-level words with a `probability` in each segment;
// those tokens are joined back into words here.
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RecognizedWord } from '../transcripts/words.ts';
import { isRetryableStatus } from '../runtime/retryable.ts';
import { SpeechServiceError, languageCode, placeWord, speechPrompt, type SpeechChunk, type SpeechRecognizer, type TranscribeOptions } from './recognizer.ts';

export interface OpenAICompatibleOptions {
  /** e.g. https://api.openai.com; a trailing /v1 is accepted too. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set (local servers often need none). */
  apiKey?: string;
  /** e.g. 'whisper-1' (OpenAI), 'whisper-large-v3-turbo' (Groq). */
  model: string;
  /** Sent before the participants' names in Whisper's prompt (see speechPrompt). */
  prompt?: string;
  temperature?: number;
  /** The engine named in errors (default 'openai-compatible'; the whisper engine goes through this one). */
  engineName?: string;
  /** Per request. Set it just under the activity's timeout, so the request gives up before the attempt does. */
  requestTimeoutMs: number;
}

const ENGINE = 'openai-compatible';

const word = z.object({ word: z.string(), start: z.number(), end: z.number(), probability: z.number().nullish() });
const segment = z.object({ start: z.number(), end: z.number(), avg_logprob: z.number().nullish(), words: z.array(word).nullish() });
const verboseJson = z.object({ text: z.string().nullish(), words: z.array(word).nullish(), segments: z.array(segment).nullish() });
// OpenAI's shape, and the bare `{ error: "…" }` whisper.cpp's server answers (sometimes with status 200).
const errorBody = z.object({
  error: z.union([z.string(), z.object({ message: z.string().nullish(), type: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() })]),
});

type Word = z.infer<typeof word>;
type Segment = z.infer<typeof segment>;

export class OpenAICompatibleRecognizer implements SpeechRecognizer {
  readonly name = ENGINE;
  readonly model: string;
  readonly #options: OpenAICompatibleOptions;
  readonly #url: string;

  constructor(options: OpenAICompatibleOptions) {
    if (!(options.requestTimeoutMs > 0)) throw new TypeError('requestTimeoutMs must be positive');
    this.#options = options;
    this.model = options.model;
    this.#url = `${options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/audio/transcriptions`;
  }

  async transcribe(chunk: SpeechChunk, { language, participantNames, vocabulary, signal }: TranscribeOptions): Promise<RecognizedWord[]> {
    const engine = this.#options.engineName ?? ENGINE;
    const code = languageCode(language);
    if (!code) throw new SpeechServiceError(`language '${language}' is not an ISO 639-1 code`, { engine, retryable: false });
    signal?.throwIfAborted();

    const form = new FormData();
    form.append('file', await openAsBlob(chunk.wavPath, { type: 'audio/wav' }), wavFileName(chunk.wavPath));
    form.append('model', this.#options.model);
    form.append('response_format', 'verbose_json');
    form.append('timestamp_granularities[]', 'word');
    form.append('timestamp_granularities[]', 'segment');
    form.append('language', code);
    const prompt = speechPrompt(this.#options.prompt, participantNames, vocabulary);
    if (prompt) form.append('prompt', prompt);
    if (this.#options.temperature !== undefined) form.append('temperature', String(this.#options.temperature));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;

    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.#url, { method: 'POST', headers, body: form, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      body = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new SpeechServiceError(`${engine}: no answer from ${this.#url} within ${this.#options.requestTimeoutMs} ms`, { engine, retryable: true, code: 'timeout', cause: error });
      }
      throw new SpeechServiceError(`${engine}: request to ${this.#url} failed: ${describe(error)}`, { engine, retryable: true, code: 'network', cause: error });
    }
    if (!response.ok) throw httpError(response, body, engine);
    return wordsOf(body, response.status, chunk.durationSeconds, engine);
  }
}

function httpError(response: Response, body: string, engine: string): SpeechServiceError {
  const { status } = response;
  const parsed = errorBody.safeParse(parseJson(body));
  const detail = parsed.success ? (typeof parsed.data.error === 'string' ? { message: parsed.data.error } : parsed.data.error) : undefined;
  const code = detail && 'code' in detail && detail.code != null ? String(detail.code) : undefined;
  const message = detail?.message || body.trim().slice(0, 300) || response.statusText;
  // `insufficient_quota` is billing, not rate: waiting does not help (whatever the status).
  const retryable = isRetryableStatus(status) && code !== 'insufficient_quota';
  return new SpeechServiceError(`${engine}: ${status} ${message}`, { engine, retryable, status, code, retryAfterSeconds: retryAfter(response.headers.get('retry-after')) });
}

function wordsOf(body: string, status: number, durationSeconds: number, engine: string): RecognizedWord[] {
  const json = parseJson(body);
  const refused = errorBody.safeParse(json);
  if (refused.success && !(json as { text?: unknown }).text) {
    const message = typeof refused.data.error === 'string' ? refused.data.error : refused.data.error.message;
    throw new SpeechServiceError(`${engine}: ${message ?? 'the service answered an error'}`, { engine, retryable: false, status });
  }
  const parsed = verboseJson.safeParse(json);
  if (!parsed.success) {
    throw new SpeechServiceError(`${engine}: the answer is not verbose_json (${body.trim().slice(0, 120) || 'empty body'})`, { engine, retryable: false, status });
  }
  const { text, words, segments } = parsed.data;
  let recognized: RecognizedWord[];
  if (words?.length) {
    recognized = words.map((w) => placeWord(w.word.trim(), w.start, w.end, w.probability ?? segmentConfidence(segments, w), durationSeconds));
  } else if (segments?.some((s) => s.words?.length)) {
    recognized = segments.flatMap((s) => joinTokens(s.words ?? [], s)).map((w) => placeWord(w.text, w.start, w.end, w.confidence, durationSeconds));
  } else if (text?.trim()) {
    throw new SpeechServiceError(`${engine}: the service returned text without word timestamps (does it support timestamp_granularities[]=word?)`, { engine, retryable: false, status });
  } else {
    recognized = [];
  }
  return recognized.filter((w) => w.text !== '').sort((a, b) => a.start - b.start);
}

/** exp(avg_logprob) of the segment holding the word's midpoint: Whisper's mean token probability there. */
function segmentConfidence(segments: Segment[] | null | undefined, w: Word): number | null {
  const middle = (w.start + w.end) / 2;
  const holder = segments?.find((s) => middle >= s.start && middle <= s.end) ?? null;
  return holder?.avg_logprob == null ? null : Math.exp(holder.avg_logprob);
}

/** whisper.cpp's per-token words: a token not starting with a space continues the word before it. */
function joinTokens(tokens: Word[], s: Segment): RecognizedWord[] {
  const joined: Array<RecognizedWord & { probabilities: number[] }> = [];
  for (const token of tokens) {
    const last = joined.at(-1);
    if (last && !/^\s/.test(token.word)) {
      last.text += token.word;
      last.end = Math.max(last.end, token.end);
      if (token.probability != null) last.probabilities.push(token.probability);
    } else if (token.word.trim()) {
      joined.push({ text: token.word.trim(), start: token.start, end: token.end, confidence: null, probabilities: token.probability == null ? [] : [token.probability] });
    }
  }
  const fallback = s.avg_logprob == null ? null : Math.exp(s.avg_logprob);
  return joined.map(({ probabilities, ...w }) => ({ ...w, confidence: probabilities.length ? probabilities.reduce((a, b) => a + b, 0) / probabilities.length : fallback }));
}

function wavFileName(wavPath: string): string {
  const base = path.basename(wavPath);
  return base.toLowerCase().endsWith('.wav') ? base : 'chunk.wav';
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Retry-After: delay-seconds or an HTTP date. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return [error instanceof Error ? error.message : String(error), cause?.code ?? cause?.message].filter(Boolean).join(': ');
}
