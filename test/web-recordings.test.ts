// The recordings page in real Chromium: pages of ten, filters, delete after confirming (the recording
// leaves the list and the API), the owner's access log; and a second user cannot open the first user's
// private transcript (the page shows "Not found", as the API answers 404); the owner sets the transcript's
// own rule (its own public link; private even when the recording is public; like the recording).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { uniqueName, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { RECORDING_STATUSES } from '../shared/recording-statuses.ts';
import { MEETING_LIST_STATUSES } from '../shared/meeting-list-statuses.ts';
import { assertAccessibleControls, assertNoSidewaysScroll, launchChromium, openPage, PHONE, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;
let owner: TestUser;
let stranger: TestUser;
let roomName: string;
let transcriptId: string;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webrecordings'), launchChromium()]);
  owner = await product.createUser({ email: `${uniqueName('owner')}@example.com` });
  stranger = await product.createUser({ email: `${uniqueName('stranger')}@example.com` });
  const em = product.services.db.em.fork();
  roomName = uniqueName('board').replace(/^board/, 'board-');
  const { meeting } = await seedRoom(em, { name: roomName, ownerId: owner.id });
  for (let i = 0; i < 12; i++) {
    const seeded = await seedRecording(em, product.services.storage, {
      meeting, type: i % 2 ? 'cloud' : 'raw-tracks', recordedAt: new Date(Date.now() - (i + 1) * 3_600_000), transcript: i === 0, mp3: i === 0,
    });
    if (seeded.transcript) transcriptId = seeded.transcript.id;
  }
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('the recordings list paginates, filters, shows the access log and deletes after confirming', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/recordings');
  await signIn(page, owner.email, owner.password);
  await page.getByRole('heading', { name: 'Recordings' }).waitFor();
  const rows = page.locator('table.recordings tbody tr');
  await page.getByText('1–10 of 12').waitFor();
  assert.equal(await rows.count(), 10);
  await assertAccessibleControls(page, 'recordings');
  await screenshot(page, '30-recordings');

  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('11–12 of 12').waitFor();
  assert.equal(await rows.count(), 2);
  assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true);
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.getByText('1–10 of 12').waitFor();

  // Filters: by room (none match another room's name), then back.
  await page.getByLabel('Room').fill('no-such-room');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No recording matches these filters.').waitFor();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByText('1–10 of 12').waitFor();

  // The first recording has a transcript; its view is in the access log.
  const firstId = (await product.request('GET', `/v1/recordings?room=${roomName}&limit=1`, undefined, owner.headers)).body.items[0].id as string;
  await product.request('GET', `/v1/transcripts/${transcriptId}`, undefined, owner.headers);
  await rows.first().getByRole('button', { name: 'Access log' }).click();
  await page.getByRole('list', { name: 'Access log' }).getByText(new RegExp(`${owner.email}: view`)).waitFor();
  await screenshot(page, '31-recordings-access-log');

  // Delete, after confirming in a dialog; cancel first.
  await rows.first().getByRole('button', { name: /^Delete the recording/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this recording?' });
  await dialog.waitFor();
  await screenshot(page, '32-recordings-confirm-delete');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  await rows.first().getByRole('button', { name: /^Delete the recording/ }).click();
  await dialog.getByRole('button', { name: 'Delete recording' }).click();
  await page.getByRole('status').filter({ hasText: 'is being deleted' }).waitFor();
  await page.getByText('1–10 of 11').waitFor();
  const gone = await product.request('GET', `/v1/recordings/${firstId}`, undefined, owner.headers);
  assert.equal(gone.status, 404);

  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'recordings');
  await screenshot(page, '33-recordings-phone');
  assert.deepEqual(errors, []);
});

test('the status filter offers exactly the statuses the API accepts, and each one filters', { timeout: 60_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/recordings');
  await signIn(page, owner.email, owner.password);
  const pager = (total: number | string) => page.getByRole('status').filter({ hasText: new RegExp(`–\\d+ of ${total}$`) });
  await pager('1[12]').waitFor();
  const status = page.getByLabel('Status');
  const offered = await status.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
  assert.deepEqual(offered, ['', ...RECORDING_STATUSES]);
  const seeded = (await product.request('GET', '/v1/recordings?limit=100', undefined, owner.headers)).body.items as Array<{ status: string }>;
  for (const value of RECORDING_STATUSES) {
    await status.selectOption(value);
    const answer = page.waitForResponse((r) => r.url().includes('/v1/recordings?') && new URL(r.url()).searchParams.get('status') === value);
    await page.getByRole('button', { name: 'Filter' }).click();
    assert.equal((await answer).status(), 200, `the API accepts status=${value}`);
    const count = seeded.filter((r) => r.status === value).length;
    if (count) await pager(count).waitFor();
    else await page.getByText('No recording matches these filters.').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, `${value}: no error`);
  }
  assert.deepEqual(errors, []);
});

