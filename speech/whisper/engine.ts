// The offline default speech engine: Whisper (faster-whisper on CTranslate2, int8 on the CPU) in one long-lived
// Python process per worker, speech/whisper/server.py, which speaks OpenAI's `/v1/audio/transcriptions` on a
// loopback port. The model is loaded once when the worker starts and serves every chunk; requests go through the
// openai-compatible engine, so there is one way of talking to a recognizer, and the same server runs on its own
// on a GPU machine for workers anywhere (SPEECH_ENGINE=openai-compatible, SPEECH_API_URL).
//
// The process: started by `start()` (the worker calls it before polling), told its port back on stdout, guarded by
// a bearer token made per start and passed in its environment. If it dies, requests in flight fail as retryable
// (the activity retries) and it is started again, with a growing pause if it keeps dying. `close()` stops it; it
// also exits by itself when our end of its stdin closes, so it never outlives the worker.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { RecognizedWord } from '../../transcripts/words.ts';
import { OpenAICompatibleRecognizer } from '../openai-compatible.ts';
import { SpeechEngineUnavailableError, SpeechServiceError, type SpeechChunk, type SpeechRecognizer, type TranscribeOptions } from '../recognizer.ts';

const ENGINE = 'whisper';
const SERVER_SCRIPT = path.join(import.meta.dirname, 'server.py');
const SETUP_SCRIPT = path.join(import.meta.dirname, 'setup.py');
export const SETUP_COMMAND = 'python3 speech/whisper/setup.py';
/** The model `setup.py` assembles, inside the environment it makes: `<venv>/models/whisper-base`. */
/** The model a folder holds, by the folder's name (`whisper-base`). */
export const whisperModelName = (modelDir: string) => path.basename(path.resolve(modelDir));
export const assembledModelDir = (python: string) => path.join(path.dirname(path.dirname(python)), 'models', 'whisper-base');

