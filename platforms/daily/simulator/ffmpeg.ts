import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Runs a media tool to completion, optionally streaming `stdin` into it; rejects with its stderr. */
export async function runTool(command: string, args: string[], stdin?: AsyncIterable<Buffer> | Buffer | string): Promise<void> {
  const child = spawn(command, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
  const fed =
    stdin === undefined
      ? Promise.resolve()
      : pipeline(typeof stdin === 'string' || Buffer.isBuffer(stdin) ? Readable.from([stdin]) : Readable.from(stdin), child.stdin!);
  const [feeding, exit] = await Promise.allSettled([fed, exited]);
  // When the tool dies early, its own error explains the broken pipe.
  if (exit.status === 'rejected') throw exit.reason;
  if (feeding.status === 'rejected') throw feeding.reason;
}

export function ffmpeg(args: string[], stdin?: AsyncIterable<Buffer> | Buffer): Promise<void> {
  return runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], stdin);
}
