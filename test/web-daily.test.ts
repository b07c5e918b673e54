// The Daily path of the room page in real Chromium: with Daily configured (no simulator in the page), the
// page loads daily-js, which frames Daily Prebuilt at the room URL from our API and hands it the token from
// our API. Daily is unreachable here, so the Prebuilt frame is a stand-in served by page.route that speaks
// daily-js's frame protocol (ready → launch config → loaded; join-meeting → joined-meeting) and records
// what it was given; it then sends daily-js's recording events, and the page's indicator follows them.
// Our own API is real: the page's recording request on join reaches the meeting workflow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Frame } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { assertAccessibleControls, launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webdaily', { call: 'daily' }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

/** Daily Prebuilt's side of daily-js's postMessage protocol, and nothing else. */
const PREBUILT_STAND_IN = `<!doctype html><html><body><p>Daily Prebuilt (stand-in)</p><script>
  window.received = [];
  const reply = (message) => parent.postMessage({ what: 'iframe-call-message', ...message }, '*');
  window.emit = (action, extra) => reply({ action, callClientId: window.callClientId, ...extra });
  addEventListener('message', (event) => {
    const m = event.data || {};
    window.received.push(m);
    if (m.callClientId) window.callClientId = m.callClientId;
    if (m.action === 'iframe-launch-config') reply({ action: 'loaded', callClientId: m.callClientId });
    if (m.action === 'join-meeting') {
      window.joinProperties = m.properties;
      // Joined once the test has put this participant in the (simulated) Daily room, as Daily would.
      window.completeJoin = () => reply({ action: 'joined-meeting', callbackStamp: m.callbackStamp, callClientId: m.callClientId,
        participants: { local: { session_id: 'prebuilt-local', local: true, user_name: m.properties.userName || '', owner: true, record: false } } });
    }
  });
  reply({ action: 'iframe-ready-for-launch-config' });
</script></body></html>`;

test('with Daily configured, the room page hands daily-js the token and room URL and follows its recording events', { timeout: 180_000 }, async () => {
  const roomName = uniqueName('daily').replace(/^daily/, 'daily-');
  const created = await product.request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'automatic', skipConsent: true });
  assert.equal(created.status, 201);

  const { page, errors } = await openPage(browser, product.url);
  const framed: string[] = [];
  await page.route('https://*.daily.co/**', (route) => {
    framed.push(route.request().url());
    return route.fulfill({ status: 200, contentType: 'text/html', body: PREBUILT_STAND_IN });
  });
  // The host signs in first (a room's address alone would let them in as a guest).
  await page.goto(`/signin?next=${encodeURIComponent(`/${roomName}`)}`);
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await page.getByRole('heading', { name: roomName }).waitFor();
  await page.getByLabel('Your name').fill('Ada');
  const joinAnswer = page.waitForResponse((r) => r.url().endsWith('/join') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Join meeting' }).click();
  const join = await (await joinAnswer).json();
  assert.match(join.roomUrl, /^https:\/\/sim\.daily\.co\//);

  // daily-js framed Prebuilt at the room URL and joined with our token.
  let prebuilt: Frame | undefined;
  await page.waitForFunction(() => document.querySelector('.daily-frame iframe') !== null);
  for (let i = 0; i < 100 && !prebuilt; i++) {
    prebuilt = page.frames().find((f) => f.url().startsWith(join.roomUrl));
    if (!prebuilt) await page.waitForTimeout(100);
  }
  assert.ok(prebuilt, `a frame at ${join.roomUrl} (framed: ${framed.join(', ')})`);
  await prebuilt.waitForFunction(() => (window as unknown as { joinProperties?: unknown }).joinProperties !== undefined);
  const given = await prebuilt.evaluate(() => (window as unknown as { joinProperties: { url: string; token: string; userName?: string } }).joinProperties);
  assert.equal(given.url, join.roomUrl);
  assert.equal(given.token, join.token);
  assert.equal(given.userName, 'Ada');
  assert.ok(framed[0]!.startsWith(join.roomUrl), `Prebuilt loaded from the room URL (${framed[0]})`);

  // Prebuilt joins Daily's room with that token (here: the simulator), then tells daily-js it has joined;
  // the page then asks our API to record (trigger automatic) and the meeting workflow starts recording.
  await product.daily.join(join.meeting.platformRoomName, { token: given.token });
  const startAsked = page.waitForResponse((r) => r.url().endsWith('/recordings/start'), { timeout: 60_000 });
  await prebuilt.evaluate(() => (window as unknown as { completeJoin: () => void }).completeJoin());
  const start = await startAsked;
  assert.equal(start.status(), 200, await start.text());
  assert.match((await start.json()).status, /^(starting|recording)$/);

  // daily-js's recording events drive the indicator.
  const indicator = page.locator('.recording-indicator');
  await prebuilt.evaluate(() => (window as unknown as { emit: (a: string, e?: object) => void }).emit('recording-started', { type: 'cloud', recordingId: 'r1', startedBy: 'prebuilt-local' }));
  await page.locator('.recording-indicator[data-status="recording"]').waitFor();
  assert.equal(await indicator.innerText(), 'Recording');
  await assertAccessibleControls(page, 'Daily call');
  await screenshot(page, '20-daily-call-recording');
  await prebuilt.evaluate(() => (window as unknown as { emit: (a: string) => void }).emit('recording-stopped'));
  await page.waitForFunction(() => document.querySelector('.recording-indicator')?.getAttribute('data-status') !== 'recording');
  await prebuilt.evaluate(() => (window as unknown as { emit: (a: string, e?: object) => void }).emit('recording-error', { errorMsg: 'Cloud recording quota exceeded' }));
  await page.getByRole('alert').filter({ hasText: 'Cloud recording quota exceeded' }).waitFor();

  // Leaving in Prebuilt ends the page's call.
  await prebuilt.evaluate(() => (window as unknown as { emit: (a: string) => void }).emit('left-meeting'));
  await page.getByRole('heading', { name: 'You left the call' }).waitFor();
  await product.request('POST', `/v1/meetings/${join.meeting.id}/end`);
  assert.deepEqual(errors, []);
});
