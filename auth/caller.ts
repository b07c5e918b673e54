// Who is asking: one function that turns a request's credentials into a Caller, for the API to put on
// ctx.state. Credentials are tried in a fixed order — X-API-Key, then Authorization: Bearer (an API key, a
// meeting token or an OIDC JWT), then the session cookie — and the first one present decides: a present but invalid
// credential is a failure with a stable code (answer 401, or 503 when the identity provider is down), never
// a silent fall-back to a weaker credential or to anonymous.
import type { EntityManager } from '@mikro-orm/core';
import type { User } from './entities.ts';
import { resolveApiKey, type ApiKeyFailure } from './api-keys.ts';
import { isMeetingToken, verifyMeetingToken } from './meeting-tokens.ts';
import { userForOidcClaims, type OidcFailure, type OidcUserFailure, type OidcVerifier } from './oidc.ts';
import { clearSessionCookie, resolveSession, sessionCookieName, type SessionFailure, type SessionOptions } from './sessions.ts';

export type Caller =
  | { kind: 'user'; user: User; via: 'session' | 'api-key' | 'oidc' }
  /**
   * An anonymous participant holding a meeting token (scope `meeting:participate`, see meeting-tokens.ts):
   * may act in `meetingId` only — routes must compare it with the meeting they serve — and never reaches
   * recordings or transcripts.
   */
  | { kind: 'participant'; meetingId: string; participantKey: string; name: string }
  | { kind: 'anonymous' };

export type CredentialKind = 'api-key' | 'bearer' | 'session';

export type IdentifyFailureCode =
  | 'api_key_malformed'
  | 'api_key_invalid'
  | 'api_key_revoked'
  | 'api_key_expired'
  | 'authorization_malformed'
  | 'token_malformed'
  | 'token_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_wrong_issuer'
  | 'token_wrong_audience'
  | 'oidc_not_configured'
  | 'oidc_unavailable'
  | 'oidc_email_missing'
  | 'oidc_email_conflict'
  | 'meeting_token_invalid'
  | 'meeting_token_expired'
  | 'session_invalid'
  | 'session_expired';

export interface IdentifyFailure {
  credential: CredentialKind;
  code: IdentifyFailureCode;
  /** A sentence for the API client's developer. */
  message: string;
  /** 401 for a credential we refuse; 503 when the identity provider's keys cannot be fetched. */
  status: 401 | 503;
  /** For a dead session cookie: a `Set-Cookie` value that makes the browser drop it. */
  clearCookie?: string;
}

export type IdentifyResult =
  | {
      ok: true;
      caller: Caller;
      /** A `Set-Cookie` value to send with the response (the session's sliding expiry), if any. */
      setCookie: string | null;
    }
  | { ok: false; failure: IdentifyFailure };

export interface IdentifyRequest {
  /** Node's lower-cased request headers (Koa: ctx.headers). */
  headers: Record<string, string | string[] | undefined>;
  /** Koa: ctx.cookies (read unsigned: the session token needs no cookie signature). */
  cookies: { get(name: string): string | undefined };
}

export interface IdentifyDeps {
  em: EntityManager;
  sessions: SessionOptions;
  /** The app secret meeting tokens are signed with. */
  appSecret: string;
  /** Absent when no identity provider is configured: bearer JWTs are then refused. */
  oidc?: OidcVerifier | null;
  /** Passed on to userForOidcClaims. */
  oidcLinkVerifiedEmail?: boolean;
  /** The clock for every check, sessions included (tests). */
  now?: () => Date;
}

const ANONYMOUS: IdentifyResult = { ok: true, caller: { kind: 'anonymous' }, setCookie: null };

export async function identify(request: IdentifyRequest, deps: IdentifyDeps): Promise<IdentifyResult> {
  const now = deps.now?.() ?? new Date();

  const apiKey = request.headers['x-api-key'];
  if (apiKey !== undefined) {
    if (typeof apiKey !== 'string') return fail('api-key', 'api_key_malformed', 'Send exactly one X-API-Key header.');
    return identifyApiKey(deps.em, apiKey.trim(), now);
  }

  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const bearer = typeof authorization === 'string' ? /^Bearer +([^\s]+) *$/i.exec(authorization)?.[1] : undefined;
    if (!bearer) return fail('bearer', 'authorization_malformed', 'The Authorization header must be "Bearer <token>".');
    if (isMeetingToken(bearer)) return identifyMeetingToken(bearer, deps, now);
    // An API key as a bearer token: what scrapers and HTTP clients without custom headers send (Prometheus' `authorization`).
    if (bearer.startsWith('mr_')) return identifyApiKey(deps.em, bearer, now);
    return identifyOidc(bearer, deps, now);
  }

  const sessionToken = request.cookies.get(sessionCookieName(deps.sessions));
  if (sessionToken !== undefined && sessionToken !== '') return identifySession(sessionToken, deps);

  return ANONYMOUS;
}

