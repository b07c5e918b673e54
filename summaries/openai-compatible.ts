// Summaries from any OpenAI-compatible chat completions endpoint (OpenAI, Groq, vLLM, llama.cpp server,
// Ollama's /v1), with structured output. Map-reduce, so no request grows with the meeting: topics per
// budget-sized transcript chunk, then one recap over the topic summaries (condensed first if they do not fit).
//
// What this relies on, from OpenAI's API reference and Structured Outputs guide:
//  - request: `response_format: { type: 'json_schema', json_schema: { name (a-zA-Z0-9_-, ≤ 64), strict, schema } }`;
//    with `strict: true` only a subset of JSON Schema is accepted: the root an object, every object with
//    `additionalProperties: false` and all its properties in `required` (checked when the schemas are built).
//  - answer: `choices[0].message.content` is the JSON as a string; `choices[0].message.refusal` is set instead
//    when the model declines (final here); `finish_reason: 'length'` means the JSON was cut off.
//  - errors: `{ error: { message, type, param, code } }`; 401 bad key, 404 unknown model, 429 rate limit (or
//    `insufficient_quota`, billing), 5xx server side.
// Every answer is validated with zod; an invalid one goes back to the model with the problem ("reflection").
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { isRetryableStatus } from '../runtime/retryable.ts';
import {
  chunkTopicsAnswerSchema,
  condenseAnswerSchema,
  recapAnswerSchema,
  strictJsonSchema,
  type ChunkTopicsAnswer,
  type JsonSchema,
} from './schemas.ts';
import {
  emptySummary,
  SummaryServiceError,
  type MeetingSummary,
  type MeetingTopic,
  type SummarizeInput,
  type SummarizeOptions,
  type Summarizer,
} from './summary.ts';
import {
  CHARS_PER_TOKEN,
  chunkBySize,
  formatTimestamp,
  parseTimestamp,
  renderLine,
  transcriptLines,
  type TranscriptLine,
} from './transcript-text.ts';

export interface OpenAICompatibleSummarizerOptions {
  /** The server root, e.g. `https://api.openai.com`, `http://localhost:11434` (Ollama); requests go to `{baseUrl}/v1/chat/completions`. A trailing `/v1` is tolerated. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; local servers usually need none. */
  apiKey?: string;
  model: string;
  /** Estimated tokens (~4 characters each) of one request: its messages plus the answer schema. Default 8000. */
  maxPromptTokens?: number;
  /** Per request. Default 120 s; keep it under the activity's timeout so the request gives up first. */
  requestTimeoutMs?: number;
  /** Requests for 429, 5xx and connection failures, the first included. Timeouts are not repeated here. Default 3. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Times an invalid answer is sent back with its validation error before giving up. Default 2. */
  maxReflectionRetries?: number;
  /** Chunk requests in flight at once. Default 4. */
  concurrency?: number;
  /** Default 3. */
  maxTopicsPerChunk?: number;
  /** Sent only when set (some reasoning models refuse it). */
  temperature?: number;
}

type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };
type Completion = { content: string | null; finishReason: string | null };
type Failure = { error: SummaryServiceError; timedOut: boolean; retryAfter: string | null };

interface AnswerKind<T> {
  /** `response_format.json_schema.name`. */
  name: string;
  zod: z.ZodType<T>;
  json: JsonSchema;
}

/** What we read from a chat completion; other fields are ignored. */
const chatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish(), refusal: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
});

/** OpenAI's error body; Ollama's native API answers `{"error": "…"}`. */
const errorBodySchema = z.object({
  error: z.union([
    z.string(),
    z.object({ message: z.string().nullish(), type: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() }),
  ]),
});

// Room kept in every request for one reflection exchange: the rejected answer and the problem, both cut.
const REJECTED_ANSWER_CHARS = 1500;
const PROBLEM_CHARS = 800;
const REFLECTION_RESERVE_CHARS = REJECTED_ANSWER_CHARS + PROBLEM_CHARS + 200;
const MAX_LINE_CHARS = 2000;
const MIN_TRANSCRIPT_CHARS = 600;
// A topic (or condensed part) as a line of a reduce request: title and summary cut, plus "[h:mm:ss-h:mm:ss] " and ": ".
const ITEM_TITLE_CHARS = 120;
const ITEM_FRAMING_CHARS = 40;
const MIN_ITEM_SUMMARY_CHARS = 200;
const MAX_ITEM_SUMMARY_CHARS = 1200;
const MAX_LANGUAGE_CHARS = 40;
const MAX_PARTICIPANTS_CHARS = 600;
/** What of a room's background and vocabulary goes into each request (the rest of the budget is the transcript's). */
const MAX_BACKGROUND_CHARS = 2_000;
const MAX_VOCABULARY_CHARS = 1_000;
const MAX_RETRY_AFTER_MS = 60_000;

