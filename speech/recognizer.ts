// The contract every speech engine meets, and the one error type the pipeline classifies.
import type { RecognizedWord } from '../transcripts/words.ts';

export interface SpeechChunk {
  /** A 16 kHz mono 16-bit PCM WAV file of at most ~60 s. */
  wavPath: string;
  durationSeconds: number;
}

export interface TranscribeOptions {
  /** ISO 639-1, e.g. 'en'. */
  language: string;
  /** The meeting's participants: Whisper is told them (its prompt) so their names come out right. */
  participantNames?: string[];
  /** The room's vocabulary (product names, jargon): told to Whisper the same way, so they come out as written. */
  vocabulary?: string[];
  signal?: AbortSignal;
}

export interface SpeechRecognizer {
  /** The engine: 'whisper' or 'openai-compatible'. */
  readonly name: string;
  /** The model it runs, e.g. 'whisper-base' or 'whisper-1'. */
  readonly model: string;
  /** Word times are relative to the chunk's start. Cancelling `signal` rejects with its reason. */
  transcribe(chunk: SpeechChunk, options: TranscribeOptions): Promise<RecognizedWord[]>;
  /** Engines with a process of their own start it here (the worker calls this before polling)… */
  start?(): Promise<void>;
  /** …and stop it here. */
  close?(): Promise<void>;
  /** Engines started only when first asked for are checked here (files present) when the worker starts. */
  check?(): Promise<void>;
}

/**
 * Whisper's prompt: the configured one, then the participants' names. Whisper continues a prompt's spelling and
 * vocabulary, so names it would mishear ("Ngozi", "Kowalczyk") come out as written. Measured by `npm run bench:speech`
 * (18 unusual names × 2 voices, docs/benchmarks.md): with this prompt 32 of 36 came out right and the sentences' WER
 * was 0.05; with faster-whisper's `hotwords` 31 (WER 0.10: "Thanks." often became "and"), with a bare list of names
 * as the prompt 30 (0.12), with nothing 3 (0.31). Placeholder names ("Speaker 2") and repeats are left out; the list
 * is capped well under Whisper's 224 prompt tokens. A room's vocabulary goes in the same way ("Terms: …"), before
 * the names: `npm run bench:speech -- --vocabulary` measures it.
 */
export function speechPrompt(configured: string | undefined, participantNames: readonly string[] = [], vocabulary: readonly string[] = []): string | undefined {
  const names = listWithin(participantNames.filter((n) => !/^Speaker \d+$/.test(n.trim())), 300);
  const terms = listWithin(vocabulary, 400);
  const parts = [configured?.trim(), terms ? `Terms: ${terms}.` : '', names ? `Participants: ${names}.` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

/** Distinct non-empty items, comma-separated, as many as fit in `maxChars` (Whisper reads at most 224 prompt tokens). */
function listWithin(items: readonly string[], maxChars: number): string {
  let list = '';
  for (const item of new Set(items.map((i) => i.trim()).filter(Boolean))) {
    const next = list ? `${list}, ${item}` : item;
    if (next.length > maxChars) break;
    list = next;
  }
  return list;
}

export interface SpeechServiceErrorDetails {
  engine: string;
  retryable: boolean;
  /** The HTTP status the service answered, when it answered. */
  status?: number;
  /** The service's own error code (OpenAI's `error.code`, e.g. 'invalid_api_key'). */
  code?: string;
  /** From a Retry-After header, when the service sent one. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * A recognition that failed. `retryable`: network errors, timeouts, 429 and 5xx (trying again can help);
 * final: other 4xx (bad request, credentials, media), an unsupported language, an engine that cannot run.
 */
export class SpeechServiceError extends Error {
  readonly engine: string;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, details: SpeechServiceErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SpeechServiceError';
    this.engine = details.engine;
    this.retryable = details.retryable;
    this.status = details.status;
    this.code = details.code;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** The engine cannot run here at all (binary or model files missing): final, and a configuration problem. */
export class SpeechEngineUnavailableError extends SpeechServiceError {
  constructor(message: string, details: { engine: string; cause?: unknown }) {
    super(message, { ...details, retryable: false });
    this.name = 'SpeechEngineUnavailableError';
  }
}

/** How a transcript names the engine that heard it (`whisper:whisper-base`, `openai-compatible:whisper-1`): engine and model. */
export const speechEngineLabel = (recognizer: { name: string; model: string }) => `${recognizer.name}:${recognizer.model}`.slice(0, 64);

/** The ISO 639-1 languages Whisper transcribes (faster-whisper's tokenizer codes, its two three-letter ones left out). */
export const WHISPER_LANGUAGES = [
  'af', 'am', 'ar', 'as', 'az', 'ba', 'be', 'bg', 'bn', 'bo', 'br', 'bs', 'ca', 'cs', 'cy', 'da', 'de', 'el', 'en', 'es', 'et', 'eu', 'fa', 'fi', 'fo', 'fr', 'gl',
  'gu', 'ha', 'he', 'hi', 'hr', 'ht', 'hu', 'hy', 'id', 'is', 'it', 'ja', 'jw', 'ka', 'kk', 'km', 'kn', 'ko', 'la', 'lb', 'ln', 'lo', 'lt', 'lv', 'mg', 'mi', 'mk',
  'ml', 'mn', 'mr', 'ms', 'mt', 'my', 'ne', 'nl', 'nn', 'no', 'oc', 'pa', 'pl', 'ps', 'pt', 'ro', 'ru', 'sa', 'sd', 'si', 'sk', 'sl', 'sn', 'so', 'sq', 'sr', 'su',
  'sv', 'sw', 'ta', 'te', 'tg', 'th', 'tk', 'tl', 'tr', 'tt', 'uk', 'ur', 'uz', 'vi', 'yi', 'yo', 'zh',
] as const;

/** 'en', 'EN', 'en-US', 'en_GB' → 'en'; anything else that is not a two-letter code → null. */
export function languageCode(language: string): string | null {
  const primary = language.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return /^[a-z]{2}$/.test(primary) ? primary : null;
}

export const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** Keeps a word inside its chunk and its end after its start. */
export function placeWord(text: string, start: number, end: number, confidence: number | null, durationSeconds: number): RecognizedWord {
  const limit = durationSeconds > 0 ? durationSeconds : Number.POSITIVE_INFINITY;
  const s = clamp(start, 0, limit);
  return { text, start: round(s), end: round(clamp(end, s, limit)), confidence: confidence === null ? null : round(clamp(confidence, 0, 1), 4) };
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
