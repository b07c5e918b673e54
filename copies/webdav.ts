// The owner's own storage over WebDAV (Nextcloud's protocol), through the `webdav` client: the folder checked with
// a PROPFIND (Depth 0), folders made with MKCOL, files streamed up with PUT and a known length; a file already there
// with the same size is not sent again, so a copy cut off part-way resumes with the files it had not finished.
import type { Readable } from 'node:stream';
import { createClient, type FileStat, type WebDAVClient } from 'webdav';
import { isRetryableStatus } from '../runtime/retryable.ts';

/** What a target's password is sealed for (copies/sealed-secret.ts: its key is derived from APP_SECRET and this). */
export const WEBDAV_PASSWORD = 'webdav-password';

export interface WebDavTarget {
  /** The folder's URL, e.g. https://cloud.example.com/remote.php/dav/files/alice/Meetings */
  url: string;
  username: string;
  password: string;
}

/** What the server answered, in words for the owner; `retryable` per runtime/retryable.ts, but a full server is final. */
export class WebDavError extends Error {
  readonly status: number | null;
  readonly retryable: boolean;
  constructor(message: string, status: number | null, retryable: boolean) {
    super(message);
    this.name = 'WebDavError';
    this.status = status;
    this.retryable = retryable;
  }
}

function client(target: WebDavTarget, timeoutMs: number): WebDAVClient {
  return createClient(target.url, { username: target.username, password: target.password, timeout: timeoutMs } as Parameters<typeof createClient>[1]);
}

/** A WebDavError saying what the server's answer means for the owner. */
export function webDavError(error: unknown, what: string): WebDavError {
  if (error instanceof WebDavError) return error;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') {
    if (status === 401 || status === 403) return new WebDavError(`${what}: the WebDAV server refused these credentials (${status})`, status, false);
    if (status === 404 || status === 409) return new WebDavError(`${what}: the WebDAV server has no such folder (${status})`, status, false);
    // Waiting does not free space: the owner must.
    if (status === 507) return new WebDavError(`${what}: the WebDAV storage is full (507 Insufficient Storage)`, status, false);
    return new WebDavError(`${what}: the WebDAV server answered ${status}`, status, isRetryableStatus(status));
  }
  return new WebDavError(`${what}: the WebDAV server could not be reached (${(error as Error).message ?? String(error)})`, null, true);
}

/** Refuses a target whose folder cannot be listed with these credentials, or is not a folder. */
export async function checkWebDavFolder(target: WebDavTarget, timeoutMs = 10_000): Promise<void> {
  let stat: FileStat;
  try {
    stat = (await client(target, timeoutMs).stat('/')) as FileStat;
  } catch (error) {
    throw webDavError(error, 'checking the folder');
  }
  if (stat.type !== 'directory') throw new WebDavError('checking the folder: the URL names a file, not a folder', null, false);
}

export interface UploadOptions {
  /** The file's path below the target folder, e.g. `weekly/2026-12-06 14.00/transcript.vtt`. */
  path: string;
  size: number;
  body: () => Promise<Readable>;
  contentType: string;
  onProgress?: (sent: number) => void;
  timeoutMs?: number;
}

/** `sent`, or `already-there` when the server has the file at that size. */
export async function uploadToWebDav(target: WebDavTarget, options: UploadOptions): Promise<'sent' | 'already-there'> {
  const dav = client(target, options.timeoutMs ?? 10 * 60_000);
  const folder = options.path.split('/').slice(0, -1).join('/');
  try {
    const existing = (await dav.exists(options.path)) ? ((await dav.stat(options.path)) as FileStat) : null;
    if (existing && existing.type === 'file' && existing.size === options.size) return 'already-there';
    if (folder) await dav.createDirectory(folder, { recursive: true });
    const body = await options.body();
    await dav.putFileContents(options.path, body, {
      overwrite: true, contentLength: options.size, headers: { 'Content-Type': options.contentType },
      ...(options.onProgress ? { onUploadProgress: (event: { loaded: number }) => options.onProgress!(event.loaded) } : {}),
    });
    const stored = (await dav.stat(options.path)) as FileStat;
    if (stored.size !== options.size) throw new WebDavError(`uploading ${options.path}: the server kept ${stored.size} of ${options.size} bytes`, null, true);
    return 'sent';
  } catch (error) {
    throw webDavError(error, `uploading ${options.path}`);
  }
}
