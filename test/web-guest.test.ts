// People without an account in real Chromium: a guest opens a room's address, joins under their name, answers
// the consent question (tied to their meeting token) and is in the simulated call — no sign-in. A room that
// admits only signed-in people sends them to sign in, and signing in brings them back to the room.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { assertAccessibleControls, launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';
import { MeetingConsent } from '../db/entities.ts';

let product: TestProduct;
let browser: Browser;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webguest'), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('a guest joins a room by its address, answers the consent question and is in the call', { timeout: 120_000 }, async () => {
  const roomName = uniqueName('open').replace(/^open/, 'open-');
  assert.equal((await product.request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'none', allowAnonymous: true })).status, 201);

  const guest = await openPage(browser, product.url);
  await guest.page.goto(`/${roomName}`);
  await guest.page.getByRole('heading', { name: roomName }).waitFor();
  await guest.page.getByText('You are joining as a guest').waitFor();
  assert.equal(await guest.page.getByRole('link', { name: 'Room settings' }).count(), 0, 'no settings for a guest');
  await assertAccessibleControls(guest.page, 'guest lobby');
  await screenshot(guest.page, '50-guest-lobby');
  await guest.page.getByLabel('Your name').fill('Linus');
  await guest.page.getByRole('button', { name: 'Join meeting' }).click();
  await guest.page.getByRole('heading', { name: 'This meeting is recorded' }).waitFor();
  await guest.page.getByRole('button', { name: 'Delete the audio after transcription' }).click();
  await guest.page.getByRole('listitem', { name: 'Linus (you)' }).waitFor();
  await screenshot(guest.page, '51-guest-in-call');

  // The answer is stored against the guest's meeting token (a participant key), not an account.
  const consents = await product.services.db.em.fork().find(MeetingConsent, {});
  assert.equal(consents.length, 1);
  assert.equal(consents[0]!.consentGiven, false);
  assert.match(consents[0]!.participantKey, /^p_/);
  assert.deepEqual(guest.errors, []);
  await guest.context.close();
});

test('a room for signed-in people only sends a guest to sign in, and back to the room after', { timeout: 120_000 }, async () => {
  const roomName = uniqueName('team').replace(/^team/, 'team-');
  assert.equal((await product.request('POST', '/v1/rooms', { name: roomName, allowAnonymous: false, recordingTrigger: 'none' })).status, 201);

  const visitor = await openPage(browser, product.url);
  await visitor.page.goto(`/${roomName}`);
  await visitor.page.getByText('open to signed-in people only').waitFor();
  await screenshot(visitor.page, '52-guest-not-admitted');
  await visitor.page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
  await signIn(visitor.page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await visitor.page.getByRole('heading', { name: roomName }).waitFor();
  await visitor.page.getByRole('button', { name: 'Join meeting' }).waitFor();
  assert.equal(new URL(visitor.page.url()).pathname, `/${roomName}`);
  await visitor.context.close();
});
