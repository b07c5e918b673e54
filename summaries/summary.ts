// The vocabulary of meeting summaries: what every summary engine returns, and how its failures are classified.
import type { Segment } from '../transcripts/words.ts';

/** A stretch of the meeting about one subject. Times are seconds from the recording's start. */
export interface MeetingTopic {
  title: string;
  summary: string;
  start: number;
  end: number;
}

export interface MeetingSummary {
  title: string;
  /** A few sentences. */
  shortSummary: string;
  /** Several paragraphs or lines; may name speakers. */
  longSummary: string;
  /** In meeting order, contiguous. */
  topics: MeetingTopic[];
  actionItems: string[];
}

export interface SummarizeInput {
  /** Speaker turns in time order. */
  segments: Segment[];
  /** The language the summary is written in, e.g. `en`. */
  language: string;
  durationSeconds: number;
  /** The room's own words on its meetings: its background text and its vocabulary (see db/entities.ts Room). */
  context?: { background?: string | null; vocabulary?: readonly string[] };
}

export interface SummarizeOptions {
  /** Aborts the whole summary; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each finished step (one service call, for a service engine); `total` may grow. */
  onProgress?: (done: number, total: number) => void;
}

export interface Summarizer {
  /** `openai-compatible` | `offline-extractive`. */
  readonly name: string;
  /** True for the fallback that calls no service; the product labels its summaries as such. */
  readonly offline: boolean;
  summarize(input: SummarizeInput, options?: SummarizeOptions): Promise<MeetingSummary>;
}

/**
 * A summary service failed. `retryable`: trying again later may succeed (network, timeouts, 429, 5xx);
 * otherwise it will not (other 4xx, bad credentials, a refusal, answers still malformed after the engine's
 * own reflection retries).
 */
export class SummaryServiceError extends Error {
  readonly retryable: boolean;
  /** The HTTP status, when the service answered with one. */
  readonly status: number | undefined;
  constructor(message: string, options: { retryable: boolean; status?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'SummaryServiceError';
    this.retryable = options.retryable;
    this.status = options.status;
  }
}

export const UNTITLED_MEETING = 'Untitled meeting';

/** The summary of a meeting in which nothing was said. */
export function emptySummary(): MeetingSummary {
  return { title: UNTITLED_MEETING, shortSummary: '', longSummary: '', topics: [], actionItems: [] };
}