export interface WhisperOptions {
  /** The Python of the environment holding faster-whisper (default: the project's .venv/bin/python). */
  python: string;
  /** A CTranslate2 Whisper model folder. */
  modelDir: string;
  device: 'cpu' | 'cuda';
  /** CTranslate2's compute type: int8 on the CPU, float16 on a GPU, … */
  computeType: string;
  /** CPU threads per recognition. */
  threads: number;
  /** Recognitions at once (the worker's speech concurrency). */
  workers: number;
  beamSize: number;
  /** Per request: set it just under the activity's timeout. */
  requestTimeoutMs: number;
  /** Loading the model (and importing its libraries) may take this long. Default 120 s. */
  startTimeoutMs?: number;
  log?: (level: 'debug' | 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

interface Running {
  child: ChildProcess;
  url: string;
  token: string;
  client: OpenAICompatibleRecognizer;
}

type State =
  | { kind: 'stopped' }
  | { kind: 'starting'; ready: Promise<Running>; child?: ChildProcess }
  | { kind: 'running'; running: Running }
  | { kind: 'closed' };

const run = promisify(execFile);
const RESTART_PAUSES_MS = [0, 1000, 2000, 5000, 10_000, 30_000];
/** A process that ran this long before dying resets the pause before the next restart. */
const HEALTHY_MS = 60_000;

export class WhisperRecognizer implements SpeechRecognizer {
  readonly name = ENGINE;
  readonly model: string;
  readonly #options: WhisperOptions;
  #state: State = { kind: 'stopped' };
  #crashes = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #preflight: Promise<void> | undefined;

  constructor(options: WhisperOptions) {
    if (!(options.threads >= 1 && options.workers >= 1 && options.beamSize >= 1)) throw new TypeError('threads, workers and beamSize must be at least 1');
    this.#options = options;
    this.model = whisperModelName(options.modelDir);
  }

  /** The server's process id while it runs (operators and tests). */
  get processId(): number | undefined {
    return this.#state.kind === 'running' ? this.#state.running.child.pid : undefined;
  }

  /** Where the server listens and its bearer token, while it runs: other processes on this machine may share it. */
  get endpoint(): { url: string; apiKey: string } | undefined {
    return this.#state.kind === 'running' ? { url: this.#state.running.url, apiKey: this.#state.running.token } : undefined;
  }

  /** Starts the server and waits until its model is loaded. A missing environment or model rejects with what to do. */
  async start(): Promise<void> {
    await this.#ready();
  }

  /** Checks the environment and the model folder are there, without starting the server (an engine started when first asked for). */
  async check(): Promise<void> {
    await this.#checkInstalled();
  }

  async transcribe(chunk: SpeechChunk, options: TranscribeOptions): Promise<RecognizedWord[]> {
    options.signal?.throwIfAborted();
    const running = await this.#ready();
    try {
      return await running.client.transcribe(chunk, options);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      // A connection cut by a dying process is noticed before its exit: give the exit a moment to arrive.
      if (error instanceof SpeechServiceError && error.code === 'network' && await hasExited(running.child, 1000)) {
        // The process died under the request: it is being restarted, and the activity's retry will find it.
        throw new SpeechServiceError(`${ENGINE}: the recognizer process stopped during the request (${describeExit(running.child)}); it is restarting`, { engine: ENGINE, retryable: true, code: 'engine_restarting', cause: error });
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const state = this.#state;
    this.#state = { kind: 'closed' };
    clearTimeout(this.#restartTimer);
    const child = state.kind === 'running' ? state.running.child : state.kind === 'starting' ? state.child : undefined;
    if (child) await stopChild(child);
  }

  #ready(): Promise<Running> {
    const state = this.#state;
    switch (state.kind) {
      case 'running':
        return Promise.resolve(state.running);
      case 'starting':
        return state.ready;
      case 'closed':
        return Promise.reject(new SpeechServiceError(`${ENGINE}: the engine is closed`, { engine: ENGINE, retryable: true, code: 'closed' }));
      case 'stopped': {
        clearTimeout(this.#restartTimer);
        const starting: State & { kind: 'starting' } = { kind: 'starting', ready: undefined as unknown as Promise<Running> };
        starting.ready = this.#spawn(starting).then(
          (running) => {
            if (this.#state === starting) this.#state = { kind: 'running', running };
            return running;
          },
          (error: unknown) => {
            if (this.#state === starting) this.#state = { kind: 'stopped' };
            throw error;
          },
        );
        this.#state = starting;
        return starting.ready;
      }
    }
  }

  /** Checks what the server needs before spawning it, once: a Python environment and a model folder. */
  #checkInstalled(): Promise<void> {
    this.#preflight ??= (async () => {
      const { python, modelDir } = this.#options;
      if (!existsSync(python)) {
        throw new SpeechEngineUnavailableError(`${ENGINE}: no Python environment at ${python}; run \`${SETUP_COMMAND}\` (npm start does it), or set SPEECH_PYTHON`, { engine: ENGINE });
      }
      if (path.resolve(modelDir) === assembledModelDir(python)) {
        // The model this project assembles: setup.py knows its files and checks they are the ones it verified.
        try {
          await run(python, [SETUP_SCRIPT, '--check', '--venv', path.dirname(path.dirname(python))]);
        } catch (error) {
          const message = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
          throw new SpeechEngineUnavailableError(`${ENGINE}: ${message.replace(/^speech setup failed: /, '')}`, { engine: ENGINE, cause: error });
        }
        return;
      }
      const missing = missingModelFiles(modelDir);
      if (missing.length) {
        throw new SpeechEngineUnavailableError(`${ENGINE}: ${modelDir} is not a CTranslate2 Whisper model folder (missing ${missing.join(', ')}); set SPEECH_MODEL_DIR to one, or leave it unset for the assembled whisper-base (a folder of SPEECH_OTHER_MODEL_DIRS: correct or remove it)`, { engine: ENGINE });
      }
    })();
    this.#preflight.catch(() => (this.#preflight = undefined));
    return this.#preflight;
  }

  async #spawn(starting: { child?: ChildProcess }): Promise<Running> {
    await this.#checkInstalled();
    const { python, modelDir, device, computeType, threads, workers, beamSize, requestTimeoutMs, startTimeoutMs = 120_000, log } = this.#options;
    const token = randomBytes(24).toString('base64url');
    const child = spawn(python, [
      SERVER_SCRIPT, '--model-dir', modelDir, '--device', device, '--compute-type', computeType,
      '--threads', String(threads), '--workers', String(workers), '--beam-size', String(beamSize),
      '--host', '127.0.0.1', '--port', '0', '--exit-with-stdin',
    ], {
      // Its own process group: a terminal's Ctrl-C is the worker's to handle (it stops this server when done).
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, SPEECH_SERVER_TOKEN: token, OMP_NUM_THREADS: String(threads), PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    starting.child = child;
    const started = Date.now();
    const stderrTail: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderrTail.push(line);
      stderrTail.splice(0, Math.max(0, stderrTail.length - 20));
      log?.('debug', 'whisper server', { line });
    });
    child.stdin!.on('error', () => undefined); // EPIPE once the process has gone; its exit is handled below

    const running = await new Promise<Running>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new SpeechServiceError(`${ENGINE}: the model did not load within ${startTimeoutMs} ms`, { engine: ENGINE, retryable: true, code: 'timeout' }));
      }, startTimeoutMs);
      let failure: string | undefined;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let event: { event?: string; url?: string; error?: string; loadSeconds?: number };
        try {
          event = JSON.parse(line);
        } catch {
          return log?.('debug', 'whisper server', { line });
        }
        if (event.event === 'listening' && event.url) {
          clearTimeout(timer);
          log?.('info', 'whisper model loaded', { model: this.model, device, computeType, threads, workers, loadSeconds: event.loadSeconds, pid: child.pid });
          resolve({ child, url: event.url, token, client: new OpenAICompatibleRecognizer({ baseUrl: event.url, apiKey: token, model: this.model, requestTimeoutMs, engineName: ENGINE }) });
        } else if (event.event === 'failed') {
          failure = event.error;
        }
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new SpeechEngineUnavailableError(`${ENGINE}: cannot run ${python} (${error.code ?? error.message}); run \`${SETUP_COMMAND}\``, { engine: ENGINE, cause: error }));
      });
      child.once('exit', () => {
        clearTimeout(timer);
        const why = failure ?? (stderrTail.filter((l) => l.trim()).slice(-3).join(' | ') || 'no message');
        if (child.exitCode === 2) {
          // The server could not load its model or its libraries: no restart can fix that.
          const fix = /No module named/.test(why) ? `faster-whisper is not installed for ${python}; run \`${SETUP_COMMAND}\`` : why;
          reject(new SpeechEngineUnavailableError(`${ENGINE}: ${fix}`, { engine: ENGINE }));
        } else {
          reject(new SpeechServiceError(`${ENGINE}: the recognizer process stopped while loading (${describeExit(child)}): ${why}`, { engine: ENGINE, retryable: true, code: 'engine_restarting' }));
        }
      });
    });

    child.once('exit', () => {
      if (this.#state.kind !== 'running' || this.#state.running.child !== child) return;
      this.#state = { kind: 'stopped' };
      this.#crashes = Date.now() - started > HEALTHY_MS ? 1 : this.#crashes + 1;
      const pause = RESTART_PAUSES_MS[Math.min(this.#crashes, RESTART_PAUSES_MS.length - 1)]!;
      log?.('warn', 'whisper server stopped; restarting', { exit: describeExit(child), restartInMs: pause, stderr: stderrTail.slice(-5) });
      this.#restartTimer = setTimeout(() => {
        if (this.#state.kind === 'stopped') this.#ready().catch((error: unknown) => log?.('warn', 'whisper server did not restart', { error: (error as Error).message }));
      }, pause);
      this.#restartTimer.unref();
    });
    return running;
  }
}

