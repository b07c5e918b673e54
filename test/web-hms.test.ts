// The web app on 100ms in real Chromium, against the real product running 100ms beside Daily (the 100ms simulator
// driven from the page, as in the embedded mode): the 100ms room's page joins its meeting with the app token from
// our API (the owner's host role), the recording indicator turns on when the meeting workflow starts the beam (once
// a second person joins), and leaving ends the call and leads to its transcript: the composite's mixed audio, one
// speaker, the room.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webhms', { hms: true }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('a 100ms room: its page joins the call, shows recording when it starts, and leaving leads to the transcript', { timeout: 360_000 }, async () => {
  const name = uniqueName('hms').replace(/^hms/, 'hms-');
  assert.equal((await product.request('POST', '/v1/rooms', { name, platform: '100ms', recordingTrigger: 'automatic-2nd-participant' })).status, 201);
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/signin');
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await page.goto(`/${name}`);
  await page.getByText('Its meetings are held on 100ms.').waitFor();

  await page.getByLabel('Your name').fill('Ada');
  const joinAnswer = page.waitForResponse((r) => r.url().endsWith('/join') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Join meeting' }).click();
  const join = await (await joinAnswer).json();
  assert.equal(join.meeting.platform, '100ms');
  const roomId = join.meeting.platformRoomName as string;
  await page.getByRole('heading', { name: 'This meeting is recorded' }).waitFor();
  await page.getByRole('button', { name: 'Keep the audio' }).click();
  await page.getByText('this call runs in the built-in 100ms simulator').waitFor();
  const ada = page.getByRole('listitem', { name: 'Ada (you)' });
  await ada.waitFor();
  const present = async () => (await product.hms!.state()).rooms.find((r) => r.id === roomId)?.present ?? [];
  // Joined with our app token: the owner's host role, the name typed.
  assert.deepEqual((await present()).map((p) => [p.name, p.role]), [['Ada', 'host']]);

  await page.locator('.recording-indicator[data-status="waiting-for-participant"]').waitFor({ timeout: 30_000 });
  await page.getByLabel('Add a participant').fill('Grace');
  await page.getByRole('button', { name: 'Add to the call' }).click();
  const grace = page.getByRole('listitem', { name: 'Grace' });
  await grace.waitFor();
  assert.deepEqual((await present()).map((p) => [p.name, p.role]).sort(), [['Ada', 'host'], ['Grace', 'guest']]);
  await page.locator('.recording-indicator[data-status="recording"]').waitFor({ timeout: 60_000 });
  // The beam starts a moment after it is asked for: speech waits until it runs.
  const beamRuns = async () => (await product.hms!.state()).recordings.some((r) => r.roomId === roomId && r.status === 'running');
  for (const deadline = Date.now() + 30_000; !(await beamRuns()); await page.waitForTimeout(250)) if (Date.now() > deadline) throw new Error('the beam did not run');

  await grace.getByLabel('Sentence for Grace to say').fill('Thank you Ada. The budget is on track and we will hire two engineers.');
  await grace.getByRole('button', { name: 'Say it' }).click();
  await page.getByText(/Grace said "Thank you Ada/).waitFor({ timeout: 30_000 });
  await screenshot(page, '80-hms-call-recording');
  await page.waitForTimeout(7000);
  await ada.getByRole('button', { name: 'Leave (ends the call)' }).click();
  await page.getByRole('heading', { name: 'You left the call' }).waitFor();
  assert.deepEqual(await present(), []);
  const follow = page.getByRole('link', { name: /transcript/i });
  await follow.waitFor({ timeout: 180_000 });
  await follow.click();
  await page.locator('.badge-ended').waitFor({ timeout: 180_000 });
  const speakers = new Set(await page.locator('.turn-speaker').allInnerTexts());
  assert.deepEqual([...speakers], [`Room ${name}`], 'one speaker, the whole room');
  assert.match((await page.locator('ol.turns').innerText()).toLowerCase(), /two engineers/);
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});

test('the page reaches only what peers do in the 100ms simulator, on its own origin', async () => {
  const config = await (await fetch(`${product.url}/app-config.json`)).json();
  assert.deepEqual(config, { calls: { daily: { simulatorControlPath: '/_sim' }, '100ms': { simulatorControlPath: '/_sim/100ms' } } });
  const state = await fetch(`${product.url}/_sim/100ms/state`);
  assert.equal(state.status, 200);
  assert.ok(Array.isArray((await state.json()).rooms));
  // Faults, the clock, the webhook and link lifetimes are the operator's, not the page's.
  for (const [method, path] of [['PUT', '/faults'], ['POST', '/clock/advance'], ['PUT', '/webhook'], ['PUT', '/presigned-url-ttl'], ['GET', '/webhook-deliveries']] as const) {
    const refused = await fetch(`${product.url}/_sim/100ms${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    assert.equal(refused.status, 404, `${method} ${path}`);
  }
});
