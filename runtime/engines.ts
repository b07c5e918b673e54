// The transcription engines chosen by configuration: speech recognition and summaries.
import { createSpeechRecognizer, type SpeechRecognizer } from '../speech/index.ts';
import { createSummarizer, type Summarizer } from '../summaries/index.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';

export function createTranscriptionEngines(
  transcription: Config['transcription'],
  options: { speechConcurrency: number; log?: Logger },
): { recognizer: SpeechRecognizer; summarizer: Summarizer } {
  const { speech, summary } = transcription;
  const recognizer = speech.engine === 'whisper'
    ? createSpeechRecognizer({
        engine: 'whisper', python: speech.python, modelDir: speech.modelDir, device: speech.device, computeType: speech.computeType,
        threads: speech.threads, workers: options.speechConcurrency, beamSize: speech.beamSize, requestTimeoutMs: speech.timeoutSeconds * 1000,
        log: options.log ? (level, message, fields) => options.log![level](message, fields) : undefined,
      })
    : createSpeechRecognizer({ engine: 'openai-compatible', baseUrl: speech.apiUrl, apiKey: speech.apiKey, model: speech.model, requestTimeoutMs: speech.timeoutSeconds * 1000 });
  const summarizer = summary.engine === 'offline'
    ? createSummarizer({ engine: 'offline-extractive' })
    : createSummarizer({ engine: 'openai-compatible', baseUrl: summary.apiUrl, apiKey: summary.apiKey, model: summary.model, requestTimeoutMs: summary.timeoutSeconds * 1000 });
  return { recognizer, summarizer };
}
