import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { PlatformApiError, PlatformResponseError } from '../platform.ts';

// 100ms's REST API (https://api.100ms.live/v2) with fetch, and its tokens with jose. 100ms's Node server SDK
// (@100mslive/server-sdk 0.3.0) is pre-1.0 and pulls in axios 0.27, jsonwebtoken and uuid 8; what we need of it is
// a dozen JSON calls and two HS256 tokens, so this small client stands in its place.
//
// Tokens (security-and-tokens.mdx), both HS256 with the app secret:
// - management: {access_key, type: "management", version: 2, iat, nbf, exp, jti} for every REST call; made once
//   and renewed before it expires (and once more when 100ms answers 401, in case our clock and theirs disagree);
// - app: {access_key, room_id, user_id, role, type: "app", version: 2, iat, nbf, exp, jti} for a browser to join.

export interface HmsCredentials {
  /** The REST API's base, e.g. https://api.100ms.live/v2 (the simulator's `apiUrl` in tests). */
  apiUrl: string;
  accessKey: string;
  appSecret: string;
}

export interface HmsClientOptions extends HmsCredentials {
  /** The management token's lifetime. Default 24 h. */
  managementTokenTtlSeconds?: number;
  /** Renew the management token when it has less than this left. Default 1 h. */
  renewBeforeSeconds?: number;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
}

/** A PlatformApiError: `status` 0 when 100ms did not answer at all. */
export class HmsApiError extends PlatformApiError {
  readonly retryable: boolean;
  constructor(operation: string, status: number, message: string) {
    super(`100ms ${operation} failed${status ? ` (${status})` : ''}: ${message}`, { status, errorType: status ? `http-${status}` : 'no-answer', info: message });
    this.name = 'HmsApiError';
    this.retryable = status === 0 || status === 429 || status === 408 || status >= 500;
  }
}

export interface HmsRoom {
  id: string;
  name: string;
  enabled: boolean;
  description?: string;
  template_id: string;
  region?: string;
  created_at: string;
}

export interface HmsPeer {
  id: string;
  name: string;
  user_id: string;
  role: string;
  metadata?: string;
  joined_at: string;
  left_at?: string | null;
}

export interface HmsActiveRoom {
  id: string;
  name: string;
  session: { id: string; created_at: string; peers: Record<string, HmsPeer> };
}

export interface HmsSession {
  id: string;
  room_id: string;
  active: boolean;
  peers: Record<string, HmsPeer>;
  created_at: string;
  updated_at: string;
}

export type HmsRecordingStatus = 'starting' | 'running' | 'stopping' | 'completed' | 'failed' | 'paused' | 'resumed';

export interface HmsRecordingAsset {
  id: string;
  room_id: string;
  session_id: string;
  type: string;
  path: string;
  status: string;
  size: number;
  duration: number;
  created_at: string;
  metadata?: { peer_id?: string; track_id?: string };
}

export interface HmsRecording {
  id: string;
  room_id: string;
  session_id: string;
  status: HmsRecordingStatus;
  created_at: string;
  started_at: string | null;
  updated_at: string;
  stopped_at: string | null;
  meeting_url: string;
  asset_types: string[];
  recording_assets: HmsRecordingAsset[] | null;
}

export interface HmsPage<T> {
  limit: number;
  data: T[];
  /** Pass as `start` for the next page; empty on the last. */
  last: string;
}

export interface HmsAppTokenInput {
  roomId: string;
  userId: string;
  role: string;
  expiresAt: Date;
}

export class HmsClient {
  readonly #options: Required<HmsClientOptions>;
  readonly #secret: Uint8Array;
  #management: { token: string; renewAtMs: number } | null = null;

