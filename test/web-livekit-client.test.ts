// The LiveKit path of the room page in real Chromium when the page does not drive the simulator
// (LIVEKIT_SIMULATOR_IN_BROWSER=false, as with a LiveKit server): the page loads livekit-client, which opens LiveKit's
// signalling WebSocket at the room URL from our API with the join token from our API, through the page's CSP. The
// LiveKit simulator speaks LiveKit's server API and not its signalling (no SFU can run here): the socket is refused,
// livekit-client asks the server's /rtc/validate why, and the page says that the call could not start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { assertAccessibleControls, launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('weblkclient', { livekit: true, env: { LIVEKIT_SIMULATOR_IN_BROWSER: 'false' } }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('with LiveKit configured, the room page connects livekit-client to the room URL with our token', { timeout: 120_000 }, async () => {
  const roomName = uniqueName('lkclient').replace(/^lkclient/, 'lkclient-');
  const created = await product.request('POST', '/v1/rooms', { name: roomName, platform: 'livekit', recordingTrigger: 'automatic', skipConsent: true });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const { page, errors } = await openPage(browser, product.url);
  const sockets: string[] = [];
  const refused: string[] = [];
  page.on('websocket', (socket) => sockets.push(socket.url()));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
  });
  await page.goto(`/signin?next=${encodeURIComponent(`/${roomName}`)}`);
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await page.getByText('Its meetings are held on LiveKit.').waitFor();
  assert.equal((await page.request.get('/app-config.json').then((r) => r.json())).calls.livekit.simulatorControlPath, null);
  await page.getByLabel('Your name').fill('Ada');
  const joinAnswer = page.waitForResponse((r) => r.url().endsWith('/join') && r.request().method() === 'POST');
  const validate = page.waitForRequest((r) => /\/rtc(\/v1)?\/validate\?/.test(r.url()), { timeout: 30_000 });
  await page.getByRole('button', { name: 'Join meeting' }).click();
  const join = await (await joinAnswer).json();
  assert.equal(join.roomUrl, product.config.livekit.clientUrl);
  assert.match(join.roomUrl, /^ws:\/\/127\.0\.0\.1:\d+$/);

  // livekit-client's signalling: /rtc (its v1 path) at the room URL, with our join token.
  await validate;
  const signal = sockets.map((url) => new URL(url)).find((url) => /^\/rtc(\/v1)?$/.test(url.pathname));
  assert.ok(signal, `a WebSocket to ${join.roomUrl}/rtc (opened: ${sockets.join(', ') || 'none'})`);
  assert.equal(signal.origin, join.roomUrl);
  assert.equal(signal.searchParams.get('access_token'), join.token);
  assert.deepEqual(refused, [], 'the page CSP lets livekit-client reach LiveKit');
  const csp = (await page.request.get('/')).headers()['content-security-policy']!;
  const connect = csp.split('; ').find((d) => d.startsWith('connect-src '))!.split(' ');
  assert.ok(connect.includes(join.roomUrl) && connect.includes(join.roomUrl.replace(/^ws/, 'http')), csp);

  // Not a LiveKit SFU: the page says so, in the call's own place, and recording waits for the workflow.
  const call = page.getByRole('region', { name: 'Call' });
  await call.getByRole('alert').filter({ hasText: 'The call could not start' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.recording-indicator').getAttribute('data-status'), 'idle');
  await assertAccessibleControls(page, 'LiveKit call that could not start');
  await screenshot(page, '74-livekit-client-refused');
  await product.request('POST', `/v1/meetings/${join.meeting.id}/end`);
  assert.deepEqual(errors, []);
});
