// Bearer JWTs from an OpenID Connect provider, checked with `jose` against the provider's JWKS (fetched,
// cached, re-fetched when an unknown key id shows up after a rotation), then mapped to a local User.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { User } from './entities.ts';
import { isPlausibleEmail, normalizeEmail } from './users.ts';

export const OIDC_ALGORITHMS = ['RS256', 'ES256'] as const;
export type OidcAlgorithm = (typeof OIDC_ALGORITHMS)[number];

export interface OidcOptions {
  /** Must equal the tokens' `iss` exactly. */
  issuer: string;
  /** This API's identifier at the provider; a token must name it (or one of them) in `aud`. */
  audience: string | string[];
  /** Default: the `jwks_uri` of `<issuer>/.well-known/openid-configuration`, read once. */
  jwksUri?: string;
  /** Tolerated difference between our clock and the provider's, for exp and nbf. Default 60 s. */
  clockSkewSeconds?: number;
  /** Accepted signature algorithms; never HS* or none. Default RS256 and ES256. */
  algorithms?: OidcAlgorithm[];
  /** Require this JWT `typ` header, e.g. `at+jwt` for RFC 9068 access tokens. Default: not checked. */
  typ?: string;
  /** Timeout for discovery and JWKS requests. Default 5 s. */
  httpTimeoutMs?: number;
  /**
   * Attach a first-seen OIDC identity to an existing account with the same email, when the provider says
   * the email is verified (`email_verified: true`). Off by default: it trusts the provider with every
   * account's email, including the first admin's.
   */
  linkVerifiedEmail?: boolean;
}

export type OidcFailure =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_type'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim'
  /** The provider's keys could not be fetched: our problem or theirs, not the caller's (answer 503). */
  | 'provider_unavailable';

export type OidcVerification = { ok: true; claims: JWTPayload & { iss: string; sub: string } } | { ok: false; reason: OidcFailure; detail: string };

export interface OidcVerifier {
  readonly issuer: string;
  verify(token: string, now?: Date): Promise<OidcVerification>;
}

/** Holds the provider's key set for the life of the process; make one at start-up, not per request. */
export function createOidcVerifier(options: OidcOptions): OidcVerifier {
  const algorithms = options.algorithms ?? [...OIDC_ALGORITHMS];
  for (const alg of algorithms) {
    if (!OIDC_ALGORITHMS.includes(alg)) throw new RangeError(`Unsupported OIDC algorithm: ${String(alg)}`);
  }
  const timeoutDuration = options.httpTimeoutMs ?? 5000;
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const getKeySet = () => {
    keySet ??= (options.jwksUri ? Promise.resolve(options.jwksUri) : discoverProvider(options.issuer, timeoutDuration).then((provider) => provider.jwks_uri))
      .then((uri) => createRemoteJWKSet(new URL(uri), { timeoutDuration }))
      // A failed discovery is retried by the next request rather than remembered.
      .catch((error: unknown) => {
        keySet = undefined;
        throw error;
      });
    return keySet;
  };

  return {
    issuer: options.issuer,
    async verify(token, now) {
      try {
        const keys = await getKeySet();
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          clockTolerance: options.clockSkewSeconds ?? 60,
          requiredClaims: ['sub', 'exp'],
          ...(options.typ === undefined ? {} : { typ: options.typ }),
          ...(now === undefined ? {} : { currentDate: now }),
        });
        return { ok: true, claims: payload as JWTPayload & { iss: string; sub: string } };
      } catch (error) {
        return { ok: false, ...classify(error) };
      }
    },
  };
}

function classify(error: unknown): { reason: OidcFailure; detail: string } {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof errors.JWTExpired) return { reason: 'expired', detail };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return { reason: 'missing_claim', detail };
    const byClaim: Record<string, OidcFailure> = { iss: 'wrong_issuer', aud: 'wrong_audience', nbf: 'not_yet_valid', typ: 'wrong_type' };
    return { reason: byClaim[error.claim] ?? 'malformed', detail };
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return { reason: 'algorithm_not_allowed', detail };
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return { reason: 'unknown_key', detail };
  if (error instanceof errors.JWSSignatureVerificationFailed) return { reason: 'bad_signature', detail };
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return { reason: 'malformed', detail };
  // JWKSTimeout, JWKSInvalid, a non-200 JWKS response, a failed discovery, a network error.
  return { reason: 'provider_unavailable', detail };
}