  constructor(options: HmsClientOptions) {
    this.#options = { managementTokenTtlSeconds: 86_400, renewBeforeSeconds: 3_600, timeoutMs: 30_000, ...options, apiUrl: options.apiUrl.replace(/\/+$/, '') };
    if (this.#options.renewBeforeSeconds >= this.#options.managementTokenTtlSeconds) throw new Error('renewBeforeSeconds must be shorter than the management token lifetime');
    this.#secret = new TextEncoder().encode(options.appSecret);
  }

  /** The current management token, made anew once it is within renewBeforeSeconds of its expiry. */
  async managementToken(now = Date.now()): Promise<string> {
    if (this.#management && now < this.#management.renewAtMs) return this.#management.token;
    const ttl = this.#options.managementTokenTtlSeconds;
    const token = await this.#sign({ access_key: this.#options.accessKey, type: 'management', version: 2 }, now, ttl);
    this.#management = { token, renewAtMs: now + (ttl - this.#options.renewBeforeSeconds) * 1000 };
    return token;
  }

  /** A token for the browser SDK to join `roomId` as `role`; joining ends at `expiresAt`. */
  appToken(input: HmsAppTokenInput): Promise<string> {
    const now = Date.now();
    const ttl = Math.max(1, Math.floor((input.expiresAt.getTime() - now) / 1000));
    return this.#sign({ access_key: this.#options.accessKey, room_id: input.roomId, user_id: input.userId, role: input.role, type: 'app', version: 2 }, now, ttl);
  }

  /** Creates the room, or updates and answers the one of that name (100ms's create is an upsert). */
  createRoom(input: { name: string; description?: string; templateId?: string }): Promise<HmsRoom> {
    return this.#call('create room', 'POST', '/rooms', { name: input.name, ...(input.description && { description: input.description }), ...(input.templateId && { template_id: input.templateId }) });
  }

  getRoom(roomId: string): Promise<HmsRoom> {
    return this.#call('get room', 'GET', `/rooms/${enc(roomId)}`);
  }

  /** 100ms rooms are never deleted: a disabled room cannot be joined, and its live session ends. */
  setRoomEnabled(roomId: string, enabled: boolean): Promise<HmsRoom> {
    return this.#call('update room', 'POST', `/rooms/${enc(roomId)}`, { enabled });
  }

  /** The room's live session and who is in it; null when nobody is. */
  async activeRoom(roomId: string): Promise<HmsActiveRoom | null> {
    try {
      return await this.#call<HmsActiveRoom>('get active room', 'GET', `/active-rooms/${enc(roomId)}`);
    } catch (error) {
      if (error instanceof HmsApiError && error.status === 404) return null;
      throw error;
    }
  }

  getSession(sessionId: string): Promise<HmsSession> {
    return this.#call('get session', 'GET', `/sessions/${enc(sessionId)}`);
  }

  listSessions(input: { roomId?: string; limit?: number; start?: string } = {}): Promise<HmsPage<HmsSession>> {
    return this.#call('list sessions', 'GET', `/sessions?${query({ room_id: input.roomId, limit: input.limit, start: input.start })}`);
  }

  /** Without a meeting URL, the template's composite recording; 409 while one runs, 404 when nobody is in the room. */
  startRecording(roomId: string, input: { meetingUrl?: string } = {}): Promise<HmsRecording> {
    return this.#call('start recording', 'POST', `/recordings/room/${enc(roomId)}/start`, input.meetingUrl ? { meeting_url: input.meetingUrl } : {});
  }

  /** Stops every recording of the room; 404 when none is running. */
  async stopRoomRecordings(roomId: string): Promise<HmsRecording[]> {
    return (await this.#call<HmsPage<HmsRecording>>('stop recording', 'POST', `/recordings/room/${enc(roomId)}/stop`)).data;
  }

  getRecording(recordingId: string): Promise<HmsRecording> {
    return this.#call('get recording', 'GET', `/recordings/${enc(recordingId)}`);
  }

  listRecordings(input: { roomId?: string; limit?: number; start?: string } = {}): Promise<HmsPage<HmsRecording>> {
    return this.#call('list recordings', 'GET', `/recordings?${query({ room_id: input.roomId, limit: input.limit, start: input.start })}`);
  }

  /** A fresh presigned link to one recording asset (a webhook's link lasts 24 h). */
  assetDownloadUrl(assetId: string): Promise<{ id: string; url: string; path: string; expiry: number }> {
    return this.#call('get recording asset link', 'GET', `/recording-assets/${enc(assetId)}/presigned-url`);
  }

  #sign(claims: Record<string, unknown>, nowMs: number, ttlSeconds: number): Promise<string> {
    const iat = Math.floor(nowMs / 1000);
    return new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(iat).setNotBefore(iat).setExpirationTime(iat + ttlSeconds).setJti(randomUUID()).sign(this.#secret);
  }

  async #call<T>(operation: string, method: string, path: string, body?: unknown, renewed = false): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.#options.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${await this.managementToken()}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (error) {
      throw new HmsApiError(operation, 0, (error as Error).message);
    }
    const text = await response.text();
    if (response.status === 401 && !renewed) {
      // Our token may have run out early by their clock: one more try with a new one.
      this.#management = null;
      return this.#call(operation, method, path, body, true);
    }
    if (!response.ok) throw new HmsApiError(operation, response.status, errorMessage(text) ?? response.statusText);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PlatformResponseError(`100ms ${operation} answered ${response.status} with a body that is not JSON`);
    }
  }
}

function errorMessage(text: string): string | null {
  try {
    const json = JSON.parse(text) as { message?: unknown };
    return typeof json.message === 'string' ? json.message : null;
  } catch {
    return text.trim().slice(0, 200) || null;
  }
}

function query(params: Record<string, string | number | undefined>): string {
  return new URLSearchParams(Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))).toString();
}

const enc = encodeURIComponent;
