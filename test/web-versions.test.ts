// A transcript's versions in real Chromium: a transcript whose recording was rerun (its earlier content kept by the
// pipeline's own step, transcripts/versions.ts) shows its versions, newest first with what made each; an earlier one's
// turns on request, and what changed in the words (removed and added words marked); the owner shows the first one
// again and then switches back. A user the recording is shared with reads them too, without those controls. axe
// finds nothing serious.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { uniqueName, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom, seedTranscriptContent, shareRecording } from './support/recordings.ts';
import { Transcript } from '../db/entities.ts';
import { keepCurrentVersion } from '../transcripts/versions.ts';
import type { Segment } from '../transcripts/words.ts';
import { assertAccessibleControls, assertNoSidewaysScroll, launchChromium, openPage, PHONE, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;
let owner: TestUser;
let viewer: TestUser;
let transcriptId: string;

const turns = (texts: string[]): Segment[] => texts.map((text, i) => ({ speaker: i % 2, speakerName: ['Quinton', 'Ava'][i % 2]!, start: i * 5, end: i * 5 + 4, text, words: [] }));

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webversions', { worker: false }), launchChromium()]);
  owner = await product.createUser({ email: `${uniqueName('owner')}@example.com` });
  viewer = await product.createUser({ email: `${uniqueName('viewer')}@example.com` });
  const em = product.services.db.em.fork();
  const { meeting } = await seedRoom(em, { name: uniqueName('versions'), ownerId: owner.id });
  const { recording, transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true });
  transcriptId = transcript!.id;
  // The first run's words, kept when the recording is run again; the rerun hears them better.
  await seedTranscriptContent(em, product.services.storage, transcriptId, { segments: turns(['The tractor ships on Friday.', 'I will tell finance.']), names: ['Quinton', 'Ava'], title: 'Shipping plan' });
  await em.nativeUpdate(Transcript, { id: transcriptId }, { speechEngine: 'whisper:whisper-tiny' });
  assert.equal(await keepCurrentVersion(em.fork(), product.services.storage, recording.id), 1);
  await seedTranscriptContent(em, product.services.storage, transcriptId, { segments: turns(['The contract ships on Friday.', 'I will tell finance.']), names: ['Quinton', 'Ava'], title: 'Shipping plan' });
  await em.nativeUpdate(Transcript, { id: transcriptId }, { speechEngine: 'whisper:whisper-base', revision: 1 });
  await shareRecording(em, recording.id, [viewer.id]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('the versions of a rerun transcript: what made each, an earlier one read, and what changed', { timeout: 180_000 }, async () => {
  const { page, errors, context } = await openPage(browser, product.url);
  await page.goto(`/transcripts/${transcriptId}`);
  await signIn(page, owner.email, owner.password);
  const section = page.getByRole('region', { name: 'Versions' });
  const current = section.getByRole('listitem', { name: 'Version 2 (current)' });
  const earlier = section.getByRole('listitem', { name: 'Version 1' });
  await current.waitFor();
  assert.match(await current.innerText(), /whisper:whisper-base/);
  assert.match(await earlier.innerText(), /whisper:whisper-tiny/);
  assert.match(await page.getByRole('region', { name: 'Transcript', exact: true }).innerText(), /contract ships/, 'the current version is the one shown');

  await earlier.getByRole('button', { name: 'Read it' }).click();
  const earlierTurns = earlier.getByRole('list', { name: 'Turns of version 1' });
  await earlierTurns.waitFor();
  assert.match(await earlierTurns.innerText(), /Quinton: The tractor ships on Friday\./);

  await current.getByRole('button', { name: 'What changed since version 1' }).click();
  const changes = current.getByLabel('Changes from version 1 to 2');
  await changes.waitFor();
  assert.equal(await changes.locator('del').innerText(), 'tractor');
  assert.equal(await changes.locator('ins').innerText(), 'contract');
  assert.match(await changes.innerText(), /1 word\(s\) removed, 1 added/);
  await assertAccessibleControls(page, 'versions');
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'versions on a phone');

  // The owner shows the first version again: its words are the transcript's, and the one shown until then is kept.
  await earlier.getByRole('button', { name: 'Show this version' }).click();
  const restored = section.getByRole('listitem', { name: 'Version 3 (current)' });
  await restored.waitFor();
  assert.match(await restored.innerText(), /restored from version 1/);
  assert.match(await restored.innerText(), /whisper:whisper-tiny/);
  await page.getByRole('region', { name: 'Transcript', exact: true }).getByText('The tractor ships on Friday.').waitFor();
  assert.match(await section.getByRole('listitem', { name: 'Version 2' }).innerText(), /whisper:whisper-base/);
  // And back: the rerun's words again, as version 4.
  await section.getByRole('listitem', { name: 'Version 2' }).getByRole('button', { name: 'Show this version' }).click();
  await section.getByRole('listitem', { name: 'Version 4 (current)' }).waitFor();
  await page.getByRole('region', { name: 'Transcript', exact: true }).getByText('The contract ships on Friday.').waitFor();
  await assertAccessibleControls(page, 'versions after a restore');

  // A user the recording is shared with reads them too, and cannot choose the one shown.
  await context.clearCookies();
  await page.goto(`/transcripts/${transcriptId}`);
  await signIn(page, viewer.email, viewer.password);
  await page.getByRole('region', { name: 'Versions' }).getByRole('listitem', { name: 'Version 1' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Show this version' }).count(), 0);
  assert.equal(await page.getByRole('region', { name: 'Run again' }).count(), 0);
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});
