import { createHash } from 'node:crypto';
import * as jose from 'jose';
import { PlainHttpError, permissionDenied } from './twirp.ts';

// Server API tokens checked as LiveKit's APIKeyAuthMiddleware and auth.APIKeyTokenVerifier check them:
// `Authorization: Bearer <JWT>`, HS256 only, `iss` names the API key whose secret signed it, `exp` required,
// one minute of leeway. A failure there is a plain-text 401 before Twirp; a token without the grant a
// method needs is Twirp's `unauthenticated` "permissions denied" (twirpAuthError in livekit-server).

export interface VideoGrant {
  roomCreate?: boolean;
  roomJoin?: boolean;
  roomList?: boolean;
  roomRecord?: boolean;
  roomAdmin?: boolean;
  room?: string;
  destinationRoom?: string;
  ingressAdmin?: boolean;
  canPublish?: boolean;
  canSubscribe?: boolean;
}

export interface ClaimGrants {
  video?: VideoGrant;
  sub?: string;
  name?: string;
  sha256?: string;
}

const TOKEN_LEEWAY_SECONDS = 60;

/** The grants of the request's token, or null when it has none (every method then refuses). */
export async function requestGrants(authorization: string | undefined, keys: ReadonlyMap<string, string>): Promise<ClaimGrants | null> {
  if (authorization === undefined || authorization === '') return null;
  if (!authorization.startsWith('Bearer ')) throw new PlainHttpError(401, 'invalid authorization header. Must start with Bearer ');
  const token = authorization.slice('Bearer '.length);
  let apiKey: string;
  try {
    const header = jose.decodeProtectedHeader(token);
    if (header.alg !== 'HS256') throw new Error(`token is unverifiable: signing method ${header.alg} is invalid`);
    apiKey = String(jose.decodeJwt(token).iss ?? '');
  } catch {
    throw new PlainHttpError(401, 'invalid authorization token');
  }
  const secret = keys.get(apiKey);
  if (!secret) throw new PlainHttpError(401, 'invalid API key');
  try {
    const { payload } = await jose.jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      issuer: apiKey,
      clockTolerance: TOKEN_LEEWAY_SECONDS,
      requiredClaims: ['exp'],
    });
    return payload as ClaimGrants;
  } catch (error) {
    throw new PlainHttpError(401, `invalid authorization token: ${jwtFailure(error)}`);
  }
}

/** golang-jwt's wording for the usual failures. */
function jwtFailure(error: unknown): string {
  if (error instanceof jose.errors.JWTExpired) return 'token has invalid claims: token is expired';
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) return 'token signature is invalid: signature is invalid';
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'token has invalid claims: token is not valid yet';
    if (error.claim === 'exp') return 'token has invalid claims: token is missing required claim: exp claim is required';
    return `token has invalid claims: ${error.message}`;
  }
  return (error as Error).message;
}

export type RequiredGrant = 'roomCreate' | 'roomList' | 'roomRecord' | { roomAdmin: string };

/** EnsureCreatePermission, EnsureListPermission, EnsureRecordPermission, EnsureAdminPermission(room). */
export function ensureGrant(grants: ClaimGrants | null, required: RequiredGrant): void {
  const video = grants?.video;
  if (!video) throw permissionDenied();
  const allowed =
    typeof required === 'string' ? video[required] === true : video.roomAdmin === true && video.room === required.roomAdmin;
  if (!allowed) throw permissionDenied();
}

/**
 * The Authorization value of a webhook (livekit/protocol webhook/url_notifier.go): the raw JWT, no
 * "Bearer", valid five minutes, with `sha256` = base64(sha256(body)).
 */
export async function webhookAuthorization(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const sha256 = createHash('sha256').update(body).digest('base64');
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ sha256 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(apiKey)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 5 * 60)
    .sign(new TextEncoder().encode(apiSecret));
}