/** The parts of a provider's discovery document (`/.well-known/openid-configuration`) we use. */
export interface OidcProviderMetadata {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
}

/** Reads the provider's discovery document, which must name the same issuer and its keys. */
export async function discoverProvider(issuer: string, timeoutMs = 5000): Promise<OidcProviderMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok) throw new Error(`OIDC discovery: ${url} answered ${response.status}`);
  const document = (await response.json()) as Partial<Record<keyof OidcProviderMetadata, unknown>>;
  if (document.issuer !== issuer) throw new Error(`OIDC discovery: ${url} names issuer ${JSON.stringify(document.issuer)}, expected ${JSON.stringify(issuer)}`);
  if (typeof document.jwks_uri !== 'string') throw new Error(`OIDC discovery: ${url} has no jwks_uri`);
  return document as OidcProviderMetadata;
}

export type OidcUserFailure =
  /** First sight of this identity, and the token carries no usable `email` claim to make an account with. */
  | 'email_missing'
  /** First sight of this identity, and a different account already has its email (see linkVerifiedEmail). */
  | 'email_conflict';

export type OidcUser = { ok: true; user: User; created: boolean } | { ok: false; reason: OidcUserFailure };

/** lastLoginAt moves at most this often: a bearer token arrives with every request. */
const LAST_LOGIN_INTERVAL_MS = 60_000;

/**
 * The local user for verified claims, found by (issuer, subject); on first sight one is created from the
 * `email` and `name` (or `preferred_username`) claims, with the `user` role. Later changes to those claims
 * are not copied: the account is ours once made. Flushes.
 */
export async function userForOidcClaims(
  em: EntityManager,
  claims: JWTPayload & { iss: string; sub: string },
  options: Pick<OidcOptions, 'linkVerifiedEmail'> & { now?: Date } = {},
): Promise<OidcUser> {
  const now = options.now ?? new Date();
  const identity = { oidcIssuer: claims.iss, oidcSubject: claims.sub };
  const known = await em.findOne(User, identity);
  if (known) {
    if (!known.lastLoginAt || now.getTime() - known.lastLoginAt.getTime() >= LAST_LOGIN_INTERVAL_MS) {
      known.lastLoginAt = now;
      await em.flush();
    }
    return { ok: true, user: known, created: false };
  }

  if (typeof claims.email !== 'string' || !isPlausibleEmail(claims.email)) return { ok: false, reason: 'email_missing' };
  const email = normalizeEmail(claims.email);
  const sameEmail = await em.findOne(User, { email });
  if (sameEmail) {
    if (!options.linkVerifiedEmail || claims.email_verified !== true || sameEmail.oidcSubject !== null) return { ok: false, reason: 'email_conflict' };
    Object.assign(sameEmail, identity, { lastLoginAt: now });
    await em.flush();
    return { ok: true, user: sameEmail, created: false };
  }

  const displayName = [claims.name, claims.preferred_username].find((v): v is string => typeof v === 'string' && v.trim() !== '')?.trim();
  // Created in a fork: two first requests racing each other must not leave a failed insert in the caller's
  // unit of work. The loser of the race finds the winner's row below.
  const fork = em.fork();
  let created = false;
  try {
    const user = fork.create(User, {
      email,
      displayName: (displayName ?? email.split('@')[0] ?? email).slice(0, 256),
      passwordHash: null,
      role: 'user',
      ...identity,
      lastLoginAt: now,
    });
    await fork.persist(user).flush();
    created = true;
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
  }
  const user = await em.findOne(User, identity);
  if (!user) return { ok: false, reason: 'email_conflict' };
  return { ok: true, user, created };
}
