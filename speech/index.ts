// Speech recognition, chosen by configuration behind one interface (one adapter per engine).
//
// No in-process Whisper (whisper.cpp bindings such as @fugood/whisper.node or smart-whisper): they install, but no
// model file can be obtained offline here. Whisper quality comes from a service instead; to run whisper.cpp locally,
// start its server and point the openai-compatible engine at it.
import { OpenAICompatibleRecognizer, type OpenAICompatibleOptions } from './openai-compatible.ts';
import { PocketsphinxRecognizer, type PocketsphinxOptions } from './pocketsphinx.ts';
import type { SpeechRecognizer } from './recognizer.ts';

export type SpeechOptions =
  | ({ engine: 'openai-compatible' } & OpenAICompatibleOptions)
  | ({ engine: 'pocketsphinx' } & PocketsphinxOptions);

export function createSpeechRecognizer(options: SpeechOptions): SpeechRecognizer {
  switch (options.engine) {
    case 'openai-compatible': {
      const { engine: _engine, ...engineOptions } = options;
      return new OpenAICompatibleRecognizer(engineOptions);
    }
    case 'pocketsphinx': {
      const { engine: _engine, ...engineOptions } = options;
      return new PocketsphinxRecognizer(engineOptions);
    }
    default:
      throw new TypeError(`unknown speech engine: ${(options as { engine: unknown }).engine}`);
  }
}

export { SpeechServiceError, SpeechEngineUnavailableError } from './recognizer.ts';
export type { SpeechRecognizer, SpeechChunk, TranscribeOptions } from './recognizer.ts';
export type { OpenAICompatibleOptions } from './openai-compatible.ts';
export type { PocketsphinxOptions } from './pocketsphinx.ts';
export { OpenAICompatibleRecognizer } from './openai-compatible.ts';
export { PocketsphinxRecognizer, POCKETSPHINX_DEFAULTS } from './pocketsphinx.ts';