function fail(credential: CredentialKind, code: IdentifyFailureCode, message: string, extra: Partial<IdentifyFailure> = {}): IdentifyResult {
  return { ok: false, failure: { credential, code, message, status: 401, ...extra } };
}

const API_KEY_FAILURES: Record<ApiKeyFailure, [IdentifyFailureCode, string]> = {
  malformed: ['api_key_malformed', 'The API key is not in the form mr_<prefix>_<secret>.'],
  unknown: ['api_key_invalid', 'The API key is not valid.'],
  revoked: ['api_key_revoked', 'The API key has been revoked.'],
  expired: ['api_key_expired', 'The API key has expired.'],
};

async function identifyApiKey(em: EntityManager, plaintext: string, now: Date): Promise<IdentifyResult> {
  const result = await resolveApiKey(em, plaintext, now);
  if (!result.ok) return fail('api-key', ...API_KEY_FAILURES[result.reason]);
  return { ok: true, caller: { kind: 'user', user: result.user, via: 'api-key' }, setCookie: null };
}

function identifyMeetingToken(token: string, deps: IdentifyDeps, now: Date): IdentifyResult {
  const result = verifyMeetingToken(token, { appSecret: deps.appSecret, now });
  if (!result.ok) {
    return result.reason === 'expired'
      ? fail('bearer', 'meeting_token_expired', 'The meeting token has expired; join the meeting again.')
      : fail('bearer', 'meeting_token_invalid', 'The meeting token is not valid.');
  }
  const { meetingId, participantKey, name } = result.claims;
  return { ok: true, caller: { kind: 'participant', meetingId, participantKey, name }, setCookie: null };
}

const OIDC_FAILURES: Record<OidcFailure | OidcUserFailure, IdentifyFailureCode> = {
  malformed: 'token_malformed',
  algorithm_not_allowed: 'token_invalid',
  unknown_key: 'token_invalid',
  bad_signature: 'token_invalid',
  wrong_type: 'token_invalid',
  missing_claim: 'token_invalid',
  wrong_issuer: 'token_wrong_issuer',
  wrong_audience: 'token_wrong_audience',
  expired: 'token_expired',
  not_yet_valid: 'token_not_yet_valid',
  provider_unavailable: 'oidc_unavailable',
  email_missing: 'oidc_email_missing',
  email_conflict: 'oidc_email_conflict',
};

const OIDC_MESSAGES: Partial<Record<IdentifyFailureCode, string>> = {
  token_malformed: 'The bearer token is not a well-formed JWT.',
  token_expired: 'The bearer token has expired.',
  token_not_yet_valid: 'The bearer token is not valid yet.',
  token_wrong_issuer: 'The bearer token was issued by another identity provider.',
  token_wrong_audience: 'The bearer token was issued for another audience.',
  oidc_unavailable: 'The identity provider cannot be reached to check the token; try again shortly.',
  oidc_email_missing: 'The token has no email claim to create an account with; ask for the email scope.',
  oidc_email_conflict: 'Another account already uses this email address.',
};

async function identifyOidc(token: string, deps: IdentifyDeps, now: Date): Promise<IdentifyResult> {
  if (!deps.oidc) return fail('bearer', 'oidc_not_configured', 'Bearer tokens are not accepted: no identity provider is configured.');
  const verified = await deps.oidc.verify(token, now);
  const mapped = verified.ok ? await userForOidcClaims(deps.em, verified.claims, { linkVerifiedEmail: deps.oidcLinkVerifiedEmail, now }) : verified;
  if (!mapped.ok) {
    const code = OIDC_FAILURES[mapped.reason];
    return fail('bearer', code, OIDC_MESSAGES[code] ?? 'The bearer token is not valid.', code === 'oidc_unavailable' ? { status: 503 } : {});
  }
  return { ok: true, caller: { kind: 'user', user: mapped.user, via: 'oidc' }, setCookie: null };
}

const SESSION_FAILURES: Record<SessionFailure, [IdentifyFailureCode, string]> = {
  malformed: ['session_invalid', 'The session cookie is not valid; sign in again.'],
  unknown: ['session_invalid', 'The session has ended; sign in again.'],
  expired: ['session_expired', 'The session has expired; sign in again.'],
};

async function identifySession(token: string, deps: IdentifyDeps): Promise<IdentifyResult> {
  const result = await resolveSession(deps.em, token, deps.now ? { ...deps.sessions, now: deps.now } : deps.sessions);
  if (!result.ok) return fail('session', ...SESSION_FAILURES[result.reason], { clearCookie: clearSessionCookie(deps.sessions).header });
  return { ok: true, caller: { kind: 'user', user: result.user, via: 'session' }, setCookie: result.renewedCookie?.header ?? null };
}
