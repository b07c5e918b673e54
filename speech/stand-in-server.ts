// A local stand-in for an OpenAI-compatible `POST /v1/audio/transcriptions`, for tests (ours and the product's
// end-to-end tests). It checks each request as OpenAI's API reference describes it (see openai-compatible.ts) and
// answers in the documented verbose_json shape, or with the documented error body `{ error: { message, type, param,
// code } }`.
//
// It cannot recognise speech. Its words are honest placeholders: one token per voiced region of the audio's energy
// envelope ("word1", "word2", …), so the text is meaningless but every time is real and deterministic.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WavFormatError, assertSpeechWav, parseWav, pcm16Samples, type WavInfo } from '../audio/wav.ts';

export interface SpeechStandInOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** When set, only these models are accepted. */
  models?: string[];
  /** A quieter stretch shorter than this does not split a voiced region. Default 0.15 s. */
  minPauseSeconds?: number;
  /** Every segment's avg_logprob (confidence exp(avg_logprob)). Default -0.25. */
  avgLogprob?: number;
  port?: number;
}

export type SpeechStandInFault =
  /** Answer this status with the documented error body (429 and 503 may carry Retry-After). */
  | { status: number; message?: string; type?: string; code?: string | null; retryAfterSeconds?: number }
  /** Answer normally, but only after this long. */
  | { delayMs: number }
  /** Close the connection without answering. */
  | { dropConnection: true };

export interface RecordedFile {
  filename: string;
  contentType: string | undefined;
  bytes: number;
  wav?: WavInfo;
}

export interface RecordedTranscriptionRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Text fields, each name with its values in order. */
  fields: Record<string, string[]>;
  file?: RecordedFile;
  /** The status the stand-in answered (0: connection dropped). */
  status: number;
  /** Why the request was refused, when it was. */
  refusal?: string;
}

export interface SpeechStandIn {
  /** Use as the engine's baseUrl. */
  readonly baseUrl: string;
  readonly requests: RecordedTranscriptionRequest[];
  /** The next `times` requests meet this fault instead of (or, for a delay, before) the normal answer. */
  failNext(fault: SpeechStandInFault, times?: number): void;
  close(): Promise<void>;
}

export const TRANSCRIPTIONS_PATH = '/v1/audio/transcriptions';
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024; // OpenAI's documented file size limit
const DOCUMENTED_FORMATS = ['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm'];
const FIELDS = new Set(['file', 'model', 'language', 'prompt', 'response_format', 'temperature', 'timestamp_granularities[]', 'include[]', 'chunking_strategy', 'stream']);
const REPEATABLE = new Set(['timestamp_granularities[]', 'include[]']);
const LANGUAGE_NAMES: Record<string, string> = { en: 'english', de: 'german', fr: 'french', es: 'spanish', it: 'italian', nl: 'dutch', pt: 'portuguese' };

class Refusal extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;

  constructor(status: number, message: string, options: { type?: string; code?: string | null; param?: string | null } = {}) {
    super(message);
    this.status = status;
    this.type = options.type ?? 'invalid_request_error';
    this.code = options.code ?? null;
    this.param = options.param ?? null;
  }
}

