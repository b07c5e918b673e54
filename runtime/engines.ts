// The transcription engines chosen by configuration: speech recognition and summaries.
import { createSpeechRecognizer, type SpeechRecognizer } from '../speech/index.ts';
import { createSummarizer, type Summarizer } from '../summaries/index.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';

export function createTranscriptionEngines(
  transcription: Config['transcription'],
  options: { speechConcurrency: number; log?: Logger },
): { recognizer: SpeechRecognizer; otherRecognizers: SpeechRecognizer[]; summarizer: Summarizer } {
  const { speech, otherSpeech, summary } = transcription;
  const recognizer = (engine: Config['transcription']['speech']) => engine.engine === 'whisper'
    ? createSpeechRecognizer({
        engine: 'whisper', python: engine.python, modelDir: engine.modelDir, device: engine.device, computeType: engine.computeType,
        threads: engine.threads, workers: options.speechConcurrency, beamSize: engine.beamSize, requestTimeoutMs: engine.timeoutSeconds * 1000,
        log: options.log ? (level, message, fields) => options.log![level](fields ?? {}, message) : undefined,
      })
    : createSpeechRecognizer({ engine: 'openai-compatible', baseUrl: engine.apiUrl, apiKey: engine.apiKey, model: engine.model, requestTimeoutMs: engine.timeoutSeconds * 1000 });
  const summarizer = summary.engine === 'offline'
    ? createSummarizer({ engine: 'offline-extractive' })
    : createSummarizer({ engine: 'openai-compatible', baseUrl: summary.apiUrl, apiKey: summary.apiKey, model: summary.model, requestTimeoutMs: summary.timeoutSeconds * 1000 });
  // The others a rerun may choose: a Whisper among them starts its process when first asked for (its transcribe does).
  return { recognizer: recognizer(speech), otherRecognizers: otherSpeech.map(recognizer), summarizer };
}
