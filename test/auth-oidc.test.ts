// Bearer JWTs from an OpenID Connect provider, played by a local node:http server publishing a real JWKS
// (RSA and EC keys made by jose), verified and mapped to users in a real PGlite database.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { MikroORM } from '@mikro-orm/pglite';
import { authEntities, User } from '../auth/entities.ts';
import { createOidcVerifier, userForOidcClaims, type OidcVerifier } from '../auth/oidc.ts';

async function openAuthDatabase(): Promise<MikroORM> {
  const orm = await MikroORM.init({ entities: authEntities, debug: false });
  await orm.schema.create();
  return orm;
}

interface Provider {
  issuer: string;
  jwksUri: string;
  requests: string[];
  server: Server;
}

async function startProvider(publicJwks: object[]): Promise<Provider> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: provider.issuer, jwks_uri: provider.jwksUri }));
    } else if (req.url === '/jwks') {
      res.end(JSON.stringify({ keys: publicJwks }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider: Provider = { issuer, jwksUri: `${issuer}/jwks`, requests, server };
  return provider;
}

const AUDIENCE = 'meeting-recorder-api';
const now = () => Math.floor(Date.now() / 1000);

describe('OIDC bearer tokens', () => {
  let orm: MikroORM;
  let provider: Provider;
  let verifier: OidcVerifier;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };

  before(async () => {
    orm = await openAuthDatabase();
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    stranger = await generateKeyPair('RS256', { extractable: true });
    provider = await startProvider([
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ]);
    verifier = createOidcVerifier({ issuer: provider.issuer, audience: AUDIENCE, jwksUri: provider.jwksUri, clockSkewSeconds: 60 });
  });
  after(async () => {
    await orm?.close();
    provider?.server.close();
  });

  function token(claims: JWTPayload, options: { key?: CryptoKey; alg?: string; kid?: string } = {}): Promise<string> {
    const alg = options.alg ?? 'RS256';
    const defaults = { iss: provider.issuer, aud: AUDIENCE, sub: 'alan', iat: now(), exp: now() + 300, email: 'alan@example.com', name: 'Alan Turing' };
    return new SignJWT({ ...defaults, ...claims })
      .setProtectedHeader({ alg, kid: options.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1'), typ: 'JWT' })
      .sign(options.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey));
  }

  async function reason(jwt: string, on: OidcVerifier = verifier): Promise<string> {
    const result = await on.verify(jwt);
    return result.ok ? 'ok' : result.reason;
  }

  it('verifies a valid RS256 token, creates the user on first sight, then finds the same one', async () => {
    const verified = await verifier.verify(await token({ email: 'Alan@Example.com' }));
    assert.ok(verified.ok, JSON.stringify(verified));
    const first = await userForOidcClaims(orm.em.fork(), verified.claims);
    assert.ok(first.ok);
    assert.equal(first.created, true);
    assert.equal(first.user.email, 'alan@example.com');
    assert.equal(first.user.displayName, 'Alan Turing');
    assert.equal(first.user.role, 'user');
    assert.equal(first.user.passwordHash, null);
    assert.deepEqual([first.user.oidcIssuer, first.user.oidcSubject], [provider.issuer, 'alan']);

    const again = await verifier.verify(await token({ name: 'Renamed At The Provider' }));
    assert.ok(again.ok);
    const second = await userForOidcClaims(orm.em.fork(), again.claims);
    assert.ok(second.ok);
    assert.equal(second.created, false);
    assert.equal(second.user.id, first.user.id);
    assert.equal(second.user.displayName, 'Alan Turing');
    assert.equal(await orm.em.fork().count(User, { oidcSubject: 'alan' }), 1);
  });

  it('verifies an ES256 token', async () => {
    assert.equal(await reason(await token({ sub: 'ec-user' }, { alg: 'ES256' })), 'ok');
  });

  it('finds the key set through discovery when no JWKS URL is given', async () => {
    const discovering = createOidcVerifier({ issuer: provider.issuer, audience: [AUDIENCE, 'other'] });
    assert.equal(await reason(await token({}), discovering), 'ok');
    assert.ok(provider.requests.includes('/.well-known/openid-configuration'));
  });

  it('refuses a token from another issuer or for another audience', async () => {
    assert.equal(await reason(await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer('https://evil.example').setAudience(AUDIENCE).setSubject('alan').setExpirationTime(now() + 300).sign(rsa.privateKey)), 'wrong_issuer');
    assert.equal(await reason(await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer(provider.issuer).setAudience('another-api').setSubject('alan').setExpirationTime(now() + 300).sign(rsa.privateKey)), 'wrong_audience');
  });

  it('accepts an expiry within the clock skew, refuses one beyond it', async () => {
    assert.equal(await reason(await token({ exp: now() - 30 })), 'ok');
    assert.equal(await reason(await token({ exp: now() - 120 })), 'expired');
  });

  it('refuses a token that is not valid yet', async () => {
    assert.equal(await reason(await token({ nbf: now() + 30 })), 'ok');
    assert.equal(await reason(await token({ nbf: now() + 600 })), 'not_yet_valid');
  });

  it('refuses a bad signature and a key id the provider does not publish', async () => {
    assert.equal(await reason(await token({}, { key: stranger.privateKey, kid: 'rsa-1' })), 'bad_signature');
    assert.equal(await reason(await token({}, { key: stranger.privateKey, kid: 'unknown-kid' })), 'unknown_key');
    const [header, payload, signature] = (await token({})).split('.');
    const otherPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'admin' })).toString('base64url');
    assert.equal(await reason(`${header}.${otherPayload}.${signature}`), 'bad_signature');
  });

  it('refuses alg none, and HS256 keyed with the public key', async () => {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { iss: provider.issuer, aud: AUDIENCE, sub: 'alan', exp: now() + 300 };
    assert.equal(await reason(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`), 'algorithm_not_allowed');
    assert.equal(await reason(`${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(claims)}.`), 'algorithm_not_allowed');
    const publicPem = new TextEncoder().encode(JSON.stringify(await exportJWK(rsa.publicKey)));
    const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(publicPem);
    assert.equal(await reason(confused), 'algorithm_not_allowed');
    assert.throws(() => createOidcVerifier({ issuer: provider.issuer, audience: AUDIENCE, algorithms: ['HS256' as 'RS256'] }), /Unsupported OIDC algorithm/);
  });

  it('refuses a token without a subject or an expiry, and junk', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer(provider.issuer).setAudience(AUDIENCE).setSubject('alan').sign(rsa.privateKey);
    assert.equal(await reason(noExp), 'missing_claim');
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer(provider.issuer).setAudience(AUDIENCE).setExpirationTime(now() + 60).sign(rsa.privateKey);
    assert.equal(await reason(noSub), 'missing_claim');
    assert.equal(await reason('not.a.jwt'), 'malformed');
    assert.equal(await reason('garbage'), 'malformed');
  });

  it('says the provider is unavailable when its keys cannot be fetched', async () => {
    const down = await startProvider([]);
    down.server.close();
    const unreachable = createOidcVerifier({ issuer: down.issuer, audience: AUDIENCE, httpTimeoutMs: 2000 });
    assert.equal(await reason(await token({}), unreachable), 'provider_unavailable');
  });

  it('will not create a user without an email, nor take over another account\'s email', async () => {
    const noEmail = await verifier.verify(await token({ sub: 'no-email', email: undefined }));
    assert.ok(noEmail.ok);
    assert.deepEqual(await userForOidcClaims(orm.em.fork(), noEmail.claims), { ok: false, reason: 'email_missing' });

    const em = orm.em.fork();
    em.create(User, { email: 'local@example.com', displayName: 'Local', passwordHash: null, oidcIssuer: null, oidcSubject: null, lastLoginAt: null });
    await em.flush();
    const sameEmail = await verifier.verify(await token({ sub: 'claims-local', email: 'LOCAL@example.com', email_verified: true }));
    assert.ok(sameEmail.ok);
    assert.deepEqual(await userForOidcClaims(orm.em.fork(), sameEmail.claims), { ok: false, reason: 'email_conflict' });

    // Opt-in linking, only for a verified email.
    const unverified = await verifier.verify(await token({ sub: 'claims-local', email: 'local@example.com', email_verified: false }));
    assert.ok(unverified.ok);
    assert.deepEqual(await userForOidcClaims(orm.em.fork(), unverified.claims, { linkVerifiedEmail: true }), { ok: false, reason: 'email_conflict' });
    const linked = await userForOidcClaims(orm.em.fork(), sameEmail.claims, { linkVerifiedEmail: true });
    assert.ok(linked.ok);
    assert.equal(linked.user.email, 'local@example.com');
    assert.equal(linked.user.oidcSubject, 'claims-local');
  });

  it('creates the user once when first requests race', async () => {
    const verified = await verifier.verify(await token({ sub: 'racer', email: 'racer@example.com' }));
    assert.ok(verified.ok);
    const results = await Promise.all([1, 2, 3].map(() => userForOidcClaims(orm.em.fork(), verified.claims)));
    assert.ok(results.every((r) => r.ok));
    assert.equal(new Set(results.map((r) => r.ok && r.user.id)).size, 1);
    assert.equal(await orm.em.fork().count(User, { oidcSubject: 'racer' }), 1);
  });
});
