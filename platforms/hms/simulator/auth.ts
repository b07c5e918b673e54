import * as jose from 'jose';

// Tokens checked as 100ms checks them (docs/get-started/v2/get-started/security-and-tokens.mdx): every REST call
// carries `Authorization: Bearer <management token>`, an HS256 JWT signed with the app secret whose claims are
// `access_key`, `type: "management"`, `version: 2`, `iat`, `nbf`, `exp` and `jti`. A missing, malformed, badly
// signed or expired token is 401; a valid token of another type (an app token, meant for the browser SDK) or
// version is 403. Errors come back as `{code, message, details}` JSON.

export class HmsSimError extends Error {
  readonly status: number;
  readonly details: string[];
  constructor(status: number, message: string, details: string[] = []) {
    super(message);
    this.name = 'HmsSimError';
    this.status = status;
    this.details = details;
  }

  response(): { status: number; json: unknown } {
    return { status: this.status, json: { code: this.status, message: this.message, details: this.details } };
  }
}

export const badRequest = (message: string) => new HmsSimError(400, message);
export const notFound = (message: string) => new HmsSimError(404, message);

export interface HmsApp {
  accessKey: string;
  secret: string;
}

export interface TokenClaims {
  access_key: string;
  type: string;
  version: number;
  jti: string;
  room_id?: string;
  user_id?: string;
  role?: string;
}

/** Clock skew 100ms tolerates on nbf/iat/exp (UNCONFIRMED: a small leeway, as golang-jwt users set). */
const LEEWAY_SECONDS = 10;

async function verifiedClaims(token: string, app: HmsApp): Promise<TokenClaims> {
  let claims: TokenClaims;
  try {
    const { payload } = await jose.jwtVerify(token, new TextEncoder().encode(app.secret), {
      algorithms: ['HS256'],
      clockTolerance: LEEWAY_SECONDS,
      requiredClaims: ['exp', 'iat', 'nbf', 'jti'],
    });
    claims = payload as unknown as TokenClaims;
  } catch (error) {
    if (error instanceof jose.errors.JWTExpired) throw new HmsSimError(401, 'token is expired');
    if (error instanceof jose.errors.JWTClaimValidationFailed) throw new HmsSimError(401, `invalid token: ${error.message}`);
    throw new HmsSimError(401, 'invalid token');
  }
  if (claims.access_key !== app.accessKey) throw new HmsSimError(401, 'invalid token: unknown access_key');
  return claims;
}

/** The REST API's check: a management token of this app. */
export async function requireManagementToken(authorization: string | undefined, app: HmsApp): Promise<TokenClaims> {
  if (!authorization) throw new HmsSimError(401, 'authorization header is missing');
  const match = /^Bearer (.+)$/.exec(authorization);
  if (!match) throw new HmsSimError(401, 'authorization header must be "Bearer <management token>"');
  const claims = await verifiedClaims(match[1]!, app);
  if (claims.type !== 'management') throw new HmsSimError(403, `forbidden: a ${String(claims.type)} token cannot call the REST API`);
  if (claims.version !== 2) throw new HmsSimError(403, `forbidden: token version ${String(claims.version)} is not supported`);
  return claims;
}

/** What joining with an app token checks: type "app", version 2, a room and a role. */
export async function appTokenClaims(token: string, app: HmsApp): Promise<TokenClaims & { room_id: string; role: string; user_id: string }> {
  const claims = await verifiedClaims(token, app);
  if (claims.type !== 'app') throw new HmsSimError(403, `forbidden: a ${String(claims.type)} token cannot join a room`);
  if (claims.version !== 2) throw new HmsSimError(403, `forbidden: token version ${String(claims.version)} is not supported`);
  if (!claims.room_id || !claims.role || !claims.user_id) throw new HmsSimError(401, 'invalid token: room_id, role and user_id are required');
  return claims as TokenClaims & { room_id: string; role: string; user_id: string };
}
