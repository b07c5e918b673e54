// Speech for tests: the real Whisper engine. The test runner (scripts/test.ts) starts one whisper server for the
// whole run (the product's own engine, speech/whisper/, with the project's model) and hands its address to the test
// files, whose products reach it through the openai-compatible engine: the model is loaded once, not once per file.
// Tests about the engine's own process (start, restart, stop) set SPEECH_ENGINE=whisper and get their own; so does a
// test file run on its own.
import { availableParallelism } from 'node:os';
import { parseConfig } from '../../runtime/config.ts';
import { createTranscriptionEngines } from '../../runtime/engines.ts';
import type { WhisperRecognizer } from '../../speech/index.ts';

/** The product's default whisper engine, as runtime/engines.ts builds it from an empty configuration. */
export function defaultWhisper(env: Record<string, string> = {}, speechConcurrency = Math.max(1, availableParallelism())): WhisperRecognizer {
  const config = parseConfig({ APP_SECRET: 'x'.repeat(32), SPEECH_CONCURRENCY: String(speechConcurrency), ...env });
  return createTranscriptionEngines(config.transcription, { speechConcurrency }).recognizer as WhisperRecognizer;
}

export async function startSharedWhisper(): Promise<{ url: string; apiKey: string; stop(): Promise<void> }> {
  const whisper = defaultWhisper();
  await whisper.start();
  const { url, apiKey } = whisper.endpoint!;
  return { url, apiKey, stop: () => whisper.close() };
}

/** What a test product's configuration says about speech unless the test says otherwise. */
export function speechTestEnv(): Record<string, string> {
  const url = process.env.TEST_SPEECH_API_URL;
  const key = process.env.TEST_SPEECH_API_KEY;
  return url && key ? { SPEECH_ENGINE: 'openai-compatible', SPEECH_API_URL: url, SPEECH_API_KEY: key, SPEECH_MODEL: 'whisper-base' } : {};
}
