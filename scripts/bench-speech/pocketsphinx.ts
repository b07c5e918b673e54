// The previous offline engine, kept only as the baseline of `npm run bench:speech`: CMU pocketsphinx (Debian's
// 0.8+5prealpha `pocketsphinx_continuous` and its US English model, packages pocketsphinx and pocketsphinx-en-us).
// The product's adapter as it was before Whisper replaced it (git show 505e337~1:speech/pocketsphinx.ts), with its
// imports moved and `quality` replaced by `model` (the SpeechRecognizer interface changed since).
//
// With `-time yes` it prints, per utterance, the hypothesis line and then one `word start end probability` line per
// word, times in seconds from the start of the input. It also prints `<s>`, `</s>`, `<sil>` and fillers
// (`[NOISE]`, `[SPEECH]`), marks alternate pronunciations as `word(2)`, and its "probability" can exceed 1 by a hair.
// It is given the samples as a raw PCM file: it reads a WAV header only from a `.wav` name and then assumes the header
// is 44 bytes long, which ffmpeg's files (with a LIST chunk) are not. (Not through stdin: Node's pipes are sockets,
// which it cannot open as a file.)
// Log output stays on stderr (not `-logfn /dev/null`) so its ERROR/FATAL lines can explain a failure.
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RecognizedWord } from '../../transcripts/words.ts';
import { SpeechEngineUnavailableError, SpeechServiceError, languageCode, placeWord, type SpeechChunk, type SpeechRecognizer, type TranscribeOptions } from '../../speech/recognizer.ts';
import { WavFormatError, assertSpeechWav, parseWav } from '../../audio/wav.ts';

export interface PocketsphinxOptions {
  /** Default: `pocketsphinx_continuous` on the PATH. */
  binaryPath?: string;
  /** Acoustic model folder. Default: Debian's /usr/share/pocketsphinx/model/en-us/en-us. */
  hmmPath?: string;
  /** Language model. Default: /usr/share/pocketsphinx/model/en-us/en-us.lm.bin. */
  lmPath?: string;
  /** Pronunciation dictionary. Default: /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict. */
  dictPath?: string;
  /** Kills a run that takes longer (retryable). Default: none; the caller's signal still applies. */
  timeoutMs?: number;
}

const ENGINE = 'pocketsphinx';
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
export const POCKETSPHINX_DEFAULTS = {
  binaryPath: 'pocketsphinx_continuous',
  hmmPath: `${MODEL_DIR}/en-us`,
  lmPath: `${MODEL_DIR}/en-us.lm.bin`,
  dictPath: `${MODEL_DIR}/cmudict-en-us.dict`,
} as const;

const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/i;

export class PocketsphinxRecognizer implements SpeechRecognizer {
  readonly name = ENGINE;
  readonly model = 'cmusphinx-en-us';
  readonly #options: Required<Omit<PocketsphinxOptions, 'timeoutMs'>> & { timeoutMs?: number };

  constructor(options: PocketsphinxOptions = {}) {
    const set = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.#options = { ...POCKETSPHINX_DEFAULTS, ...set };
  }

  async transcribe(chunk: SpeechChunk, { language, signal }: TranscribeOptions): Promise<RecognizedWord[]> {
    if (languageCode(language) !== 'en') {
      throw new SpeechServiceError(`pocketsphinx has only a US English model and cannot transcribe language '${language}'; use the openai-compatible engine`, { engine: ENGINE, retryable: false, code: 'unsupported_language' });
    }
    signal?.throwIfAborted();
    await this.#checkModel();
    const bytes = await readFile(chunk.wavPath);
    let info;
    try {
      info = parseWav(bytes);
      assertSpeechWav(info);
    } catch (error) {
      if (error instanceof WavFormatError) throw new SpeechServiceError(`${ENGINE}: ${chunk.wavPath}: ${error.message}`, { engine: ENGINE, retryable: false, code: 'unsupported_media', cause: error });
      throw error;
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pocketsphinx-'));
    try {
      const raw = path.join(dir, 'chunk.raw');
      await writeFile(raw, bytes.subarray(info.dataOffset, info.dataOffset + info.dataLength));
      return parseWordLines(await this.#run(raw, signal), info.durationSeconds);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #checkModel(): Promise<void> {
    const { hmmPath, lmPath, dictPath } = this.#options;
    for (const [what, file] of [['acoustic model', `${hmmPath}/mdef`], ['language model', lmPath], ['dictionary', dictPath]] as const) {
      try {
        await access(file);
      } catch (error) {
        throw new SpeechEngineUnavailableError(`${ENGINE}: ${what} not found at ${file} (apt-get install pocketsphinx-en-us, or configure its path)`, { engine: ENGINE, cause: error });
      }
    }
  }

  #run(rawPath: string, signal: AbortSignal | undefined): Promise<string> {
    const { binaryPath, hmmPath, lmPath, dictPath, timeoutMs } = this.#options;
    const args = ['-infile', rawPath, '-hmm', hmmPath, '-lm', lmPath, '-dict', dictPath, '-time', 'yes'];
    const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
    const both = [signal, timeout].filter((s) => s !== undefined);
    return new Promise((resolve, reject) => {
      const child = spawn(binaryPath, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: both.length ? AbortSignal.any(both) : undefined });
      const out: Buffer[] = [];
      const problems: string[] = [];
      let pending = '';
      child.stdout.on('data', (data: Buffer) => out.push(data));
      child.stderr.setEncoding('utf8').on('data', (data: string) => {
        const lines = (pending + data).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (/^(ERROR|FATAL)/.test(line)) problems.push(line.trim());
        problems.splice(0, Math.max(0, problems.length - 10));
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (signal?.aborted) return reject(signal.reason);
        if (timeout?.aborted) return reject(new SpeechServiceError(`${ENGINE}: no result within ${timeoutMs} ms`, { engine: ENGINE, retryable: true, code: 'timeout', cause: error }));
        if (error.code === 'ENOENT' || error.code === 'EACCES') {
          return reject(new SpeechEngineUnavailableError(`${ENGINE}: cannot run ${binaryPath} (${error.code}; apt-get install pocketsphinx, or configure its path)`, { engine: ENGINE, cause: error }));
        }
        reject(new SpeechServiceError(`${ENGINE}: ${error.message}`, { engine: ENGINE, retryable: true, cause: error }));
      });
      child.once('close', (code, killedBy) => {
        if (signal?.aborted || timeout?.aborted) return; // the 'error' handler has answered
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const why = problems.join(' | ') || 'no error message';
        // Killed from outside (e.g. out of memory): another attempt may succeed. A non-zero exit is deterministic.
        if (killedBy) return reject(new SpeechServiceError(`${ENGINE}: killed by ${killedBy} (${why})`, { engine: ENGINE, retryable: true }));
        reject(new SpeechServiceError(`${ENGINE}: exited with status ${code}: ${why}`, { engine: ENGINE, retryable: false }));
      });
    });
  }
}

/** `word start end probability` lines → words; markers, silences and fillers dropped, `word(2)` → `word`. */
export function parseWordLines(stdout: string, durationSeconds: number): RecognizedWord[] {
  const words: RecognizedWord[] = [];
  for (const line of stdout.split('\n')) {
    const match = WORD_LINE.exec(line.trim());
    if (!match) continue;
    const [, token = '', start = '0', end = '0', probability = '0'] = match;
    if (/^[<[+]/.test(token)) continue;
    words.push(placeWord(token.replace(/\(\d+\)$/, ''), Number(start), Number(end), Number(probability), durationSeconds));
  }
  return words;
}
