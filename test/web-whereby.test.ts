// The web app on Whereby in real Chromium, against the real product running Whereby beside Daily (the Whereby
// simulator driven from the page, as in the embedded mode): the room's owner opens the meeting with the host link
// our join answers, a simulated guest with the room URL; the page never asks our API to record (Whereby's recorder
// joins by the room's trigger), its indicator follows the recorder, and leaving ends the call and leads to the
// transcript of the composite Whereby wrote into our storage: one speaker, the room.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { assertAccessibleControls, launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webwhereby', { whereby: true }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('a Whereby room: its page joins with the host link, shows the recorder, and leaving leads to the transcript', { timeout: 360_000 }, async () => {
  const name = uniqueName('wb').replace(/^wb/, 'wb-');
  assert.equal((await product.request('POST', '/v1/rooms', { name, platform: 'whereby', recordingTrigger: 'automatic-2nd-participant' })).status, 201);
  const { page, errors } = await openPage(browser, product.url);
  const asked: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/recordings\/(start|stop)$/.test(request.url())) asked.push(request.url());
  });
  await page.goto('/signin');
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await page.goto(`/${name}`);
  await page.getByText('Its meetings are held on Whereby.').waitFor();

  await page.getByLabel('Your name').fill('Ada');
  const joinAnswer = page.waitForResponse((r) => r.url().endsWith('/join') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Join meeting' }).click();
  const join = await (await joinAnswer).json();
  assert.equal(join.meeting.platform, 'whereby');
  assert.equal(join.roomUrl, join.meeting.hostRoomUrl, 'the owner opens the host link');
  const roomName = join.meeting.platformRoomName as string;
  await page.getByRole('heading', { name: 'This meeting is recorded' }).waitFor();
  await page.getByRole('button', { name: 'Keep the audio' }).click();
  await page.getByText('this call runs in the built-in Whereby simulator').waitFor();
  await page.getByText('Whereby records this call by itself').waitFor();
  const ada = page.getByRole('listitem', { name: 'Ada (you)' });
  await ada.waitFor();
  const present = async () => (await product.whereby!.state()).meetings.find((m) => m.roomName === roomName)?.present ?? [];
  assert.deepEqual((await present()).map((p) => [p.displayName, p.roleName]), [['Ada', 'host']]);
  assert.equal(await page.getByRole('button', { name: /Start recording/ }).count(), 0, 'no control the platform would not honour');

  await page.getByLabel('Add a participant').fill('Grace');
  await page.getByRole('button', { name: 'Add to the call' }).click();
  const grace = page.getByRole('listitem', { name: 'Grace' });
  await grace.waitFor();
  // The second person starts Whereby's recorder (the room's trigger): the indicator follows it.
  await page.locator('.recording-indicator[data-status="recording"]').waitFor({ timeout: 30_000 });
  assert.deepEqual((await present()).map((p) => [p.displayName, p.roleName]).sort(), [['Ada', 'host'], ['Grace', 'visitor'], ['Recorder', 'recorder']]);
  await assertAccessibleControls(page, 'the Whereby call');

  await grace.getByLabel('Sentence for Grace to say').fill('Thank you Ada. The budget is on track and we will hire two engineers.');
  await grace.getByRole('button', { name: 'Say it' }).click();
  await page.getByText(/Grace said "Thank you Ada/).waitFor({ timeout: 30_000 });
  await screenshot(page, '81-whereby-call-recording');
  await page.waitForTimeout(7000);
  await ada.getByRole('button', { name: 'Leave (ends the call)' }).click();
  await page.getByRole('heading', { name: 'You left the call' }).waitFor();
  const follow = page.getByRole('link', { name: /transcript/i });
  await follow.waitFor({ timeout: 180_000 });
  assert.deepEqual(await present(), [], 'everyone left, the recorder too');
  await follow.click();
  await page.locator('.badge-ended').waitFor({ timeout: 180_000 });
  const speakers = new Set(await page.locator('.turn-speaker').allInnerTexts());
  assert.deepEqual([...speakers], [`Room ${name}`], 'one speaker, the whole room');
  assert.match((await page.locator('ol.turns').innerText()).toLowerCase(), /two engineers/);
  assert.deepEqual(asked, [], 'the page never asked our API to record');
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});

test('the page reaches only what participants do in the Whereby simulator, on its own origin', async () => {
  const config = await (await fetch(`${product.url}/app-config.json`)).json();
  assert.deepEqual(config, { calls: { daily: { simulatorControlPath: '/_sim' }, whereby: { simulatorControlPath: '/_sim/whereby' } } });
  const state = await fetch(`${product.url}/_sim/whereby/state`);
  assert.equal(state.status, 200);
  assert.ok(Array.isArray((await state.json()).meetings));
  // Faults, the clock, webhooks and the embed's host controls are not the page's.
  for (const [method, path] of [['PUT', '/faults'], ['POST', '/clock/advance'], ['PUT', '/webhooks'], ['GET', '/webhook-deliveries'], ['POST', '/participants/x/recording/start']] as const) {
    const refused = await fetch(`${product.url}/_sim/whereby${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    assert.equal(refused.status, 404, `${method} ${path}`);
    assert.match((await refused.json()).error, /is not open to the page/);
  }
  // A simulator not run here is nobody's: its path is not handed to the Daily simulator.
  assert.equal((await fetch(`${product.url}/_sim/livekit/state`)).status, 404);
});
