// Signing in through the OpenID Connect provider from a browser: the authorization code flow with PKCE,
// finished on the server, which turns the provider's ID token into one of our session cookies. The browser
// never holds a provider token. What the round trip needs to remember (state, nonce, PKCE verifier, where to
// return) travels in a short-lived, HMAC-signed, HttpOnly cookie, so any API process can finish it.
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { createOidcVerifier, discoverProvider, type OidcVerifier } from './oidc.ts';

export interface OidcSignInOptions {
  issuer: string;
  clientId: string;
  /** Confidential clients; public clients rely on PKCE alone. */
  clientSecret?: string;
  /** `<PUBLIC_URL>/v1/auth/oidc/callback`, registered at the provider. */
  redirectUri: string;
  appSecret: string;
  clockSkewSeconds?: number;
  httpTimeoutMs?: number;
}

interface ProviderEndpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

export const OIDC_FLOW_COOKIE = 'mr_oidc_flow';
const FLOW_TTL_SECONDS = 600;

interface FlowState {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  exp: number;
}

export type OidcSignInFailure = 'flow_missing' | 'flow_mismatch' | 'flow_expired' | 'provider_error' | 'token_rejected';

export class OidcSignInError extends Error {
  readonly reason: OidcSignInFailure;
  constructor(reason: OidcSignInFailure, message: string) {
    super(message);
    this.name = 'OidcSignInError';
    this.reason = reason;
  }
}

/** Only same-site paths: never an open redirect to someone else's site. */
export function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next.slice(0, 1024) : '/';
}

export class OidcSignIn {
  readonly #options: OidcSignInOptions;
  readonly #key: Buffer;
  #endpoints: Promise<ProviderEndpoints> | undefined;
  #idTokens: OidcVerifier | undefined;

  constructor(options: OidcSignInOptions) {
    this.#options = options;
    this.#key = Buffer.from(hkdfSync('sha256', options.appSecret, 'meeting-recorder', 'oidc-sign-in/v1', 32));
  }

  async #discover(): Promise<ProviderEndpoints> {
    this.#endpoints ??= discoverProvider(this.#options.issuer, this.#options.httpTimeoutMs).then((document) => {
      const { authorization_endpoint, token_endpoint, jwks_uri } = document;
      if (!authorization_endpoint || !token_endpoint) throw new Error(`OIDC discovery: ${this.#options.issuer} names no authorization or token endpoint`);
      return { authorization_endpoint, token_endpoint, jwks_uri };
    }).catch((error: unknown) => {
      // A failed discovery is retried by the next sign-in rather than remembered.
      this.#endpoints = undefined;
      throw error;
    });
    return this.#endpoints;
  }

  /** Where to send the browser, and the flow cookie to set on that answer. */
  async start(next: string | undefined, now = Date.now()): Promise<{ location: string; cookie: string }> {
    const endpoints = await this.#discover();
    const flow: FlowState = {
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
      verifier: randomBytes(32).toString('base64url'),
      next: safeNext(next),
      exp: Math.floor(now / 1000) + FLOW_TTL_SECONDS,
    };
    const url = new URL(endpoints.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.#options.clientId,
      redirect_uri: this.#options.redirectUri,
      scope: 'openid email profile',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { location: url.toString(), cookie: this.#cookie(this.#seal(flow), FLOW_TTL_SECONDS) };
  }

  /** The cookie that ends the flow (sent with the callback's answer, whatever happened). */
  clearCookie(): string {
    return this.#cookie('', 0);
  }

  /** Checks the callback against the flow cookie, redeems the code, verifies the ID token; returns its claims and where to go. */
  async finish(input: { code?: string; state?: string; error?: string; flowCookie: string | undefined }, now = Date.now()): Promise<{ claims: JWTPayload & { iss: string; sub: string }; next: string }> {
    const flow = input.flowCookie ? this.#open(input.flowCookie) : null;
    if (!flow) throw new OidcSignInError('flow_missing', 'The sign-in was not started here, or its cookie was lost; start again.');
    if (flow.exp * 1000 < now) throw new OidcSignInError('flow_expired', 'The sign-in took too long; start again.');
    if (!input.state || !safeEqual(input.state, flow.state)) throw new OidcSignInError('flow_mismatch', 'The answer from the identity provider does not belong to this sign-in.');
    if (input.error) throw new OidcSignInError('provider_error', `The identity provider refused the sign-in (${input.error.slice(0, 100)}).`);
    if (!input.code) throw new OidcSignInError('provider_error', 'The identity provider sent no code.');

    const endpoints = await this.#discover();
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: this.#options.redirectUri,
      client_id: this.#options.clientId,
      code_verifier: flow.verifier,
      ...(this.#options.clientSecret ? { client_secret: this.#options.clientSecret } : {}),
    });
    const response = await fetch(endpoints.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(this.#options.httpTimeoutMs ?? 5000),
      redirect: 'error',
    });
    if (!response.ok) throw new OidcSignInError('provider_error', `The identity provider's token endpoint answered ${response.status}.`);
    const tokens = (await response.json()) as { id_token?: unknown };
    if (typeof tokens.id_token !== 'string') throw new OidcSignInError('provider_error', 'The identity provider returned no ID token.');

    this.#idTokens ??= createOidcVerifier({ issuer: this.#options.issuer, audience: this.#options.clientId, jwksUri: endpoints.jwks_uri, clockSkewSeconds: this.#options.clockSkewSeconds });
    const verified = await this.#idTokens.verify(tokens.id_token, new Date(now));
    if (!verified.ok) throw new OidcSignInError('token_rejected', `The ID token was refused (${verified.reason}).`);
    if (verified.claims.nonce !== flow.nonce) throw new OidcSignInError('token_rejected', 'The ID token was not issued for this sign-in (nonce).');
    return { claims: verified.claims, next: flow.next };
  }

  #seal(flow: FlowState): string {
    const payload = Buffer.from(JSON.stringify(flow)).toString('base64url');
    return `${payload}.${createHmac('sha256', this.#key).update(payload).digest('base64url')}`;
  }

  #open(value: string): FlowState | null {
    const [payload, signature] = value.split('.');
    if (!payload || !signature) return null;
    if (!safeEqual(signature, createHmac('sha256', this.#key).update(payload).digest('base64url'))) return null;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as FlowState;
    } catch {
      return null;
    }
  }

  #cookie(value: string, maxAge: number): string {
    const secure = new URL(this.#options.redirectUri).protocol === 'https:';
    // Lax: the browser sends it on the provider's top-level redirect back to us, and on nothing cross-site else.
    return `${OIDC_FLOW_COOKIE}=${value}; Path=/v1/auth/oidc; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
