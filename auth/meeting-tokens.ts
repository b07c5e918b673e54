// Tokens for anonymous participants: `mtk_<payload>.<signature>`, an HMAC-SHA256 over the payload with a
// key derived from the app secret. Not a JWT on purpose: the prefix tells it apart from an OIDC bearer token
// at a glance, and no JOSE header means no algorithm for anyone to choose.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The only scope a meeting token carries. It lets its holder take part in ONE meeting: join it, appear
 * under their display name, answer the recording-consent question. It never authorizes recordings,
 * transcripts, summaries, other meetings or room settings — a route serving those must refuse every
 * `participant` caller, whatever the meeting.
 */
export const MEETING_TOKEN_SCOPE = 'meeting:participate';
export type MeetingTokenScope = typeof MEETING_TOKEN_SCOPE;

export const MEETING_TOKEN_PREFIX = 'mtk_';
const VERSION = 1;
const DEFAULT_TTL_SECONDS = 6 * 60 * 60;
const MAX_TTL_SECONDS = 24 * 60 * 60;
const DEFAULT_CLOCK_SKEW_SECONDS = 30;
const MAX_NAME_LENGTH = 64;
const TOKEN_PATTERN = /^mtk_([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/;

export interface MeetingTokenClaims {
  scope: MeetingTokenScope;
  meetingId: string;
  /** Random, stable for this token: what consent answers and presence are tied to. */
  participantKey: string;
  name: string;
  issuedAt: Date;
  expiresAt: Date;
}

interface Payload {
  v: number;
  scope: string;
  mid: string;
  pk: string;
  name: string;
  iat: number;
  exp: number;
}

function signingKey(appSecret: string): Buffer {
  if (appSecret.length < 32) throw new RangeError('The app secret must be at least 32 characters');
  // A key of its own, so this HMAC never shares a key with other uses of the app secret.
  return Buffer.from(hkdfSync('sha256', appSecret, 'meeting-recorder', 'meeting-token/v1', 32));
}

function sign(appSecret: string, signedPart: string): Buffer {
  return createHmac('sha256', signingKey(appSecret)).update(signedPart).digest();
}

/** Trims, drops control characters, and bounds the length of a name a stranger chose. */
export function cleanDisplayName(name: string): string {
  return [...name.replace(/\p{Cc}|\p{Cf}/gu, '').trim()].slice(0, MAX_NAME_LENGTH).join('').trim();
}

export interface IssueMeetingTokenInput {
  appSecret: string;
  meetingId: string;
  name: string;
  /** Re-issue for the same participant (e.g. a rejoin); a fresh random key by default. */
  participantKey?: string;
  ttlSeconds?: number;
  now?: Date;
}

/** For an anonymous participant let into a room that allows it; the caller has checked the room's rule. */
export function issueMeetingToken(input: IssueMeetingTokenInput): { token: string; claims: MeetingTokenClaims } {
  const name = cleanDisplayName(input.name);
  if (name.length === 0) throw new RangeError('A participant needs a display name');
  if (input.meetingId.length === 0 || input.meetingId.length > 128) throw new RangeError('Invalid meeting id');
  const ttl = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!(ttl > 0 && ttl <= MAX_TTL_SECONDS)) throw new RangeError(`ttlSeconds must be within 1..${MAX_TTL_SECONDS}`);
  const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const payload: Payload = {
    v: VERSION,
    scope: MEETING_TOKEN_SCOPE,
    mid: input.meetingId,
    pk: input.participantKey ?? `p_${randomBytes(16).toString('base64url')}`,
    name,
    iat,
    exp: iat + ttl,
  };
  const signedPart = `${MEETING_TOKEN_PREFIX}${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const token = `${signedPart}.${sign(input.appSecret, signedPart).toString('base64url')}`;
  return { token, claims: toClaims(payload) };
}

function toClaims(payload: Payload): MeetingTokenClaims {
  return {
    scope: MEETING_TOKEN_SCOPE,
    meetingId: payload.mid,
    participantKey: payload.pk,
    name: payload.name,
    issuedAt: new Date(payload.iat * 1000),
    expiresAt: new Date(payload.exp * 1000),
  };
}

/** True when a bearer credential is shaped like a meeting token (and so is not an OIDC JWT). */
export function isMeetingToken(token: string): boolean {
  return token.startsWith(MEETING_TOKEN_PREFIX);
}

export type MeetingTokenFailure = 'malformed' | 'bad_signature' | 'expired' | 'wrong_meeting';

export type VerifiedMeetingToken = { ok: true; claims: MeetingTokenClaims } | { ok: false; reason: MeetingTokenFailure };

export interface VerifyMeetingTokenOptions {
  appSecret: string;
  /** When given, a token for any other meeting is refused. A route about a meeting should always pass it. */
  meetingId?: string;
  now?: Date;
  clockSkewSeconds?: number;
}

export function verifyMeetingToken(token: string, options: VerifyMeetingTokenOptions): VerifiedMeetingToken {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, encodedPayload = '', encodedSignature = ''] = match;
  // Compared as text: base64url has several spellings of the same final bits, and only ours is accepted.
  const expected = Buffer.from(sign(options.appSecret, `${MEETING_TOKEN_PREFIX}${encodedPayload}`).toString('base64url'));
  const presented = Buffer.from(encodedSignature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'bad_signature' };
  const payload = parsePayload(encodedPayload);
  // Signed by us yet unreadable: only a future version could do that.
  if (!payload) return { ok: false, reason: 'malformed' };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (payload.exp <= now - (options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS)) return { ok: false, reason: 'expired' };
  if (options.meetingId !== undefined && payload.mid !== options.meetingId) return { ok: false, reason: 'wrong_meeting' };
  return { ok: true, claims: toClaims(payload) };
}

function parsePayload(encoded: string): Payload | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const payload = value as Record<string, unknown>;
  const isString = (key: string) => typeof payload[key] === 'string';
  const isInteger = (key: string) => Number.isSafeInteger(payload[key]);
  if (payload.v !== VERSION || payload.scope !== MEETING_TOKEN_SCOPE) return null;
  if (!isString('mid') || !isString('pk') || !isString('name') || !isInteger('iat') || !isInteger('exp')) return null;
  return payload as unknown as Payload;
}
