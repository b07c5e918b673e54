// The room form in real Chromium agrees with the API and the database: a room made with the form's defaults
// stores exactly what the form showed (guests off), a room with every field changed stores every change, and
// the form offers only what this server can honour; its error note names the fields by their labels.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { assertAccessibleControls, launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;

before(async () => {
  // A mail server and a Zulip bot configured (nothing is sent here: no transcript ends), so the form offers delivery.
  const delivery = { SMTP_URL: 'smtp://notes:password@127.0.0.1:9', ZULIP_SITE: 'http://127.0.0.1:9', ZULIP_BOT_EMAIL: 'bot@zulip.example.com', ZULIP_API_KEY: 'zulip-key' };
  [product, browser] = await Promise.all([startWebProduct('webrooms', { env: delivery }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

const SELECTS = { platform: 'Platform', recordingType: 'Recording', recordingTrigger: 'Recording starts', roomMode: 'Room mode' } as const;
const CHECKS = {
  locked: 'Locked', shared: 'Shared', allowAnonymous: 'Allow guests without an account', skipConsent: 'Skip the consent question', emailParticipants: 'Mail the notes to the participants',
} as const;

/** Every setting as the form shows it, in the API's terms. */
async function shownSettings(page: Page): Promise<Record<string, unknown>> {
  const shown: Record<string, unknown> = {};
  for (const [field, label] of Object.entries(SELECTS)) shown[field] = await page.getByLabel(label, { exact: true }).inputValue();
  for (const [field, label] of Object.entries(CHECKS)) shown[field] = await page.getByLabel(new RegExp(`^${label}`)).isChecked();
  const webhookUrl = await page.getByLabel('Webhook URL').inputValue();
  const retention = await page.getByLabel('Keep recordings for (days)').inputValue();
  const vocabulary = (await page.getByLabel(/^Vocabulary/).inputValue()).split('\n').map((t) => t.trim()).filter(Boolean);
  const background = (await page.getByLabel('Background for summaries').inputValue()).trim();
  const zulipStream = (await page.getByLabel('Zulip stream').inputValue()).trim();
  const zulipTopic = (await page.getByLabel('Zulip topic').inputValue()).trim();
  return {
    ...shown, webhookUrl: webhookUrl || null, retentionDays: retention === '' ? null : Number(retention), vocabulary, background: background || null,
    zulipStream: zulipStream || null, zulipTopic: zulipTopic || null,
  };
}

async function storedSettings(name: string): Promise<Record<string, unknown>> {
  const stored = await product.request('GET', `/v1/rooms/${name}`);
  assert.equal(stored.status, 200, JSON.stringify(stored.body));
  const { id: _id, name: _name, ownerId: _owner, isOwner: _isOwner, createdAt: _c, updatedAt: _u, ...settings } = stored.body;
  return settings;
}

async function newRoomForm(page: Page): Promise<void> {
  await page.goto('/rooms/new');
  await page.getByRole('heading', { name: 'New room' }).waitFor();
  await page.getByRole('button', { name: 'Create room' }).waitFor();
}

test('a room made with the form as it opens stores what the form showed: the defaults, guests off', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/signin');
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await newRoomForm(page);
  await assertAccessibleControls(page, 'new room with defaults');

  // Only what this server can honour is offered: the configured platform, and the room modes it has.
  const options = (label: string) => page.getByLabel(label, { exact: true }).locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  assert.deepEqual(await options('Platform'), ['daily']);
  assert.deepEqual(await options('Room mode'), ['normal']);

  // Item 10: the error note names the fields to correct by their labels.
  await page.getByLabel('Keep recordings for (days)').fill('0');
  await page.getByRole('button', { name: 'Create room' }).click();
  const note = page.locator('form .note-error');
  await note.waitFor();
  assert.equal(await note.innerText(), 'Please correct the fields marked below: Name, Keep recordings for (days).');
  await page.getByLabel('Keep recordings for (days)').fill('');

  const shown = await shownSettings(page);
  const { defaults } = (await product.request('GET', '/v1/room-defaults')).body;
  assert.deepEqual(shown, defaults, 'the form opens with the API\'s defaults');
  assert.equal(shown.allowAnonymous, false, 'guests are off unless the owner turns them on');

  const name = uniqueName('plain').replace(/^plain/, 'plain-');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name }).waitFor();
  assert.deepEqual(await storedSettings(name), { ...shown, hasWebhookSecret: false }, 'the API stored every setting the form showed');
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});

test('a room with every field changed in the form stores every change, and the settings page shows them back', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/signin');
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await newRoomForm(page);
  const defaults = await shownSettings(page);

  const name = uniqueName('custom').replace(/^custom/, 'custom-');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Recording', { exact: true }).selectOption('local');
  await page.getByLabel('Recording starts').selectOption('prompt');
  for (const label of Object.values(CHECKS)) await page.getByLabel(new RegExp(`^${label}`)).check();
  await page.getByLabel('Webhook URL').fill('http://127.0.0.1:9/hooks/transcripts');
  await page.getByLabel('Webhook secret').fill('sixteen-chars-or-more');
  await page.getByLabel('Keep recordings for (days)').fill('30');
  // A term too long is named by its line, then corrected.
  await page.getByLabel(/^Vocabulary/).fill(`Kestrel\n${'x'.repeat(65)}`);
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByText('Line 2: a term is at most 64 characters').waitFor();
  assert.equal(await page.locator('form .note-error').innerText(), 'Please correct the field marked below: Vocabulary (one term per line).');
  await page.getByLabel(/^Vocabulary/).fill('Kestrel\nPGlite\n');
  await page.getByLabel('Background for summaries').fill('The release team plans the Kestrel launch.');
  await page.getByLabel('Zulip stream').fill('releases');
  await page.getByLabel('Zulip topic').fill('Kestrel notes');
  const changed = await shownSettings(page);
  // Platform and room mode have one choice each here (see the first test); everything else differs.
  for (const field of Object.keys(changed).filter((f) => f !== 'platform' && f !== 'roomMode')) {
    assert.notDeepEqual(changed[field], defaults[field], `${field} was changed`);
  }
  await screenshot(page, '60-room-form-every-field');
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name }).waitFor();
  assert.deepEqual(await storedSettings(name), {
    platform: 'daily', recordingType: 'local', recordingTrigger: 'prompt', roomMode: 'normal',
    locked: true, shared: true, allowAnonymous: true, skipConsent: true,
    webhookUrl: 'http://127.0.0.1:9/hooks/transcripts', retentionDays: 30, hasWebhookSecret: true,
    vocabulary: ['Kestrel', 'PGlite'], background: 'The release team plans the Kestrel launch.',
    emailParticipants: true, zulipStream: 'releases', zulipTopic: 'Kestrel notes',
  });

  // The settings page shows the stored room back, and unchecking guests stores false (not left out).
  await page.goto(`/rooms/${name}/settings`);
  await page.getByRole('button', { name: 'Save changes' }).waitFor();
  assert.deepEqual(await shownSettings(page), changed);
  await page.getByLabel('Allow guests without an account').uncheck();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('link', { name: 'New room' }).waitFor();
  assert.equal((await storedSettings(name)).allowAnonymous, false);
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});

