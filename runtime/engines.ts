// The transcription engines chosen by configuration: speech recognition and summaries.
import { createSpeechRecognizer, type SpeechRecognizer } from '../speech/index.ts';
import { createSummarizer, type Summarizer } from '../summaries/index.ts';
import type { Config } from './config.ts';

export function createTranscriptionEngines(transcription: Config['transcription']): { recognizer: SpeechRecognizer; summarizer: Summarizer } {
  const { speech, summary } = transcription;
  const recognizer = speech.engine === 'pocketsphinx'
    ? createSpeechRecognizer({ engine: 'pocketsphinx' })
    // The request gives up a little before the activity's attempt would.
    : createSpeechRecognizer({ engine: 'openai-compatible', baseUrl: speech.apiUrl, apiKey: speech.apiKey, model: speech.model, requestTimeoutMs: speech.timeoutSeconds * 1000 });
  const summarizer = summary.engine === 'offline'
    ? createSummarizer({ engine: 'offline-extractive' })
    : createSummarizer({ engine: 'openai-compatible', baseUrl: summary.apiUrl, apiKey: summary.apiKey, model: summary.model, requestTimeoutMs: summary.timeoutSeconds * 1000 });
  return { recognizer, summarizer };
}
