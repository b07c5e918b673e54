// Signing in through the identity provider in real Chromium: the sign-in page offers the provider, the button
// goes there and back (authorization code + PKCE, finished by our API), and the person lands signed in on the
// page they wanted, with an account made from their ID token. A refused sign-in is explained on the page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { TestProduct } from './support/product.ts';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider.ts';
import { assertAccessibleControls, launchChromium, openPage, screenshot, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;
let idp: IdentityProvider;

before(async () => {
  idp = await startIdentityProvider();
  [product, browser] = await Promise.all([
    startWebProduct('weboidc', { worker: false, env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: 'meeting-recorder-api', OIDC_CLIENT_ID: idp.clientId } }),
    launchChromium(),
  ]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
  await idp?.close();
});

test('the sign-in page sends people to the identity provider and back, signed in where they wanted to go', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/recordings');
  const button = page.getByRole('link', { name: `Sign in with ${new URL(idp.issuer).host}` });
  await button.waitFor();
  await assertAccessibleControls(page, 'sign-in with a provider');
  await screenshot(page, '60-sign-in-with-provider');
  await button.click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/recordings');
  await page.getByRole('heading', { name: 'Recordings' }).waitFor();
  assert.equal(await page.locator('.who .muted').innerText(), 'Ada Lovelace');
  assert.deepEqual(errors, []);

  // Someone the provider vouches for without an email cannot get an account: the page says why.
  await page.getByRole('button', { name: 'Sign out' }).click();
  idp.person = { sub: 'anonymous-coward', name: 'No Email' };
  await page.getByRole('link', { name: /^Sign in with / }).click();
  await page.getByRole('alert').filter({ hasText: 'did not share your email' }).waitFor();
  await screenshot(page, '61-sign-in-provider-refused');
});
