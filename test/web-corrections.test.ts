// Corrections in real Chromium, as the transcript's owner: rename a speaker, correct a turn's text inline and move
// a turn to another speaker (save and cancel), see the edit history and revert an edit; an edit someone else made
// meanwhile shows "changed by someone else" with a reload. The exports and search follow; axe finds nothing
// serious; a user who may only view sees no correction controls.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { uniqueName, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom, seedTranscriptContent, shareRecording } from './support/recordings.ts';
import { indexTranscript } from '../transcripts/search-index.ts';
import type { Segment, TimedWord } from '../transcripts/words.ts';
import { assertAccessibleControls, assertNoSidewaysScroll, launchChromium, openPage, PHONE, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;
let owner: TestUser;
let viewer: TestUser;
let transcriptId: string;

const w = (speaker: number, text: string, start: number, end: number): TimedWord => ({ text, start, end, confidence: 0.9, speaker });

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webcorrections', { worker: false }), launchChromium()]);
  owner = await product.createUser({ email: `${uniqueName('owner')}@example.com` });
  viewer = await product.createUser({ email: `${uniqueName('viewer')}@example.com` });
  const em = product.services.db.em.fork();
  const { meeting } = await seedRoom(em, { name: uniqueName('fixes'), ownerId: owner.id });
  const { recording, transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true });
  transcriptId = transcript!.id;
  const segments: Segment[] = [
    { speaker: 0, speakerName: 'Quinton', start: 1, end: 4, text: 'The tractor ships on Friday.', words: [w(0, 'The', 1, 1.3), w(0, 'tractor', 1.4, 2), w(0, 'ships', 2.1, 2.6), w(0, 'on', 2.7, 2.9), w(0, 'Friday.', 3, 4)] },
    { speaker: 1, speakerName: 'Speaker 2', start: 5, end: 7, text: 'I will tell finance.', words: [w(1, 'I', 5, 5.2), w(1, 'will', 5.3, 5.6), w(1, 'tell', 5.7, 6), w(1, 'finance.', 6.1, 7)] },
    { speaker: 1, speakerName: 'Speaker 2', start: 8, end: 9, text: 'Agreed.', words: [w(1, 'Agreed.', 8, 9)] },
  ];
  await seedTranscriptContent(em, product.services.storage, transcriptId, { segments, names: ['Quinton', ''], title: 'Shipping plan' });
  await indexTranscript(em, product.services.storage, transcriptId);
  await shareRecording(em, recording.id, [viewer.id]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

const turns = (page: Page) => page.getByRole('region', { name: 'Transcript' }).locator('ol.turns > li');
const exported = async (page: Page, format: string) => (await page.request.get(`/v1/transcripts/${transcriptId}/export?format=${format}`)).text();

test('the owner renames, corrects and moves turns, reverts from the history; exports and search follow', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto(`/transcripts/${transcriptId}`);
  await signIn(page, owner.email, owner.password);
  await page.getByRole('heading', { name: 'Shipping plan' }).waitFor();
  await page.getByText('No corrections yet.').waitFor();
  await assertAccessibleControls(page, 'the transcript page with corrections');

  // Rename a speaker: every turn of theirs.
  const speakers = page.getByRole('region', { name: 'Speakers' });
  await speakers.getByLabel('Name of Speaker 2').fill('Grace');
  await speakers.getByRole('button', { name: 'Rename' }).nth(1).click();
  await turns(page).nth(2).getByText('Grace').waitFor();
  assert.match(await turns(page).nth(1).innerText(), /Grace/);

  // Correct a turn's text inline; cancel first leaves it as it was.
  await page.getByRole('button', { name: 'Edit the turn at 0:01' }).click();
  const text = page.getByLabel('Text of the turn at 0:01');
  await text.fill('Nothing to keep');
  await assertAccessibleControls(page, 'a turn being corrected');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  assert.match(await turns(page).nth(0).innerText(), /The tractor ships on Friday\./);
  await page.getByRole('button', { name: 'Edit the turn at 0:01' }).click();
  await text.fill('The combine harvester ships on Friday.');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await turns(page).nth(0).getByText('The combine harvester ships on Friday.').waitFor();
  await screenshot(page, '70-transcript-corrected');

  // Move a turn to another speaker.
  await page.getByRole('button', { name: 'Edit the turn at 0:08' }).click();
  await page.getByLabel('Speaker', { exact: true }).selectOption({ label: 'Quinton' });
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('button', { name: 'Edit the turn at 0:08' }).waitFor();
  assert.match(await turns(page).nth(2).innerText(), /Quinton/);

  // Exports and search follow every correction.
  const txt = await exported(page, 'txt');
  assert.match(txt, /^Quinton: The combine harvester ships on Friday\.$/m);
  assert.match(txt, /^Grace: I will tell finance\.$/m);
  assert.match(txt, /^Quinton: Agreed\.$/m);
  assert.match(await exported(page, 'vtt'), /<v Grace>I will tell finance\./);
  await page.goto('/search?q=harvester');
  const hits = page.getByRole('list', { name: 'Results for harvester' }).getByRole('listitem');
  await hits.first().waitFor();
  assert.equal(await hits.count(), 1);
  assert.match(await hits.first().innerText(), /Shipping plan/);
  await page.goto('/search?q=tractor');
  await page.getByText(/Nothing found for “tractor”/).waitFor();

  // The history: who and what, newest first; reverting the text edit brings the old words back, as a new edit.
  await page.goto(`/transcripts/${transcriptId}`);
  const history = page.getByRole('region', { name: 'Edit history' }).getByRole('listitem');
  await history.first().waitFor();
  assert.equal(await history.count(), 3);
  assert.match(await history.nth(0).innerText(), /Moved turn 2 from "Grace" to "Quinton" · you/);
  await page.getByRole('button', { name: 'Revert “Edited the text of turn 0”' }).click();
  await turns(page).nth(0).getByText('The tractor ships on Friday.').waitFor();
  await history.nth(3).waitFor();
  assert.match(await history.nth(0).innerText(), /Reverted: Edited the text of turn 0/);
  assert.match(await exported(page, 'txt'), /^Quinton: The tractor ships on Friday\.$/m);
  const found = await page.request.get('/v1/search?q=harvester');
  assert.equal((await found.json()).total, 0);
  await assertAccessibleControls(page, 'the transcript page after corrections');

  // Someone else corrects the same turn while it is open here: saving says so, and a reload shows theirs.
  await page.getByRole('button', { name: 'Edit the turn at 0:05' }).click();
  await page.getByLabel('Text of the turn at 0:05').fill('I will tell the finance team.');
  const { revision } = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body as { revision: number };
  const theirs = await product.request('PATCH', `/v1/transcripts/${transcriptId}/turns/1`, { revision, text: 'I will email finance today.' }, owner.headers);
  assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('Changed by someone else.').waitFor();
  assert.match(await alert.innerText(), /I will email finance today\./);
  await assertAccessibleControls(page, 'a correction refused as stale');
  await screenshot(page, '71-transcript-changed-by-someone-else');
  await alert.getByRole('button', { name: 'Reload the transcript' }).click();
  await turns(page).nth(1).getByText('I will email finance today.').waitFor();
  assert.equal(await page.getByRole('alert').count(), 0);

  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'the transcript page with corrections');
  assert.deepEqual(errors, []);
});

test('a viewer sees the corrected transcript and no correction controls', { timeout: 60_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto(`/transcripts/${transcriptId}`);
  await signIn(page, viewer.email, viewer.password);
  await page.getByRole('heading', { name: 'Shipping plan' }).waitFor();
  await turns(page).nth(1).getByText('Grace').waitFor();
  assert.equal(await page.getByRole('button', { name: /^Edit the turn/ }).count(), 0);
  assert.equal(await page.getByRole('region', { name: 'Edit history' }).count(), 0);
  assert.equal(await page.getByRole('region', { name: 'Speakers' }).count(), 0);
  assert.deepEqual(errors, []);
});