export class OpenAICompatibleSummarizer implements Summarizer {
  readonly name = 'openai-compatible';
  readonly offline = false;
  readonly endpoint: string;
  readonly #apiKey: string | undefined;
  readonly #model: string;
  readonly #promptChars: number;
  /** How much of a room's background and vocabulary each request carries: a sixteenth and a thirty-second of the budget, at most. */
  readonly #contextChars: ContextChars;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #maxReflectionRetries: number;
  readonly #concurrency: number;
  readonly #maxTopicsPerChunk: number;
  readonly #temperature: number | undefined;
  readonly #topicsKind: AnswerKind<ChunkTopicsAnswer>;
  readonly #condenseKind = answerKind('meeting_part_summary', condenseAnswerSchema);
  readonly #recapKind = answerKind('meeting_summary', recapAnswerSchema);

  constructor(options: OpenAICompatibleSummarizerOptions) {
    if (!options.model) throw new RangeError('openai-compatible summarizer: model is required');
    this.endpoint = `${options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/chat/completions`;
    this.#apiKey = options.apiKey || undefined;
    this.#model = options.model;
    this.#promptChars = (options.maxPromptTokens ?? 8000) * CHARS_PER_TOKEN;
    this.#contextChars = { background: Math.min(MAX_BACKGROUND_CHARS, Math.floor(this.#promptChars / 16)), vocabulary: Math.min(MAX_VOCABULARY_CHARS, Math.floor(this.#promptChars / 32)) };
    this.#timeoutMs = options.requestTimeoutMs ?? 120_000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.#backoffBaseMs = options.backoffBaseMs ?? 1000;
    this.#backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.#maxReflectionRetries = Math.max(0, options.maxReflectionRetries ?? 2);
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#maxTopicsPerChunk = Math.max(1, options.maxTopicsPerChunk ?? 3);
    this.#temperature = options.temperature;
    this.#topicsKind = answerKind('meeting_topics', chunkTopicsAnswerSchema(this.#maxTopicsPerChunk));
    // Worst case of what varies per meeting, so a budget that is too small fails here, not mid-meeting.
    const worst = systemMessage('x'.repeat(MAX_LANGUAGE_CHARS), this.#contextChars, { background: 'x'.repeat(MAX_BACKGROUND_CHARS), vocabulary: ['x'.repeat(MAX_VOCABULARY_CHARS)] });
    const rooms = this.#rooms(worst, ['x'.repeat(MAX_PARTICIPANTS_CHARS)], 360_000);
    const item = rooms.itemSummary + ITEM_TITLE_CHARS + ITEM_FRAMING_CHARS;
    // Two items must fit a recap, and four a condense request, or condensing would never end.
    if (rooms.transcript < MIN_TRANSCRIPT_CHARS || rooms.itemSummary < MIN_ITEM_SUMMARY_CHARS || rooms.recap < 2 * item) {
      throw new RangeError(`openai-compatible summarizer: maxPromptTokens ${options.maxPromptTokens} is too small for a transcript chunk or a recap`);
    }
  }

  async summarize(input: SummarizeInput, options: SummarizeOptions = {}): Promise<MeetingSummary> {
    options.signal?.throwIfAborted();
    const language = cut(languageName(input.language), MAX_LANGUAGE_CHARS);
    const participants = [...new Set(input.segments.filter((s) => s.text.trim()).map((s) => s.speakerName.trim() || `Speaker ${s.speaker}`))];
    const system = systemMessage(language, this.#contextChars, input.context);
    const rooms = this.#rooms(system, participants, input.durationSeconds);
    const lines = transcriptLines(input.segments, Math.min(MAX_LINE_CHARS, rooms.transcript));
    if (lines.length === 0) return emptySummary();

    const chunks = chunkBySize(lines, (line) => renderLine(line).length, rooms.transcript);
    let done = 0;
    let total = chunks.length + 1;
    const progress = () => options.onProgress?.(++done, total);

    // One failed chunk fails the summary: stop the others rather than pay for answers nobody reads.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    try {
      const perChunk = await mapConcurrently(chunks, this.#concurrency, async (chunk, i) => {
        const answer = await this.#ask(this.#topicsKind, this.#topicsMessages(chunk, i + 1, chunks.length, system), signal);
        progress();
        return placeTopics(answer, chunk);
      });
      const topics = joinTopics(perChunk.flat(), Math.max(input.durationSeconds, lines.at(-1)?.end ?? 0));

      let items = topics.map((topic): PartItem => ({ ...topic, title: cut(topic.title, ITEM_TITLE_CHARS), summary: cut(topic.summary, rooms.itemSummary) }));
      while (items.reduce((sum, item) => sum + renderItem(item).length + 1, 0) > rooms.recap) {
        const groups = chunkBySize(items, (item) => renderItem(item).length, rooms.condense);
        total += groups.length;
        items = await mapConcurrently(groups, this.#concurrency, async (group) => {
          const answer = await this.#ask(this.#condenseKind, this.#condenseMessages(group, system), signal);
          progress();
          const first = group[0]!;
          const last = group.at(-1)!;
          return { title: `Part ${formatTimestamp(first.start)}-${formatTimestamp(last.end)}`, summary: cut(answer.summary.trim(), rooms.itemSummary), start: first.start, end: last.end };
        });
      }

      const recap = await this.#ask(this.#recapKind, this.#recapMessages(items, participants, input.durationSeconds, system), signal);
      progress();
      return {
        title: recap.title.trim(),
        shortSummary: recap.shortSummary.trim(),
        longSummary: recap.longSummary.trim(),
        topics,
        actionItems: recap.actionItems.map((item) => item.trim()).filter(Boolean),
      };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw error;
    } finally {
      stop.abort();
    }
  }

  /** Characters left for the transcript or the topic lines in each kind of request. */
  #rooms(system: ChatMessage, participants: string[], durationSeconds: number) {
    const lastPart = 99_999;
    const condense = this.#room(this.#condenseMessages([], system), this.#condenseKind);
    return {
      transcript: this.#room(this.#topicsMessages([], lastPart, lastPart, system), this.#topicsKind),
      condense,
      recap: this.#room(this.#recapMessages([], participants, durationSeconds, system), this.#recapKind),
      // A quarter of a condense request at most, so each condensing round cuts the list to a third or less.
      itemSummary: Math.min(MAX_ITEM_SUMMARY_CHARS, Math.floor(condense / 4) - ITEM_TITLE_CHARS - ITEM_FRAMING_CHARS),
    };
  }

  /** Characters left for the variable part of a request whose fixed part is `messages`. */
  #room(messages: ChatMessage[], kind: AnswerKind<unknown>): number {
    const fixed = messages.reduce((sum, message) => sum + message.content.length, 0) + JSON.stringify(kind.json).length;
    return this.#promptChars - fixed - REFLECTION_RESERVE_CHARS;
  }

  #topicsMessages(chunk: TranscriptLine[], part: number, parts: number, system: ChatMessage): ChatMessage[] {
    return [
      system,
      {
        role: 'user',
        content:
          `This is part ${part} of ${parts} of a meeting transcript. Each line is "Name [mm:ss]: what they said".\n` +
          `Split this part into 1 to ${this.#maxTopicsPerChunk} topics, in the order discussed. For each topic give a short title, ` +
          'a summary that names who said what, and the [mm:ss] timestamp of the line where the topic begins, copied from the transcript.\n\n' +
          `Transcript:\n${chunk.map(renderLine).join('\n')}`,
      },
    ];
  }

  #condenseMessages(items: PartItem[], system: ChatMessage): ChatMessage[] {
    return [
      system,
      {
        role: 'user',
        content:
          'These are consecutive topics of one part of a meeting, each line "[start-end] Title: summary".\n' +
          'Condense them into one paragraph that keeps the decisions, the commitments and who made them.\n\n' +
          `Topics:\n${items.map(renderItem).join('\n')}`,
      },
    ];
  }

  #recapMessages(items: PartItem[], participants: string[], durationSeconds: number, system: ChatMessage): ChatMessage[] {
    return [
      system,
      {
        role: 'user',
        content:
          'These are the topics of a meeting in order, each line "[start-end] Title: summary".\n' +
          `Participants: ${cut(participants.join(', '), MAX_PARTICIPANTS_CHARS)}.\nLength: ${formatTimestamp(durationSeconds)}.\n` +
          'Give a title for the whole meeting, a short summary, a long summary, and the action items agreed, each naming its owner when known.\n\n' +
          `Topics:\n${items.map(renderItem).join('\n')}`,
      },
    ];
  }

  /** One structured answer, sending an invalid one back with its problem ("reflection") a few times. */
  async #ask<T>(kind: AnswerKind<T>, messages: ChatMessage[], signal: AbortSignal): Promise<T> {
    let reflection: ChatMessage[] = [];
    for (let attempt = 0; ; attempt++) {
      const { content, finishReason } = await this.#complete(kind, [...messages, ...reflection], signal);
      const checked = checkAnswer(kind, content, finishReason);
      if (checked.ok) return checked.value;
      if (attempt >= this.#maxReflectionRetries) {
        throw new SummaryServiceError(
          `${this.#model} gave no valid ${kind.name} answer in ${attempt + 1} attempts; last problem: ${checked.problem}`,
          { retryable: false },
        );
      }
      reflection = [
        { role: 'assistant', content: cut(content ?? '', REJECTED_ANSWER_CHARS) },
        {
          role: 'user',
          content: `That answer was not valid: ${cut(checked.problem, PROBLEM_CHARS)}\nAnswer again with only the JSON object the schema asks for.`,
        },
      ];
    }
  }

  /** One chat completion; repeats 429, 5xx and connection failures (not timeouts) with backoff. */
  async #complete(kind: AnswerKind<unknown>, messages: ChatMessage[], signal: AbortSignal): Promise<Completion> {
    const body = JSON.stringify({
      model: this.#model,
      messages,
      response_format: { type: 'json_schema', json_schema: { name: kind.name, strict: true, schema: kind.json } },
      ...(this.#temperature !== undefined && { temperature: this.#temperature }),
    });
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#post(body, signal);
      if ('content' in outcome) return outcome;
      // A request that timed out would likely time out again; the caller's retry policy decides.
      if (!outcome.error.retryable || outcome.timedOut || attempt >= this.#maxAttempts) throw outcome.error;
      try {
        await sleep(this.#retryDelayMs(attempt, outcome.retryAfter), undefined, { signal });
      } catch {
        throw signal.reason;
      }
    }
  }

  /** Throws final errors; returns retryable ones for #complete to judge. */
  async #post(body: string, signal: AbortSignal): Promise<Completion | Failure> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.#apiKey && { authorization: `Bearer ${this.#apiKey}` }) },
        body,
        signal: AbortSignal.any([signal, timeout]),
      });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (timeout.aborted) {
        const message = `${this.endpoint} timed out after ${this.#timeoutMs} ms`;
        return { error: new SummaryServiceError(message, { retryable: true, cause: error }), timedOut: true, retryAfter: null };
      }
      const message = `${this.endpoint}: ${(error as Error).message}`;
      return { error: new SummaryServiceError(message, { retryable: true, cause: error }), timedOut: false, retryAfter: null };
    }
    if (!response.ok) {
      const error = httpError(this.endpoint, response.status, text);
      if (!error.retryable) throw error;
      return { error, timedOut: false, retryAfter: response.headers.get('retry-after') };
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SummaryServiceError(`${this.endpoint} answered ${response.status} with a body that is not JSON: ${cut(text, 200)}`, {
        retryable: false,
        status: response.status,
      });
    }
    const parsed = chatCompletionSchema.safeParse(json);
    if (!parsed.success) {
      throw new SummaryServiceError(`${this.endpoint} answered with no chat completion: ${cut(z.prettifyError(parsed.error), 300)}`, {
        retryable: false,
        status: response.status,
      });
    }
    const choice = parsed.data.choices[0]!;
    if (choice.message.refusal) {
      throw new SummaryServiceError(`${this.#model} refused to answer: ${cut(choice.message.refusal, 300)}`, { retryable: false, status: response.status });
    }
    if (choice.finish_reason === 'content_filter') {
      throw new SummaryServiceError(`${this.#model}'s answer was withheld by a content filter`, { retryable: false, status: response.status });
    }
    return { content: choice.message.content ?? null, finishReason: choice.finish_reason ?? null };
  }

  #retryDelayMs(attempt: number, retryAfter: string | null): number {
    const told = parseRetryAfterMs(retryAfter);
    if (told !== null) return Math.min(told, MAX_RETRY_AFTER_MS);
    const ceiling = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

