import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DailyMeetingTokenProperties } from '../api-schemas.ts';

// Daily meeting tokens are HS256 JWTs with abbreviated claims; the documented example decodes to
// {"r":"room-0253","d":"<domain id>","iat":…}. The other abbreviations (u, ud, o) are our guess.
// Signed with the API key, so a holder of the key can decode and check them.

export interface MeetingTokenClaims {
  r?: string;
  d: string;
  u?: string;
  ud?: string;
  o?: boolean;
  exp?: number;
  iat: number;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function signMeetingToken(
  properties: DailyMeetingTokenProperties,
  options: { apiKey: string; domainId: string; nowMs: number },
): string {
  const claims: MeetingTokenClaims = {
    ...(properties.room_name !== undefined && { r: properties.room_name }),
    d: options.domainId,
    ...(properties.user_name !== undefined && { u: properties.user_name }),
    ...(properties.user_id !== undefined && { ud: properties.user_id }),
    ...(properties.is_owner === true && { o: true }),
    ...(properties.exp !== undefined && { exp: properties.exp }),
    iat: Math.floor(options.nowMs / 1000),
  };
  const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${createHmac('sha256', options.apiKey).update(unsigned).digest('base64url')}`;
}

/** Null when the token is malformed or not signed with this key. */
export function decodeMeetingToken(token: string, apiKey: string): MeetingTokenClaims | null {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return null;
  const expected = Buffer.from(createHmac('sha256', apiKey).update(`${header}.${payload}`).digest('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as MeetingTokenClaims;
  } catch {
    return null;
  }
}

export function tokenProperties(claims: MeetingTokenClaims): DailyMeetingTokenProperties {
  return {
    ...(claims.r !== undefined && { room_name: claims.r }),
    ...(claims.u !== undefined && { user_name: claims.u }),
    ...(claims.ud !== undefined && { user_id: claims.ud }),
    is_owner: claims.o === true,
    ...(claims.exp !== undefined && { exp: claims.exp }),
  };
}
