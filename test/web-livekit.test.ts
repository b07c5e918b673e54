// The web app on LiveKit in real Chromium, against the real product running LiveKit beside Daily (the LiveKit
// simulator driven from the page, as in the embedded mode) with a rollout rule moving one room name to LiveKit:
// the room form offers both platforms and preselects what the rule gives the name being typed, sending no
// platform unless the owner chooses one; the LiveKit room's page joins its meeting with the token from our API,
// the recording indicator turns on when the meeting workflow records (once a second person joins), and leaving
// ends the meeting at LiveKit and leads to its transcript.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page, Request } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { assertAccessibleControls, launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;
/** The room the rollout rule puts on LiveKit. */
const migrating = uniqueName('moved').replace(/^moved/, 'moved-');

before(async () => {
  [product, browser] = await Promise.all([
    startWebProduct('weblivekit', { livekit: true, env: { PLATFORM_ROLLOUT: 'true', PLATFORM_ROLLOUT_TARGET: 'livekit', PLATFORM_ROLLOUT_ROOMS: migrating, PLATFORM_DEFAULT: 'daily' } }),
    launchChromium(),
  ]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

const platformField = (page: Page) => page.getByLabel('Platform', { exact: true });

async function newRoomForm(page: Page): Promise<void> {
  await page.goto('/rooms/new');
  await page.getByRole('heading', { name: 'New room' }).waitFor();
  await page.getByRole('button', { name: 'Create room' }).waitFor();
}

/** Creates the room in the form and returns what the page sent. */
async function createRoom(page: Page, name: string): Promise<Record<string, unknown>> {
  const sent = page.waitForRequest((r: Request) => r.url().endsWith('/v1/rooms') && r.method() === 'POST');
  await page.getByRole('button', { name: 'Create room' }).click();
  const body = (await sent).postDataJSON() as Record<string, unknown>;
  await page.getByRole('heading', { name }).waitFor();
  return body;
}

test('a LiveKit room made in the form: its page joins the call, shows recording when it starts, and leaving leads to the transcript', { timeout: 360_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/signin');
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);

  // The form offers the platforms configured here, and preselects what the rollout rule gives the name typed.
  await newRoomForm(page);
  const options = await platformField(page).locator('option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
  assert.deepEqual(options, [['daily', 'Daily'], ['livekit', 'LiveKit']]);
  const defaults = (await product.request('GET', '/v1/room-defaults')).body;
  assert.deepEqual(defaults.rollout, { enabled: true, legacy: 'daily', target: 'livekit', rooms: [migrating], default: 'daily' });
  assert.equal(await platformField(page).inputValue(), defaults.defaults.platform, 'the form opens with the stored default');
  assert.equal(defaults.defaults.platform, 'daily');
  await page.getByLabel('Name').fill(migrating);
  assert.equal(await platformField(page).inputValue(), 'livekit', 'the rule moves this name to LiveKit');
  await page.getByText('Where this server puts a new room of this name unless you choose.').waitFor();
  await page.getByLabel('Name').fill(`${migrating}-2`);
  assert.equal(await platformField(page).inputValue(), 'daily', 'any other name stays on the default');
  await page.getByLabel('Name').fill(migrating);
  assert.equal(await platformField(page).inputValue(), 'livekit');
  await page.getByLabel('Recording starts').selectOption('automatic-2nd-participant');
  await assertAccessibleControls(page, 'new room with two platforms');
  await screenshot(page, '70-room-form-livekit-by-rule');
  const sent = await createRoom(page, migrating);
  assert.equal('platform' in sent, false, `the rule's choice is left to the API (sent: ${JSON.stringify(sent)})`);
  assert.equal((await product.request('GET', `/v1/rooms/${migrating}`)).body.platform, 'livekit');

  // The room page says where its meetings are held.
  await page.getByText('Its meetings are held on LiveKit.').waitFor();
  await assertAccessibleControls(page, 'LiveKit room lobby');

  // Join: a LiveKit meeting, with a join token for the LiveKit room, and a simulated call on LiveKit.
  await page.getByLabel('Your name').fill('Ada');
  const joinAnswer = page.waitForResponse((r) => r.url().endsWith('/join') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Join meeting' }).click();
  const join = await (await joinAnswer).json();
  assert.equal(join.meeting.platform, 'livekit');
  assert.equal(join.roomUrl, product.config.livekit.clientUrl);
  assert.equal(join.token.split('.').length, 3, 'a JWT (LiveKit AccessToken)');
  const room = join.meeting.platformRoomName as string;
  await page.getByRole('heading', { name: 'This meeting is recorded' }).waitFor();
  await page.getByRole('button', { name: 'Keep the audio' }).click();
  await page.getByText('this call runs in the built-in LiveKit simulator').waitFor();
  const ada = page.getByRole('listitem', { name: 'Ada (you)' });
  await ada.waitFor();
  const present = async () => (await product.livekit!.state()).rooms.find((r) => r.name === room)?.present ?? [];
  // Joined with our token: its identity is the signed-in account, its name the one typed.
  assert.deepEqual((await present()).map((p) => p.name), ['Ada']);
  const admin = (await product.request('GET', '/v1/auth/me')).body.user;
  assert.equal((await present())[0]!.identity, admin.id);

  // Alone: recording waits for a second person (the room's trigger); the indicator says so.
  const indicator = page.locator('.recording-indicator');
  await page.locator('.recording-indicator[data-status="waiting-for-participant"]').waitFor({ timeout: 30_000 });
  assert.equal(await indicator.innerText(), 'Recording starts when a second person joins');

  // Grace joins: the meeting workflow starts LiveKit's egresses and the indicator turns on.
  await page.getByLabel('Add a participant').fill('Grace');
  await page.getByRole('button', { name: 'Add to the call' }).click();
  const grace = page.getByRole('listitem', { name: 'Grace' });
  await grace.waitFor();
  await page.locator('.recording-indicator[data-status="recording"]').waitFor({ timeout: 60_000 });
  assert.equal(await indicator.innerText(), 'Recording');
  // Each recording's life: the composite confirmed by LiveKit, and each microphone's own track egress.
  const life = page.getByRole('list', { name: 'Recordings' });
  await life.locator('li[data-kind="cloud"][data-status="recording"]').waitFor({ timeout: 30_000 });
  await life.locator('li[data-kind="speaker-tracks"][data-recording="2"]').waitFor({ timeout: 30_000 });
  assert.deepEqual(await life.getByRole('listitem').allInnerTexts(), ['Video (cloud): recording', "Each speaker's audio: 2 recording"]);
  assert.deepEqual((await present()).map((p) => p.name).sort(), ['Ada', 'Grace']);

  await grace.getByLabel('Sentence for Grace to say').fill('Thank you Ada. The budget is on track and we will hire two engineers.');
  await grace.getByRole('button', { name: 'Say it' }).click();
  await page.getByText(/Grace said "Thank you Ada/).waitFor({ timeout: 30_000 });
  // Her sentence (about 5 s) plays out before Ada speaks: people take turns, and the transcript's turns follow.
  await page.waitForTimeout(6000);
  await ada.getByLabel('Sentence for Ada to say').fill('Good morning everyone. Let us review the hiring plan for next quarter.');
  await ada.getByRole('button', { name: 'Say it' }).click();
  await page.getByText(/Ada said "Good morning/).waitFor({ timeout: 30_000 });
  // Each microphone recorded by its own track egress, and the room by a composite.
  const egresses = (await product.livekit!.state()).egresses.filter((e) => e.roomName === room);
  assert.deepEqual(egresses.map((e) => e.kind).sort(), ['room_composite', 'track', 'track'], JSON.stringify(egresses));
  await assertAccessibleControls(page, 'LiveKit simulated call');
  await screenshot(page, '71-livekit-call-recording');

  // Let the speech play out on the call's timeline, then leave: everyone in the page leaves the LiveKit room,
  // which finishes after its departure timeout; the meeting ends and its tracks become the transcript.
  await page.waitForTimeout(8000);
  await ada.getByRole('button', { name: 'Leave (ends the call)' }).click();
  await page.getByRole('heading', { name: 'You left the call' }).waitFor();
  assert.deepEqual(await present(), []);
  const follow = page.getByRole('link', { name: /transcript/i });
  await follow.waitFor({ timeout: 180_000 });
  await screenshot(page, '72-livekit-after-meeting');
  await follow.click();
  await page.locator('.badge-ended').waitFor({ timeout: 180_000 });
  const speakers = await page.locator('.turn-speaker').allInnerTexts();
  assert.ok(speakers.includes('Ada') && speakers.includes('Grace'), `both speakers named (${speakers.join(', ')})`);
  assert.match((await page.locator('ol.turns').innerText()).toLowerCase(), /two engineers/);
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});

test('the page reaches only what participants do in the LiveKit simulator, on its own origin', async () => {
  const config = await (await fetch(`${product.url}/app-config.json`)).json();
  assert.deepEqual(config, { calls: { daily: { simulatorControlPath: '/_sim' }, livekit: { simulatorControlPath: '/_sim/livekit' } } });
  const state = await fetch(`${product.url}/_sim/livekit/state`);
  assert.equal(state.status, 200);
  assert.ok(Array.isArray((await state.json()).rooms));
  // Faults, the clock and the webhook URLs are the operator's, not the page's.
  for (const [method, path] of [['PUT', '/faults'], ['POST', '/clock/advance'], ['PUT', '/webhooks'], ['GET', '/webhook-deliveries']] as const) {
    const refused = await fetch(`${product.url}/_sim/livekit${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    assert.equal(refused.status, 404, `${method} ${path}`);
    assert.equal((await refused.json()).code, 'bad_route');
  }
});

test("the owner's choice of platform wins over the rule and is sent; lists and settings show each room's platform", { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/signin');
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await newRoomForm(page);
  const chosen = uniqueName('chosen').replace(/^chosen/, 'chosen-');
  await page.getByLabel('Name').fill(chosen);
  assert.equal(await platformField(page).inputValue(), 'daily');
  await platformField(page).selectOption('livekit');
  // Typing on does not undo the choice.
  await page.getByLabel('Name').fill(`${chosen}x`);
  await page.getByLabel('Name').fill(chosen);
  assert.equal(await platformField(page).inputValue(), 'livekit');
  assert.equal((await createRoom(page, chosen)).platform, 'livekit');
  assert.equal((await product.request('GET', `/v1/rooms/${chosen}`)).body.platform, 'livekit');

  // A Daily room beside it, by the rule.
  await newRoomForm(page);
  const plain = uniqueName('plain').replace(/^plain/, 'plain-');
  await page.getByLabel('Name').fill(plain);
  await createRoom(page, plain);
  await page.getByText('Its meetings are held on Daily.').waitFor();

  // The rooms list names each room's platform.
  await page.goto('/');
  const card = (name: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name }) });
  await card(chosen).locator('[data-platform="livekit"]').filter({ hasText: 'LiveKit' }).waitFor();
  await card(plain).locator('[data-platform="daily"]').filter({ hasText: 'Daily' }).waitFor();
  await screenshot(page, '73-rooms-on-two-platforms');

  // The API lets an owner move a room to another configured platform: the settings page offers it, and saves it.
  await page.goto(`/rooms/${plain}/settings`);
  await page.getByRole('button', { name: 'Save changes' }).waitFor();
  assert.equal(await platformField(page).inputValue(), 'daily');
  assert.equal(await platformField(page).isEditable(), true);
  await page.getByText('Meetings under way stay on the platform they started on; the next one is held here.').waitFor();
  await platformField(page).selectOption('livekit');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('link', { name: 'New room' }).waitFor();
  assert.equal((await product.request('GET', `/v1/rooms/${plain}`)).body.platform, 'livekit');
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});