/** A topic, or a condensed run of topics, as a line of a reduce request. */
interface PartItem {
  title: string;
  summary: string;
  start: number;
  end: number;
}

function renderItem(item: PartItem): string {
  return `[${formatTimestamp(item.start)}-${formatTimestamp(item.end)}] ${item.title.replace(/\s+/g, ' ')}: ${item.summary.replace(/\s+/g, ' ')}`;
}

function answerKind<T>(name: string, schema: z.ZodType<T>): AnswerKind<T> {
  return { name, zod: schema, json: strictJsonSchema(schema) };
}

/** The instructions, with what the room's owner said of the meeting series and the terms its people use. */
type ContextChars = { background: number; vocabulary: number };

function systemMessage(language: string, limits: ContextChars, context: SummarizeInput['context'] = {}): ChatMessage {
  const background = context.background?.trim();
  const terms = [...new Set((context.vocabulary ?? []).map((t) => t.trim()).filter(Boolean))];
  return {
    role: 'system',
    content:
      'You summarize meeting transcripts for the people who attended. Be factual: use only what the transcript says, ' +
      `and name the speakers. Write in ${language}. Answer with a single JSON object that matches the given schema.` +
      (background ? `\nBackground on this meeting series, from its organiser (context only, not something said in this meeting): ${cut(background, limits.background)}` : '') +
      (terms.length ? `\nNames and terms used in these meetings, spelled as they should be: ${cut(terms.join(', '), limits.vocabulary)}.` : ''),
  };
}

