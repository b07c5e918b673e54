// Meeting summaries, chosen by configuration behind one interface (one adapter per engine).
import { OfflineSummarizer, type OfflineSummarizerOptions } from './offline.ts';
import { OpenAICompatibleSummarizer, type OpenAICompatibleSummarizerOptions } from './openai-compatible.ts';
import type { Summarizer } from './summary.ts';

export type SummarizerOptions =
  | ({ engine: 'openai-compatible' } & OpenAICompatibleSummarizerOptions)
  | ({ engine: 'offline-extractive' } & OfflineSummarizerOptions);

export function createSummarizer(options: SummarizerOptions): Summarizer {
  switch (options.engine) {
    case 'openai-compatible': {
      const { engine: _engine, ...engineOptions } = options;
      return new OpenAICompatibleSummarizer(engineOptions);
    }
    case 'offline-extractive': {
      const { engine: _engine, ...engineOptions } = options;
      return new OfflineSummarizer(engineOptions);
    }
    default:
      throw new TypeError(`unknown summary engine: ${(options as { engine: unknown }).engine}`);
  }
}

export { SummaryServiceError, emptySummary, UNTITLED_MEETING } from './summary.ts';
export type { MeetingSummary, MeetingTopic, SummarizeInput, SummarizeOptions, Summarizer } from './summary.ts';
export type { OfflineSummarizerOptions } from './offline.ts';
export type { OpenAICompatibleSummarizerOptions } from './openai-compatible.ts';
export { OfflineSummarizer } from './offline.ts';
export { OpenAICompatibleSummarizer } from './openai-compatible.ts';