/**
 * Sets up the project's own environment and model (`npm start` calls this): speech/whisper/setup.py with the
 * system's Python, its progress on our stdout. Quick when everything is in place.
 */
export async function setUpWhisper(python = process.env.PYTHON ?? 'python3'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(python, [SETUP_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error: NodeJS.ErrnoException) => reject(new SpeechEngineUnavailableError(
      `${ENGINE}: cannot run ${python} (${error.code ?? error.message}): Python 3.9 or newer is needed to set up the offline speech engine (Debian: apt-get install python3 python3-venv)`,
      { engine: ENGINE, cause: error },
    )));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new SpeechEngineUnavailableError(`${ENGINE}: the speech set-up failed (its message is above); fix it and start again, or run \`${SETUP_COMMAND}\``, { engine: ENGINE }))));
  });
}

function missingModelFiles(dir: string): string[] {
  const has = (name: string) => existsSync(path.join(dir, name));
  const missing = ['model.bin', 'config.json'].filter((name) => !has(name));
  if (!has('tokenizer.json') && !has('vocabulary.json') && !has('vocabulary.txt')) missing.push('tokenizer.json or vocabulary.json');
  return missing;
}

function describeExit(child: ChildProcess): string {
  if (child.signalCode) return `killed by ${child.signalCode}`;
  if (child.exitCode !== null) return `exit status ${child.exitCode}`;
  return 'still running';
}

function hasExited(child: ChildProcess, waitMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}
