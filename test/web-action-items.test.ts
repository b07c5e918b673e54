// Action items in real Chromium: on the transcript page the owner sees each item with its owner, due day and moment,
// ticks one done, edits another's owner and due day inline, adds one and deletes one (each kept: a reload shows them);
// the room's page lists the open items across its meetings, shows the done ones on request (in the address) and links
// the CSV and Markdown files; a user the recording is shared with reads the items with no controls. axe finds nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { uniqueName, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom, seedTranscriptContent, shareRecording } from './support/recordings.ts';
import { indexTranscript } from '../transcripts/search-index.ts';
import { deriveActionItems } from '../transcripts/action-items.ts';
import { replaceSummaryActionItems } from '../transcripts/action-item-records.ts';
import type { Segment } from '../transcripts/words.ts';
import { assertAccessibleControls, assertNoSidewaysScroll, launchChromium, openPage, PHONE, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;
let owner: TestUser;
let viewer: TestUser;
let transcriptId: string;
let roomName: string;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webactions', { worker: false }), launchChromium()]);
  owner = await product.createUser({ email: `${uniqueName('owner')}@example.com` });
  viewer = await product.createUser({ email: `${uniqueName('viewer')}@example.com` });
  roomName = uniqueName('actions');
  const em = product.services.db.em.fork();
  const { meeting } = await seedRoom(em, { name: roomName, ownerId: owner.id });
  const recordedAt = new Date('2026-12-02T15:00:00Z');
  const { recording, transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true, recordedAt, mp3: true });
  transcriptId = transcript!.id;
  const segments: Segment[] = [
    { speaker: 0, speakerName: 'Grace', start: 2, end: 6, text: 'Ava, please draft the release notes before Monday.', words: [] },
    { speaker: 1, speakerName: 'Ava', start: 8, end: 12, text: 'I will send the revised budget to finance tomorrow.', words: [] },
    { speaker: 0, speakerName: 'Grace', start: 14, end: 18, text: 'We should book the launch venue.', words: [] },
  ];
  await seedTranscriptContent(em, product.services.storage, transcriptId, { segments, names: ['Grace', 'Ava'], title: 'Release review' });
  const summary = ['Grace: Ava, please draft the release notes before Monday.', 'Ava: I will send the revised budget to finance tomorrow.', 'Grace: We should book the launch venue.'];
  await replaceSummaryActionItems(em, transcriptId, deriveActionItems(summary, segments, ['Grace', 'Ava'], recordedAt));
  await indexTranscript(em, product.services.storage, transcriptId);
  await shareRecording(em, recording.id, [viewer.id]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('the owner ticks, edits, adds and deletes action items; the room lists the open ones; a viewer reads them', { timeout: 180_000 }, async () => {
  const { page, errors, context } = await openPage(browser, product.url);
  await page.goto(`/transcripts/${transcriptId}`);
  await signIn(page, owner.email, owner.password);
  const section = page.getByRole('region', { name: 'Action items' });
  const item = (text: RegExp) => section.getByRole('listitem').filter({ hasText: text });
  await item(/release notes/).waitFor();
  assert.match(await item(/release notes/).innerText(), /Owner: Ava/);
  assert.match(await item(/revised budget/).innerText(), /Owner: Ava[\s\S]*Due/);
  assert.match(await item(/launch venue/).innerText(), /No owner/);
  await item(/release notes/).getByRole('button', { name: /^Play from 0:02/ }).waitFor();
  await assertAccessibleControls(page, 'action items');

  // Tick one done.
  // The box follows the stored state: it changes once the API has answered.
  await section.getByRole('checkbox', { name: /Done: Grace: Ava, please draft/ }).click();
  await page.waitForFunction(() => document.querySelector('.action-items li.action-done') !== null);

  // Edit another inline: its owner and due day.
  await item(/launch venue/).getByRole('button', { name: /^Edit:/ }).click();
  const editor = section.getByRole('form', { name: /Edit the action item/ });
  await editor.getByLabel('Owner').fill('Grace');
  await editor.getByLabel('Due').fill('2026-12-18');
  await assertAccessibleControls(page, 'an action item being edited');
  await editor.getByRole('button', { name: 'Save' }).click();
  await item(/launch venue/).getByText(/Owner: Grace/).waitFor();

  // Add one, delete one.
  const adding = section.getByRole('form', { name: 'New action item' });
  await adding.getByLabel('New action item').fill('Order the zeppelin');
  await adding.getByLabel('Owner (optional)').fill('Ava');
  await adding.getByRole('button', { name: 'Add' }).click();
  await item(/Order the zeppelin/).waitFor();
  await item(/revised budget/).getByRole('button', { name: /^Delete:/ }).click();
  await item(/revised budget/).waitFor({ state: 'detached' });
  await screenshot(page, '60-action-items');

  // Kept: a reload shows the same.
  await page.reload();
  await item(/Order the zeppelin/).waitFor();
  assert.equal(await item(/revised budget/).count(), 0);
  assert.equal(await section.getByRole('checkbox', { name: /Done: Grace: Ava, please draft/ }).isChecked(), true);
  assert.match(await item(/launch venue/).innerText(), /Owner: Grace[\s\S]*Due/);
  const csvHref = await section.getByRole('link', { name: 'CSV' }).getAttribute('href');
  const csv = await (await page.request.get(csvHref!)).text();
  assert.match(csv, /^done,text,owner,due,meeting,recorded_at,link\r\nyes,Grace: Ava, please draft|^done,text,owner,due,meeting,recorded_at,link\r\nyes,"Grace: Ava, please draft/);

  // The room's page: open items across meetings; done ones on request.
  await page.goto('/');
  await page.getByRole('link', { name: `Action items of room ${roomName}` }).click();
  await page.getByRole('heading', { name: `Action items of ${roomName}` }).waitFor();
  const list = page.locator('ul.room-action-items > li');
  await list.first().waitFor();
  assert.deepEqual((await list.allInnerTexts()).map((t) => t.split('\n')[0]!.trim()).sort(), ['Grace: We should book the launch venue.', 'Order the zeppelin'].sort());
  await page.getByRole('link', { name: /Release review/ }).first().waitFor();
  await assertAccessibleControls(page, 'room action items');
  await page.getByLabel('Show').selectOption('done');
  await page.waitForURL(/status=done/);
  await page.locator('ul.room-action-items > li').filter({ hasText: 'release notes' }).waitFor();
  assert.equal(await page.locator('ul.room-action-items > li').count(), 1);
  assert.match(String(await page.getByRole('link', { name: 'Markdown' }).getAttribute('href')), /format=markdown&status=done|status=done&format=markdown/);
  // Undone from the room's page.
  await page.getByRole('checkbox', { name: /Done: Grace: Ava, please draft/ }).click();
  await page.waitForFunction(() => !document.querySelector('ul.room-action-items li.action-done'));
  await screenshot(page, '61-room-action-items');
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'room action items');
  assert.deepEqual(errors, [], 'no uncaught errors');
  await context.close();

  // A user the recording is shared with: the items, no controls.
  const other = await openPage(browser, product.url);
  await other.page.goto(`/transcripts/${transcriptId}`);
  await signIn(other.page, viewer.email, viewer.password);
  const theirs = other.page.getByRole('region', { name: 'Action items' });
  await theirs.getByRole('listitem').filter({ hasText: 'Order the zeppelin' }).waitFor();
  assert.equal(await theirs.getByRole('checkbox').count(), 0);
  assert.equal(await theirs.getByRole('button', { name: /^(Edit|Delete):/ }).count(), 0);
  assert.equal(await theirs.getByRole('form', { name: 'New action item' }).count(), 0);
  assert.deepEqual(other.errors, []);
  await other.context.close();
});
