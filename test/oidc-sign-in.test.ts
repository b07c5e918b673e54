// Browser sign-in through an OpenID Connect provider, as a browser would walk it (every redirect followed by
// hand): our start → the provider's authorization endpoint → our callback → signed in with our own session
// cookie, back on the page it started from. Then what must fail: no flow cookie, a forged state, a
// tampered flow cookie, a PKCE verifier the provider refuses, an ID token without the email an account
// needs, and a `next` that points off-site.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider.ts';
import { User } from '../auth/entities.ts';

const cookiePairs = (headers: Headers) => headers.getSetCookie().map((c) => c.split(';')[0]!);

describe('signing in through the OIDC provider (authorization code + PKCE)', { timeout: 120_000 }, () => {
  let product: TestProduct;
  let idp: IdentityProvider;

  before(async () => {
    idp = await startIdentityProvider();
    product = await startTestProduct({
      name: 'oidcsignin',
      worker: false,
      env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: 'meeting-recorder-api', OIDC_CLIENT_ID: idp.clientId, LOGIN_RATE_LIMIT_PER_MINUTE: '1000' },
    });
  });
  after(async () => {
    await product?.stop();
    await idp?.close();
  });

  /** Our start, then the provider; returns our callback URL and the flow cookie. */
  async function throughProvider(next = '/recordings'): Promise<{ callback: string; flowCookie: string }> {
    const start = await fetch(`${product.url}/v1/auth/oidc/start?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const authorize = new URL(start.headers.get('location')!);
    assert.equal(authorize.origin, idp.issuer);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('redirect_uri'), `${product.config.api.publicUrl}/v1/auth/oidc/callback`);
    const flowCookie = cookiePairs(start.headers).find((c) => c.startsWith('mr_oidc_flow='))!;
    assert.ok(flowCookie, 'a flow cookie');
    assert.match(start.headers.getSetCookie().join(), /mr_oidc_flow=[^;]+; Path=\/v1\/auth\/oidc; Max-Age=600; HttpOnly; SameSite=Lax/);
    const back = await fetch(authorize, { redirect: 'manual' });
    assert.equal(back.status, 302);
    const callback = new URL(back.headers.get('location')!);
    // Our product answers on its own port; the public URL names the configured one (the same here).
    return { callback: `${product.url}${callback.pathname}${callback.search}`, flowCookie };
  }

  it('signs in: our session cookie, the account made from the ID token, back where it started', async () => {
    assert.equal((await product.as({})('GET', '/v1/auth/config')).body.oidc.signInUrl, '/v1/auth/oidc/start');
    const { callback, flowCookie } = await throughProvider('/recordings?page=2');
    const done = await fetch(callback, { redirect: 'manual', headers: { cookie: flowCookie } });
    assert.equal(done.status, 302);
    assert.equal(done.headers.get('location'), '/recordings?page=2');
    const session = cookiePairs(done.headers).find((c) => c.startsWith('mr_session='));
    assert.ok(session, 'a session cookie');
    assert.match(done.headers.getSetCookie().join(), /mr_oidc_flow=; Path=\/v1\/auth\/oidc; Max-Age=0/);
    const me = await product.as({ cookie: session })('GET', '/v1/auth/me');
    assert.equal(me.status, 200);
    assert.deepEqual([me.body.user.email, me.body.user.displayName, me.body.via], ['ada@example.com', 'Ada Lovelace', 'session']);
    const user = await product.services.db.em.fork().findOneOrFail(User, { email: 'ada@example.com' });
    assert.deepEqual([user.oidcIssuer, user.oidcSubject, user.passwordHash ?? null], [idp.issuer, 'ada-lovelace', null]);

    // The same code cannot be used twice.
    const replay = await fetch(callback, { redirect: 'manual', headers: { cookie: flowCookie } });
    assert.equal(replay.headers.get('location'), '/signin?error=oidc_provider_error');
    assert.ok(idp.refusals.includes('unknown or used code'));
  });

  it('refuses a callback without its flow cookie, with a forged state, or with a tampered cookie', async () => {
    const { callback, flowCookie } = await throughProvider();
    const noCookie = await fetch(callback, { redirect: 'manual' });
    assert.equal(noCookie.headers.get('location'), '/signin?error=oidc_flow_missing');
    assert.ok(!cookiePairs(noCookie.headers).some((c) => c.startsWith('mr_session=')), 'no session');

    const forged = new URL(callback);
    forged.searchParams.set('state', 'someone-elses-state');
    assert.equal((await fetch(forged, { redirect: 'manual', headers: { cookie: flowCookie } })).headers.get('location'), '/signin?error=oidc_flow_mismatch');

    const [value, signature] = flowCookie.slice('mr_oidc_flow='.length).split('.');
    const payload = JSON.parse(Buffer.from(value!, 'base64url').toString());
    const tampered = `mr_oidc_flow=${Buffer.from(JSON.stringify({ ...payload, next: '/admin/users' })).toString('base64url')}.${signature}`;
    assert.equal((await fetch(callback, { redirect: 'manual', headers: { cookie: tampered } })).headers.get('location'), '/signin?error=oidc_flow_missing');
  });

  it('sends a provider refusal and an ID token without an email to the sign-in page; never redirects off-site', async () => {
    // The provider refuses a code redeemed with another flow's PKCE verifier.
    const first = await throughProvider();
    const second = await throughProvider();
    const crossed = new URL(first.callback);
    crossed.searchParams.set('state', new URL(second.callback).searchParams.get('state')!);
    assert.equal((await fetch(crossed, { redirect: 'manual', headers: { cookie: second.flowCookie } })).headers.get('location'), '/signin?error=oidc_provider_error');
    assert.ok(idp.refusals.includes('PKCE verifier does not match'));

    idp.person = { sub: 'no-email', name: 'Nobody' };
    const noEmail = await throughProvider();
    assert.equal((await fetch(noEmail.callback, { redirect: 'manual', headers: { cookie: noEmail.flowCookie } })).headers.get('location'), '/signin?error=oidc_email_missing');

    idp.person = { sub: 'grace', email: 'grace@example.com', name: 'Grace' };
    for (const next of ['//evil.example.com/x', 'https://evil.example.com/', '/\\evil.example.com']) {
      const flow = await throughProvider(next);
      const done = await fetch(flow.callback, { redirect: 'manual', headers: { cookie: flow.flowCookie } });
      assert.equal(done.headers.get('location'), '/', next);
    }
  });
});

describe('when the OIDC provider cannot be reached', { timeout: 60_000 }, () => {
  let product: TestProduct;

  before(async () => {
    // A port nobody listens on: discovery and keys cannot be fetched.
    const idp = await startIdentityProvider();
    const issuer = idp.issuer;
    await idp.close();
    product = await startTestProduct({ name: 'oidcdown', worker: false, env: { OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'meeting-recorder-api', OIDC_CLIENT_ID: 'web' } });
  });
  after(() => product?.stop());

  it('answers 503 oidc_unavailable (not 401: the caller did nothing wrong), and local accounts still work', async () => {
    const start = await product.as({})('GET', '/v1/auth/oidc/start?next=/');
    assert.equal(start.status, 503);
    assert.equal(start.body.error.code, 'oidc_unavailable');
    const bearer = await product.as({ authorization: 'Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.c2ln' })('GET', '/v1/auth/me');
    assert.equal(bearer.status, 503);
    assert.equal(bearer.body.error.code, 'oidc_unavailable');
    assert.equal((await product.request('GET', '/v1/auth/me')).status, 200, 'an API key still works');
  });
});
