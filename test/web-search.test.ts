// Search in real Chromium: the header's search box opens the results page (hits ranked, matched words marked,
// another user's transcripts never shown, room and speaker filters, the query in the address), and a hit opens
// its transcript at its moment: that turn highlighted and the audio playing from there (`?t=<seconds>`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { uniqueName, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { type Meeting, Transcript } from '../db/entities.ts';
import { transcriptPassages, writeSearchIndex } from '../transcripts/search-index.ts';
import { assertAccessibleControls, assertAxeClean, assertNoSidewaysScroll, launchChromium, openPage, PHONE, screenshot, signIn, startWebProduct } from './support/browser.ts';

interface Said { speakerName: string; start: number; end: number; text: string }

let product: TestProduct;
let browser: Browser;
let owner: TestUser;
let stranger: TestUser;
let planningRoom: string;
let budgetId: string;
let mp3: Buffer;

/** An ended transcript with real audio (a minute of tone), indexed as the pipeline indexes it when it ends. */
async function transcriptOf(meeting: Meeting, content: { title: string; summary: string; said: Said[] }): Promise<string> {
  const em = product.services.db.em.fork();
  const { transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true, mp3: true });
  const t = await em.findOneOrFail(Transcript, transcript!.id);
  Object.assign(t, { title: content.title, shortSummary: content.summary, durationSeconds: 60 });
  await em.flush();
  const segments = content.said.map((s, i) => ({ ...s, speaker: i % 2, words: [] }));
  await product.services.storage.put(`transcripts/${t.id}/segments.json`, JSON.stringify(segments), { contentType: 'application/json' });
  await product.services.storage.put(t.audioKey!, mp3, { contentType: 'audio/mpeg' });
  await writeSearchIndex(em, t.id, 'en', transcriptPassages(t, segments));
  return t.id;
}

before(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'web-search-'));
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=220:duration=60', '-ac', '1', '-b:a', '32k', path.join(dir, 'tone.mp3')]);
  mp3 = await readFile(path.join(dir, 'tone.mp3'));
  [product, browser] = await Promise.all([startWebProduct('websearch'), launchChromium()]);
  owner = await product.createUser({ email: `${uniqueName('owner')}@example.com` });
  stranger = await product.createUser({ email: `${uniqueName('stranger')}@example.com` });
  const em = product.services.db.em.fork();
  planningRoom = uniqueName('planning').replace(/^planning/, 'planning-');
  const planning = await seedRoom(em, { name: planningRoom, ownerId: owner.id });
  const retro = await seedRoom(em, { name: uniqueName('retro').replace(/^retro/, 'retro-'), ownerId: owner.id });
  const strangers = await seedRoom(em, { name: uniqueName('secret').replace(/^secret/, 'secret-'), ownerId: stranger.id });
  budgetId = await transcriptOf(planning.meeting, {
    title: 'Budget review',
    summary: 'The team went through the budget.',
    said: [
      { speakerName: 'Ada', start: 2.5, end: 9, text: 'Let us start with the budget, it is over by ten percent.' },
      { speakerName: 'Grace', start: 9.5, end: 20, text: 'Most of that is hosting.' },
      { speakerName: 'Ada', start: 30.25, end: 41, text: 'The hosting costs doubled after the migration to the new cluster.' },
    ],
  });
  await transcriptOf(retro.meeting, {
    title: 'Sprint retrospective',
    summary: 'What went well.',
    said: [{ speakerName: 'Grace', start: 1, end: 6, text: 'Our hosting bill came in lower than the costs we feared.' }],
  });
  await transcriptOf(strangers.meeting, {
    title: 'Stranger planning',
    summary: 'Private.',
    said: [{ speakerName: 'Bob', start: 3, end: 8, text: 'The hosting costs are secret.' }],
  });
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('the header search finds what was said, marks it, filters, and opens the transcript at its moment', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/');
  await signIn(page, owner.email, owner.password);

  const header = page.getByRole('banner').getByRole('search', { name: 'Search transcripts' });
  await header.getByLabel('Search what was said').fill('hosting costs');
  await header.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { name: 'Search' }).waitFor();
  const hits = page.getByRole('list', { name: 'Results for hosting costs' }).getByRole('listitem');
  await hits.first().waitFor();
  assert.equal(new URL(page.url()).pathname, '/search');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'hosting costs');
  // Both of the owner's meetings, best first (the turn with both words together); never the stranger's.
  assert.equal(await hits.count(), 2);
  assert.match(await hits.nth(0).innerText(), /Budget review/);
  assert.match(await hits.nth(0).innerText(), /said by Ada at 0:30/);
  assert.match(await hits.nth(1).innerText(), /Sprint retrospective/);
  assert.equal(await page.getByText('Stranger planning').count(), 0);
  assert.deepEqual(await hits.nth(0).locator('mark').allInnerTexts(), ['hosting', 'costs']);
  await page.getByRole('status').filter({ hasText: '1–2 of 2' }).waitFor();
  await assertAccessibleControls(page, 'search results');
  await assertAxeClean(page, 'search results');
  await screenshot(page, '60-search-results');

  // Filters: a room, then a speaker with no such words, then cleared; the address follows.
  await page.getByLabel('Room').fill(planningRoom);
  await page.getByRole('button', { name: 'Search', exact: true }).last().click();
  await page.getByRole('status').filter({ hasText: '1–1 of 1' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('room'), planningRoom);
  await page.getByLabel('Speaker').fill('Grace');
  await page.getByRole('button', { name: 'Search', exact: true }).last().click();
  await page.getByText('Nothing found for “hosting costs” with these filters.').waitFor();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByRole('status').filter({ hasText: '1–2 of 2' }).waitFor();

  // Reloading the address gives the same page; a query the API refuses shows its error, not a crash.
  await page.reload();
  await page.getByRole('status').filter({ hasText: '1–2 of 2' }).waitFor();

  // The hit opens its transcript at its moment: the turn highlighted and in view, the audio playing from there.
  await hits.nth(0).getByRole('link').click();
  await page.waitForURL((url) => url.pathname === `/transcripts/${budgetId}` && url.searchParams.get('t') === '30');
  const current = page.locator('.turn.current');
  await current.waitFor();
  assert.match(await current.innerText(), /hosting costs doubled/);
  assert.equal(await current.isVisible(), true);
  const audio = page.locator('audio');
  await page.waitForFunction(() => { const a = document.querySelector('audio'); return !!a && a.currentTime >= 30 && !a.paused; });
  const at = await audio.evaluate((a) => (a as HTMLAudioElement).currentTime);
  assert.ok(at >= 30 && at < 45, `playing from the hit's moment (at ${at} s)`);
  await screenshot(page, '61-search-transcript-at-moment');

  await page.goBack();
  await page.getByRole('status').filter({ hasText: '1–2 of 2' }).waitFor();
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'search results');
  await screenshot(page, '62-search-phone');
  assert.deepEqual(errors, []);
});

test('the stranger finds only their own words, and an empty search asks for words', { timeout: 60_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/search?q=hosting');
  await signIn(page, stranger.email, stranger.password);
  const hits = page.getByRole('list', { name: 'Results for hosting' }).getByRole('listitem');
  await hits.first().waitFor();
  assert.equal(await hits.count(), 1);
  assert.match(await hits.first().innerText(), /Stranger planning/);
  await page.goto('/search');
  await page.getByText('Type what you are looking for').waitFor();
  assert.deepEqual(errors, []);
});