export async function startSpeechStandIn(options: SpeechStandInOptions = {}): Promise<SpeechStandIn> {
  const requests: RecordedTranscriptionRequest[] = [];
  const faults: SpeechStandInFault[] = [];

  const server = createServer((req, res) => {
    const record: RecordedTranscriptionRequest = { method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', headers: req.headers, fields: {}, status: 0 };
    requests.push(record);
    handle(req, res, record).catch((error: unknown) => {
      if (!res.headersSent) answerError(res, record, new Refusal(500, `stand-in failure: ${String(error)}`, { type: 'server_error' }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedTranscriptionRequest) {
    try {
      if (record.path !== TRANSCRIPTIONS_PATH) throw new Refusal(404, `Invalid URL (${record.method} ${record.path})`);
      if (record.method !== 'POST') throw new Refusal(405, `Invalid method for URL (${record.method} ${record.path})`);
      const fault = faults.shift();
      const body = await readBody(req);
      let parts: Part[] | Refusal;
      try {
        parts = parseMultipart(body, req.headers['content-type']);
        collect(parts, record);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        parts = error;
      }
      if (fault && 'dropConnection' in fault) {
        req.socket.destroy();
        return;
      }
      if (fault && 'status' in fault) throw faultRefusal(fault, res);
      checkCredentials(req.headers.authorization, options.apiKey);
      if (parts instanceof Refusal) throw parts;
      const request = checkFields(parts, record, options.models);
      if (fault && 'delayMs' in fault) {
        const answered = await delay(fault.delayMs, res);
        if (!answered) return;
      }
      const answer = transcriptionOf(request, options);
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      answerError(res, record, error);
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function answerError(res: ServerResponse, record: RecordedTranscriptionRequest, refusal: Refusal) {
  record.status = refusal.status;
  record.refusal = refusal.message;
  if (res.destroyed) return;
  const body = JSON.stringify({ error: { message: refusal.message, type: refusal.type, param: refusal.param, code: refusal.code } });
  res.writeHead(refusal.status, { 'content-type': 'application/json', connection: 'close' }).end(body);
}

function faultRefusal(fault: Extract<SpeechStandInFault, { status: number }>, res: ServerResponse): Refusal {
  const defaults: Record<number, { message: string; type: string; code: string | null }> = {
    400: { message: 'Invalid request', type: 'invalid_request_error', code: null },
    401: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
    403: { message: 'Country, region, or territory not supported', type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
    429: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
    500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
    503: { message: 'The engine is currently overloaded, please try again later', type: 'server_error', code: null },
  };
  const base = defaults[fault.status] ?? { message: `Error ${fault.status}`, type: fault.status >= 500 ? 'server_error' : 'invalid_request_error', code: null };
  if (fault.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(fault.retryAfterSeconds));
  return new Refusal(fault.status, fault.message ?? base.message, { type: fault.type ?? base.type, code: fault.code === undefined ? base.code : fault.code });
}

function checkCredentials(authorization: string | undefined, apiKey: string | undefined) {
  if (apiKey === undefined) return;
  if (!authorization) {
    throw new Refusal(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
  }
  const match = /^Bearer (\S+)$/.exec(authorization);
  if (!match || match[1] !== apiKey) throw new Refusal(401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_UPLOAD_BYTES) throw new Refusal(413, `Maximum content size limit (${MAX_UPLOAD_BYTES}) exceeded.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// --- multipart/form-data (RFC 7578 over RFC 2046), strictly ---

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

const CRLF = Buffer.from('\r\n');

function parseMultipart(body: Buffer, contentType: string | undefined): Part[] {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    throw new Refusal(400, `Expected a multipart/form-data body, got content-type ${contentType ?? '(none)'}`);
  }
  const boundary = headerParams(contentType).boundary;
  if (!boundary || boundary.length > 70) throw new Refusal(400, 'multipart/form-data without a valid boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(Buffer.concat([CRLF, delimiter]));
  if (at < 0) throw new Refusal(400, 'multipart body without its boundary');
  if (at > 0) at += CRLF.length; // skip a preamble
  const parts: Part[] = [];
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts; // close delimiter; an epilogue may follow
    const lineEnd = body.indexOf(CRLF, at);
    if (lineEnd < 0 || body.subarray(at, lineEnd).toString().trim() !== '') throw new Refusal(400, 'malformed multipart delimiter line');
    const headersEnd = body.indexOf('\r\n\r\n', lineEnd);
    if (headersEnd < 0) throw new Refusal(400, 'multipart part without a header block');
    const headers = parsePartHeaders(body.subarray(lineEnd + 2, headersEnd).toString('utf8'));
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headersEnd + 4);
    if (next < 0) throw new Refusal(400, 'multipart body is not terminated by its close delimiter');
    const disposition = headers['content-disposition'];
    if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) throw new Refusal(400, 'multipart part without Content-Disposition: form-data');
    const params = headerParams(disposition);
    if (!params.name) throw new Refusal(400, 'multipart part without a name');
    parts.push({ name: params.name, filename: params.filename, contentType: headers['content-type'], data: body.subarray(headersEnd + 4, next) });
    at = next + CRLF.length;
  }
}

function parsePartHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Refusal(400, `malformed multipart header line: ${line.slice(0, 80)}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `type; a=b; c="d \"e\""` → { a: 'b', c: 'd "e"' }. */
function headerParams(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of value.matchAll(/;\s*([!#$%&'*+.^`|~\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/g)) {
    const [, key = '', quoted, token] = match;
    params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? '');
  }
  return params;
}

// --- the documented fields ---

interface TranscriptionRequest {
  wav: WavInfo;
  samples: Int16Array;
  language?: string;
  granularities: string[];
}

function collect(parts: Part[], record: RecordedTranscriptionRequest) {
  for (const part of parts) {
    if (part.filename !== undefined) {
      if (part.name === 'file') record.file = { filename: part.filename, contentType: part.contentType, bytes: part.data.length };
      continue;
    }
    (record.fields[part.name] ??= []).push(part.data.toString('utf8'));
  }
}

function checkFields(parts: Part[], record: RecordedTranscriptionRequest, models: string[] | undefined): TranscriptionRequest {
  const seen = new Map<string, number>();
  for (const part of parts) {
    if (!FIELDS.has(part.name)) throw new Refusal(400, `Unrecognized request argument supplied: ${part.name}`, { param: part.name });
    seen.set(part.name, (seen.get(part.name) ?? 0) + 1);
    if (!REPEATABLE.has(part.name) && seen.get(part.name)! > 1) throw new Refusal(400, `Duplicate field: ${part.name}`, { param: part.name });
    if (part.name !== 'file' && part.filename !== undefined) throw new Refusal(400, `'${part.name}' must be a text field, not a file`, { param: part.name });
  }
  const field = (name: string) => record.fields[name]?.[0];

  const model = field('model');
  if (!model) throw new Refusal(400, "you must provide a model parameter", { param: 'model' });
  if (models && !models.includes(model)) throw new Refusal(400, `The model '${model}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });

  const format = field('response_format') ?? 'json';
  if (!['json', 'text', 'srt', 'verbose_json', 'vtt'].includes(format)) throw new Refusal(400, `Invalid response_format '${format}'`, { param: 'response_format' });
  const granularities = record.fields['timestamp_granularities[]'] ?? [];
  for (const g of granularities) {
    if (g !== 'word' && g !== 'segment') throw new Refusal(400, `Invalid timestamp_granularities[] value '${g}': expected 'word' or 'segment'`, { param: 'timestamp_granularities' });
  }
  if (granularities.length && format !== 'verbose_json') throw new Refusal(400, 'timestamp_granularities requires response_format=verbose_json', { param: 'timestamp_granularities' });
  if (format !== 'verbose_json') throw new Refusal(400, `This stand-in answers response_format=verbose_json only, not '${format}'`, { param: 'response_format' });
  if (!granularities.includes('word')) throw new Refusal(400, "This stand-in expects timestamp_granularities[]=word (word timings are the point)", { param: 'timestamp_granularities' });

  const language = field('language');
  if (language !== undefined && !/^[a-z]{2}$/.test(language)) throw new Refusal(400, `Invalid language '${language}'. Language parameter must be specified in ISO-639-1 format.`, { param: 'language' });
  const temperature = field('temperature');
  if (temperature !== undefined && !(/^\d+(\.\d+)?$/.test(temperature) && Number(temperature) <= 1)) {
    throw new Refusal(400, `Invalid temperature '${temperature}': a number between 0 and 1`, { param: 'temperature' });
  }

  const file = parts.find((p) => p.name === 'file');
  if (!file || file.filename === undefined) throw new Refusal(400, "you must provide a file parameter (a file part with a filename)", { param: 'file' });
  const extension = file.filename.split('.').pop()?.toLowerCase() ?? '';
  if (!file.filename.includes('.') || !DOCUMENTED_FORMATS.includes(extension)) {
    throw new Refusal(400, `Invalid file format. Supported formats: ${JSON.stringify(DOCUMENTED_FORMATS)}`, { param: 'file' });
  }
  if (extension !== 'wav') throw new Refusal(400, `This stand-in decodes WAV only, not '${extension}'`, { param: 'file' });
  let wav: WavInfo;
  try {
    wav = parseWav(file.data);
    assertSpeechWav(wav);
  } catch (error) {
    if (error instanceof WavFormatError) throw new Refusal(400, `The audio file could not be decoded: ${error.message}`, { param: 'file' });
    throw error;
  }
  record.file!.wav = wav;
  return { wav, samples: pcm16Samples(file.data, wav), language, granularities };
}

// --- the answer ---

function transcriptionOf(request: TranscriptionRequest, options: SpeechStandInOptions) {
  const regions = voicedRegions(request.samples, request.wav.sampleRate, { minPauseSeconds: options.minPauseSeconds ?? 0.15 });
  const words = regions.map((r, i) => ({ word: `word${i + 1}`, start: r.start, end: r.end }));
  const avgLogprob = options.avgLogprob ?? -0.25;
  // Regions a second or more apart start a new segment, as Whisper's segments follow pauses.
  const groups: Array<typeof words> = [];
  for (const w of words) {
    const group = groups.at(-1);
    if (group && w.start - group.at(-1)!.end < 1) group.push(w);
    else groups.push([w]);
  }
  const segments = groups.map((group, id) => ({
    id, seek: 0, start: group[0]!.start, end: group.at(-1)!.end, text: ` ${group.map((w) => w.word).join(' ')}`,
    tokens: group.map((_, i) => 1000 + i), temperature: 0, avg_logprob: avgLogprob, compression_ratio: 1, no_speech_prob: 0.01,
  }));
  const language = request.language ?? 'en';
  return {
    task: 'transcribe',
    language: LANGUAGE_NAMES[language] ?? language,
    duration: round(request.wav.durationSeconds),
    text: words.map((w) => w.word).join(' '),
    words,
    ...(request.granularities.includes('segment') ? { segments } : {}),
  };
}

/**
 * Stretches of the audio louder than the background: 10 ms frames whose RMS is within 35 dB of the loudest frame
 * and above -50 dBFS, joined across pauses shorter than `minPauseSeconds`, at least 50 ms long.
 */
export function voicedRegions(samples: Int16Array, sampleRate: number, { minPauseSeconds = 0.15 } = {}): Array<{ start: number; end: number }> {
  const frame = Math.round(sampleRate / 100);
  const levels: number[] = [];
  for (let at = 0; at + frame <= samples.length; at += frame) {
    let sum = 0;
    for (let i = at; i < at + frame; i++) sum += samples[i]! * samples[i]!;
    const rms = Math.sqrt(sum / frame) / 32768;
    levels.push(rms > 0 ? 20 * Math.log10(rms) : -Infinity);
  }
  const threshold = Math.max(-50, Math.max(...levels, -Infinity) - 35);
  const regions: Array<{ start: number; end: number }> = [];
  const frameSeconds = frame / sampleRate;
  levels.forEach((level, i) => {
    if (level <= threshold) return;
    const start = i * frameSeconds;
    const last = regions.at(-1);
    if (last && start - last.end < minPauseSeconds) last.end = start + frameSeconds;
    else regions.push({ start, end: start + frameSeconds });
  });
  return regions.filter((r) => r.end - r.start >= 0.05).map((r) => ({ start: round(r.start), end: round(r.end) }));
}

function delay(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(!res.destroyed), ms);
    res.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

const round = (value: number) => Math.round(value * 1000) / 1000;
