// Speech recognition, chosen by configuration behind one interface (one adapter per engine):
//  - whisper (the default): Whisper on this machine, faster-whisper in a Python process of the worker's own
//    (speech/whisper/), reached over OpenAI's transcription API on a loopback port;
//  - openai-compatible: any service speaking that API (OpenAI, Groq, a Whisper server on a GPU machine).
import { OpenAICompatibleRecognizer, type OpenAICompatibleOptions } from './openai-compatible.ts';
import { WhisperRecognizer, whisperModelName, type WhisperOptions } from './whisper/engine.ts';
import { speechEngineLabel, type SpeechRecognizer } from './recognizer.ts';

export type SpeechOptions =
  | ({ engine: 'whisper' } & WhisperOptions)
  | ({ engine: 'openai-compatible' } & OpenAICompatibleOptions);

export function createSpeechRecognizer(options: SpeechOptions): SpeechRecognizer {
  switch (options.engine) {
    case 'whisper': {
      const { engine: _engine, ...engineOptions } = options;
      return new WhisperRecognizer(engineOptions);
    }
    case 'openai-compatible': {
      const { engine: _engine, ...engineOptions } = options;
      return new OpenAICompatibleRecognizer(engineOptions);
    }
    default:
      throw new TypeError(`unknown speech engine: ${(options as { engine: unknown }).engine}`);
  }
}

/** The engine a configuration makes, named as its transcripts name it, without starting it. */
export function configuredSpeechEngine(options: { engine: 'whisper'; modelDir: string } | { engine: 'openai-compatible'; model: string }): string {
  return speechEngineLabel({ name: options.engine, model: options.engine === 'whisper' ? whisperModelName(options.modelDir) : options.model });
}

/** Every engine a configuration offers a rerun, by label: the default first, then the others (runtime/config.ts). */
export const configuredSpeechEngines = (transcription: { speech: Parameters<typeof configuredSpeechEngine>[0]; otherSpeech: Array<Parameters<typeof configuredSpeechEngine>[0]> }): string[] =>
  [transcription.speech, ...transcription.otherSpeech].map(configuredSpeechEngine);

export { SpeechServiceError, SpeechEngineUnavailableError, speechPrompt } from './recognizer.ts';
export type { SpeechRecognizer, SpeechChunk, TranscribeOptions } from './recognizer.ts';
export type { OpenAICompatibleOptions } from './openai-compatible.ts';
export type { WhisperOptions } from './whisper/engine.ts';
export { OpenAICompatibleRecognizer } from './openai-compatible.ts';
export { WhisperRecognizer } from './whisper/engine.ts';
