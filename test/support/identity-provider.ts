// A small OpenID Connect provider over HTTP, for tests: discovery, a JWKS with a real RSA key, an
// authorization endpoint that signs in a fixed person at once (a page with a "Continue" button would only
// add a click), and a token endpoint that checks the code, client, redirect URI and PKCE verifier as a
// provider must, and answers a signed ID token carrying the request's nonce.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export interface Person {
  sub: string;
  email?: string;
  name?: string;
}

export interface IdentityProvider {
  issuer: string;
  clientId: string;
  /** Who the authorization endpoint signs in next. */
  person: Person;
  /** Token requests refused, with why (for assertions). */
  refusals: string[];
  /**
   * A bearer token for the current person (audience defaults to the API's). `issuer` and `key` forge one:
   * another issuer's name, or a key the provider does not publish (under the published key's id).
   */
  sign(claims: Record<string, unknown>, options?: { audience?: string; expiresIn?: string | number; issuer?: string; key?: CryptoKey }): Promise<string>;
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  person: Person;
}

export async function startIdentityProvider(options: { clientId?: string; apiAudience?: string } = {}): Promise<IdentityProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const clientId = options.clientId ?? 'meeting-recorder-web';
  const grants = new Map<string, Grant>();
  const refusals: string[] = [];
  const sign = async (claims: Record<string, unknown>, audience: string, expiresIn: string | number = '5m', forged: { issuer?: string; key?: CryptoKey } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(forged.issuer ?? issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(forged.key ?? privateKey);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, code_challenge_methods_supported: ['S256'] });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      const back = new URL(q.get('redirect_uri') ?? '');
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
        back.searchParams.set('error', 'invalid_request');
      } else {
        const code = randomBytes(16).toString('hex');
        grants.set(code, { clientId, redirectUri: back.toString(), challenge: q.get('code_challenge')!, nonce: q.get('nonce') ?? '', person: provider.person });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(raw);
        const grant = grants.get(form.get('code') ?? '');
        grants.delete(form.get('code') ?? '');
        const refuse = (why: string) => {
          refusals.push(why);
          json(400, { error: 'invalid_grant', error_description: why });
        };
        if (!grant) return refuse('unknown or used code');
        if (form.get('client_id') !== grant.clientId) return refuse('wrong client');
        if (form.get('redirect_uri') !== grant.redirectUri) return refuse('wrong redirect_uri');
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return refuse('PKCE verifier does not match');
        void sign({ sub: grant.person.sub, email: grant.person.email, name: grant.person.name, nonce: grant.nonce }, grant.clientId).then((idToken) =>
          json(200, { token_type: 'Bearer', access_token: randomBytes(16).toString('hex'), id_token: idToken, expires_in: 300 }),
        );
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider: IdentityProvider = {
    issuer,
    clientId,
    person: { sub: 'ada-lovelace', email: 'ada@example.com', name: 'Ada Lovelace' },
    refusals,
    sign: (claims, o = {}) => sign({ sub: provider.person.sub, email: provider.person.email, ...claims }, o.audience ?? options.apiAudience ?? 'meeting-recorder-api', o.expiresIn, o),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return provider;
}
