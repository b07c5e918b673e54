import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { StringDecoder } from 'node:string_decoder';

// One way to run ffmpeg: progress on file descriptor 3 (so stdout stays free for raw audio), stderr read
// line by line (silencedetect reports there) with only a short tail kept for errors, and an AbortSignal
// that kills the process. Nothing here grows with the length of the media.

export class FfmpegError extends Error {
  readonly exitCode: number | null;
  readonly stderrTail: string;
  constructor(command: string, exitCode: number | null, signal: NodeJS.Signals | null, stderrTail: string) {
    super(`${command} exited with ${exitCode ?? signal}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'FfmpegError';
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

export interface FfmpegRunOptions {
  signal?: AbortSignal | undefined;
  /** Seconds of output written so far, from `-progress`. */
  onProgressSeconds?: ((seconds: number) => void) | undefined;
  /** Every line ffmpeg writes to stderr. */
  onStderrLine?: ((line: string) => void) | undefined;
  /** Raw stdout (e.g. PCM from `-f s16le pipe:1`); stdout is ignored when absent. */
  onStdout?: ((chunk: Buffer) => void) | undefined;
  /** ffmpeg's log level; `info` is needed for filters that report on stderr (silencedetect). */
  logLevel?: 'error' | 'info' | undefined;
  /**
   * `background`: ffmpeg runs at a lower CPU priority (nice +10), so on a busy machine it takes only what speech
   * recognition leaves. For work nothing waits on before the transcript's words (the mixdown and its waveform);
   * preparing a track stays at normal priority, since its transcription waits for it.
   */
  priority?: 'normal' | 'background' | undefined;
}

/** Niceness of `background` ffmpeg runs; an unprivileged process may always lower its children's priority. */
export const BACKGROUND_NICENESS = 10;

/**
 * Mono 16-bit, right after decoding. Opus decodes silence as decaying denormal floats, and every float
 * stage after it (resampling, amix, the MP3 encoder) slows down on them; measured on a 10-minute
 * two-track meeting, the mixdown took 57 s without this step and 4.4 s with it.
 */
export const QUANTIZE = 'aformat=sample_fmts=s16:channel_layouts=mono';

const STDERR_TAIL_CHARS = 4000;

/** Runs `ffmpeg` to completion. Rejects with FfmpegError on a non-zero exit, or with the signal's reason on abort. */
export function runFfmpeg(args: string[], options: FfmpegRunOptions = {}): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const progress = options.onProgressSeconds ? ['-progress', 'pipe:3', '-nostats'] : ['-nostats'];
  const fullArgs = ['-hide_banner', '-nostdin', '-loglevel', options.logLevel ?? 'error', '-y', ...progress, ...args];
  return new Promise<void>((resolve, reject) => {
    const child = spawn('ffmpeg', fullArgs, {
      stdio: ['ignore', options.onStdout ? 'pipe' : 'ignore', 'pipe', options.onProgressSeconds ? 'pipe' : 'ignore'],
    });
    if (options.priority === 'background' && child.pid !== undefined) {
      try {
        setPriority(child.pid, BACKGROUND_NICENESS);
      } catch {
        // Exited already (its close event reports how), or the OS refuses: the run goes on at normal priority.
      }
    }
    let tail = '';
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      // SIGKILL: a graceful ffmpeg would first finish writing the file we are about to throw away.
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    forEachLine(child.stderr!, (line) => {
      tail = (tail + line + '\n').slice(-STDERR_TAIL_CHARS);
      options.onStderrLine?.(line);
    });
    const progressStream = child.stdio[3];
    if (options.onProgressSeconds && progressStream) {
      const report = options.onProgressSeconds;
      forEachLine(progressStream as NodeJS.ReadableStream, (line) => {
        // out_time_us is microseconds; out_time_ms is, despite its name, microseconds too.
        const match = /^out_time_us=(\d+)$/.exec(line);
        if (match) report(Number(match[1]) / 1e6);
      });
    }
    if (options.onStdout) child.stdout!.on('data', options.onStdout);

    child.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (code, exitSignal) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted) reject(signal!.reason as Error);
      else if (code === 0) resolve();
      else reject(new FfmpegError('ffmpeg', code, exitSignal, tail));
    });
  });
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += decoder.write(chunk);
    // ffmpeg ends progress lines with \n and rewrites its status line with \r.
    const lines = pending.split(/\r?\n|\r/);
    pending = lines.pop() ?? '';
    // A line without an end (a runaway log) must not grow without bound.
    if (pending.length > 64 * 1024) pending = pending.slice(-1024);
    for (const line of lines) if (line) onLine(line);
  });
  stream.on('end', () => {
    pending += decoder.end();
    if (pending) onLine(pending);
  });
}