test('the meetings page\'s status filter offers exactly the statuses the API accepts', { timeout: 60_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/meetings');
  await signIn(page, owner.email, owner.password);
  const status = page.getByLabel('Status');
  await status.waitFor();
  const offered = await status.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
  assert.deepEqual(offered, ['', ...MEETING_LIST_STATUSES]);
  for (const value of MEETING_LIST_STATUSES) {
    await status.selectOption(value);
    const answer = page.waitForResponse((r) => r.url().includes('/v1/meetings?') && new URL(r.url()).searchParams.get('status') === value);
    await page.getByRole('button', { name: 'Filter' }).click();
    assert.equal((await answer).status(), 200, `the API accepts status=${value}`);
  }
  assert.deepEqual(errors, []);
});

test("a second user cannot open the first user's private transcript", { timeout: 60_000 }, async () => {
  const em = product.services.db.em.fork();
  const { meeting } = await seedRoom(em, { name: uniqueName('private').replace(/^private/, 'private-'), ownerId: owner.id });
  const { transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true, mp3: true });
  assert.ok(transcript);
  const shared = await product.request('PUT', `/v1/transcripts/${transcript.id}/sharing`, { mode: 'private' }, owner.headers);
  assert.equal(shared.status, 200);

  const asOwner = await openPage(browser, product.url);
  await asOwner.page.goto(`/transcripts/${transcript.id}`);
  await signIn(asOwner.page, owner.email, owner.password);
  await asOwner.page.locator('.badge-ended').waitFor();
  await asOwner.page.getByRole('heading', { name: 'Sharing', exact: true }).waitFor();
  await asOwner.context.close();

  const { page, context } = await openPage(browser, product.url);
  await page.goto(`/transcripts/${transcript.id}`);
  await signIn(page, stranger.email, stranger.password);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.equal(await page.locator('.transcript-page').count(), 0);
  await screenshot(page, '34-transcript-not-yours');
  const api = await product.request('GET', `/v1/transcripts/${transcript.id}`, undefined, stranger.headers);
  assert.equal(api.status, 404);
  await context.close();
});

test("the owner sets the transcript's own rule: its own public link, private over a public recording, like the recording", { timeout: 90_000 }, async () => {
  const em = product.services.db.em.fork();
  const { meeting } = await seedRoom(em, { name: uniqueName('ownrule').replace(/^ownrule/, 'ownrule-'), ownerId: owner.id });
  const { recording, transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true });
  assert.ok(transcript);

  const { page, context, errors } = await openPage(browser, product.url);
  await page.goto(`/transcripts/${transcript.id}`);
  await signIn(page, owner.email, owner.password);
  const rule = page.getByRole('region', { name: 'Transcript’s own rule' });
  await rule.getByRole('status').filter({ hasText: 'Now: like the recording' }).waitFor();
  assert.equal(await rule.getByLabel(/^Like the recording/).isChecked(), true);
  const choose = async (label: RegExp, now: string) => {
    await rule.getByLabel(label).check();
    await rule.getByRole('button', { name: 'Save the transcript’s rule' }).click();
    await rule.getByRole('status').filter({ hasText: `Now: ${now}` }).waitFor();
  };

  // Its own public link, while the recording stays private: a guest opens the transcript page.
  await choose(/^Its own public link/, 'its own public link');
  const ownLink = (await rule.locator('.copy-once a').getAttribute('href'))!;
  assert.match(ownLink, new RegExp(`^${product.url}/transcripts/${transcript.id}\\?share=`));
  await assertAccessibleControls(page, 'transcript rule');
  await screenshot(page, '35-transcript-own-rule-public');
  const guest = await openPage(browser, product.url);
  await guest.page.goto(ownLink);
  await guest.page.locator('.badge-ended').waitFor();
  assert.equal((await product.as({})('GET', `/v1/recordings/${recording.id}?share=${new URL(ownLink).searchParams.get('share')}`)).status, 404, "the transcript's link does not open the recording");

  // Private, even though the recording now has a public link: the recording's link does not reach the transcript.
  await choose(/^Only you/, 'only you');
  await guest.page.reload();
  await guest.page.getByRole('heading', { name: 'This link is not available' }).waitFor();
  const recordingShare = page.getByRole('region', { name: 'Sharing', exact: true });
  await recordingShare.getByLabel(/^Public link/).check();
  await recordingShare.getByRole('button', { name: 'Save sharing' }).click();
  const recordingLink = (await recordingShare.locator('.copy-once a').getAttribute('href'))!;
  await guest.page.goto(recordingLink);
  await guest.page.getByRole('heading', { name: 'This link is not available' }).waitFor();

  // Like the recording again: the recording's link opens the transcript.
  await choose(/^Like the recording/, 'like the recording');
  await guest.page.reload();
  await guest.page.locator('.badge-ended').waitFor();
  assert.equal((await product.request('GET', `/v1/transcripts/${transcript.id}/sharing`, undefined, owner.headers)).body.mode, 'inherit');
  await screenshot(page, '36-transcript-own-rule-inherit');
  assert.deepEqual([...errors, ...guest.errors], []);
  await Promise.all([context.close(), guest.context.close()]);
});