function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code || 'English';
  }
}

type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

function checkAnswer<T>(kind: AnswerKind<T>, content: string | null, finishReason: string | null): Checked<T> {
  if (finishReason === 'length') return { ok: false, problem: 'the answer was cut off at the length limit; answer more briefly' };
  if (!content?.trim()) return { ok: false, problem: 'the answer was empty' };
  let json: unknown;
  try {
    // Some servers still wrap JSON in a Markdown fence.
    json = JSON.parse(content.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1'));
  } catch (error) {
    return { ok: false, problem: `the answer is not JSON (${(error as Error).message})` };
  }
  const parsed = kind.zod.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `the JSON does not match the schema:\n${z.prettifyError(parsed.error)}` };
  return { ok: true, value: parsed.data };
}

/**
 * Topics of one chunk on the timeline: starts clamped into the chunk, each ending where the next begins.
 * Topics said to start at the same moment become one.
 */
function placeTopics(answer: ChunkTopicsAnswer, chunk: TranscriptLine[]): MeetingTopic[] {
  const chunkStart = chunk[0]!.start;
  const chunkEnd = chunk.at(-1)!.end;
  const sorted = answer.topics
    .map((topic) => ({
      title: topic.title.trim(),
      summary: topic.summary.trim(),
      start: Math.min(chunkEnd, Math.max(chunkStart, parseTimestamp(topic.start) ?? chunkStart)),
    }))
    .sort((a, b) => a.start - b.start);
  sorted[0]!.start = chunkStart;
  const placed: typeof sorted = [];
  for (const topic of sorted) {
    const previous = placed.at(-1);
    if (previous && previous.start === topic.start) previous.summary = `${previous.summary} ${topic.summary}`;
    else placed.push({ ...topic });
  }
  return placed.map((topic, i) => ({ ...topic, end: placed[i + 1]?.start ?? chunkEnd }));
}

/** All topics as one contiguous timeline from 0 to the meeting's end. */
function joinTopics(topics: MeetingTopic[], meetingEnd: number): MeetingTopic[] {
  return topics.map((topic, i) => ({
    ...topic,
    start: i === 0 ? 0 : topic.start,
    end: topics[i + 1]?.start ?? Math.max(meetingEnd, topic.end),
  }));
}

function httpError(endpoint: string, status: number, text: string): SummaryServiceError {
  let detail = cut(text, 300);
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const { error } = parsed.data;
      detail = typeof error === 'string' ? error : [error.type, error.code, error.message].filter((part) => part != null && part !== '').join(': ');
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the text.
  }
  // 429 `insufficient_quota` is billing, not rate: waiting does not help.
  const retryable = isRetryableStatus(status, { tooEarly: true }) && !(status === 429 && text.includes('insufficient_quota'));
  const what = status === 401 || status === 403 ? 'refused the credentials' : `answered ${status}`;
  return new SummaryServiceError(`${endpoint} ${what}: ${detail}`, { retryable, status });
}

/** Retry-After is either delta-seconds or an HTTP date. */
function parseRetryAfterMs(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Results in input order; on the first failure stops starting new work and rejects with it. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