test('a locked room: a guest knocks and waits, the owner lets them in from the call, then the guest is in', { timeout: 120_000 }, async () => {
  const roomName = uniqueName('door').replace(/^door/, 'door-');
  const created = await product.request('POST', '/v1/rooms', { name: roomName, locked: true, allowAnonymous: true, skipConsent: true, recordingTrigger: 'none' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const join = async (page: Page, name: string) => {
    await page.goto(`/${roomName}`);
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Join meeting' }).click();
  };

  const owner = await openPage(browser, product.url);
  await owner.page.goto('/signin');
  await signIn(owner.page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await join(owner.page, 'Ada');
  await owner.page.getByRole('listitem', { name: 'Ada (you)' }).waitFor();
  await owner.page.getByText('Locked: nobody is knocking.').waitFor();

  const guest = await openPage(browser, product.url);
  await join(guest.page, 'Linus');
  await guest.page.getByText('This room is locked. You knocked; its owner lets you in…').waitFor();
  await screenshot(guest.page, '61-locked-room-knocking');
  assert.equal(await guest.page.getByRole('listitem', { name: 'Linus (you)' }).count(), 0, 'not in the call yet');

  const letIn = owner.page.getByRole('group', { name: 'Knocking' }).getByRole('button', { name: 'Let Linus in' });
  await letIn.waitFor();
  await screenshot(owner.page, '62-locked-room-owner-sees-knock');
  await letIn.click();
  await guest.page.getByRole('listitem', { name: 'Linus (you)' }).waitFor();
  await owner.page.getByText('Locked: nobody is knocking.').waitFor();
  assert.deepEqual([...owner.errors, ...guest.errors], [], 'no uncaught errors in the pages');
});
