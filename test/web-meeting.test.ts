// The browser client end to end in real Chromium, against the real product on embedded defaults (the
// Daily simulator driven from the page): sign in, create a room (the API's validation shown next to the
// field), hold a recorded 2-person meeting from the room page — one participant speaking through
// Chromium's fake microphone, the other a typed sentence — then follow the transcript being made (the
// progress bar moves, pushed by server-sent events, no reload), play it with the highlighted line following,
// seek by clicking a line, and download the WebVTT; then run the recording again with another speech engine from
// the transcript page and find the earlier version kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { PHONE, assertAccessibleControls, assertNoSidewaysScroll, launchChromium, openPage, screenshot, signIn, speechWav, startWebProduct } from './support/browser.ts';

// The product's worker serves only the workflows' own queue: the pipeline stops at its first audio or speech
// activity until the test starts a (slow) worker for those, once the transcript page shows it processing.
let product: TestProduct;
let browser: Browser;
/** The transcript the first test made (`/transcripts/<id>`), shared by public link in the next. */
let transcriptPath: string | undefined;
const OTHER_MODEL = 'whisper-base-again';

before(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'web-meeting-'));
  const wav = await speechWav('Good morning everyone. Let us review the budget and the hiring plan for next quarter.', path.join(dir, 'microphone.wav'));
  // A second speech engine a rerun may choose: another Whisper model folder (here the project's base model under
  // another name, the one model on this machine), run by a Whisper process of the worker's own when first asked for.
  const otherModel = path.join(dir, OTHER_MODEL);
  await symlink(path.resolve(import.meta.dirname, '..', '.venv', 'models', 'whisper-base'), otherModel);
  [product, browser] = await Promise.all([
    startWebProduct('webmeeting', { worker: { queues: ['meetings'] }, env: { SPEECH_OTHER_MODEL_DIRS: otherModel } }),
    launchChromium({ microphoneWav: wav }),
  ]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('sign in, create a room, hold a recorded meeting, follow and play its transcript', { timeout: 420_000 }, async (t) => {
  const { page, errors } = await openPage(browser, product.url);

  // Signed out: the sign-in page, whatever path was asked for.
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await assertAccessibleControls(page, 'sign-in');
  await screenshot(page, '01-sign-in');
  await page.getByLabel('Email').fill(TEST_ADMIN_EMAIL);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Could not sign in' }).waitFor();
  await page.getByLabel('Password').fill(TEST_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Rooms' }).waitFor();
  await page.getByText('No rooms yet').waitFor();
  await screenshot(page, '02-rooms-empty');

  // A new room: the API's message for a bad name appears next to the name field.
  await page.getByRole('link', { name: 'New room' }).click();
  await page.getByRole('heading', { name: 'New room' }).waitFor();
  await assertAccessibleControls(page, 'new room');
  await page.getByLabel('Name').fill('Weekly Sync!');
  await page.getByRole('button', { name: 'Create room' }).click();
  const nameError = page.locator('.field-invalid').filter({ has: page.getByLabel('Name') }).locator('.field-error');
  await nameError.waitFor();
  assert.match(await nameError.innerText(), /lower-case/);
  assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), 'true');
  await screenshot(page, '03-room-form-errors');
  const roomName = uniqueName('sync').replace(/^(sync)/, 'sync-');
  await page.getByLabel('Name').fill(roomName);
  await page.getByLabel('Recording starts').selectOption('automatic');
  await page.getByRole('button', { name: 'Create room' }).click();

  // The room: join, answer the consent question, and recording starts (trigger automatic) for the page's ask.
  await page.getByRole('heading', { name: roomName }).waitFor();
  await assertAccessibleControls(page, 'room lobby');
  await page.getByLabel('Your name').fill('Ada');
  await page.getByRole('button', { name: 'Join meeting' }).click();
  await page.getByRole('heading', { name: 'This meeting is recorded' }).waitFor();
  await screenshot(page, '04-consent');
  await page.getByRole('button', { name: 'Keep the audio' }).click();
  const indicator = page.locator('.recording-indicator');
  await page.locator('.recording-indicator[data-status="recording"]').waitFor({ timeout: 60_000 });
  assert.equal(await indicator.innerText(), 'Recording');
  // Each recording's life, live: both kinds confirmed by the platform.
  const life = page.getByRole('list', { name: 'Recordings' });
  await life.locator('li[data-kind="cloud"][data-status="recording"]').waitFor({ timeout: 30_000 });
  await life.locator('li[data-kind="raw-tracks"][data-status="recording"]').waitFor({ timeout: 30_000 });
  assert.deepEqual((await life.getByRole('listitem').allInnerTexts()).sort(), ['Audio tracks: recording', 'Video (cloud): recording']);

  // A second participant joins and speaks a sentence; Ada speaks through the (fake) microphone.
  await page.getByLabel('Add a participant').fill('Grace');
  await page.getByRole('button', { name: 'Add to the call' }).click();
  const grace = page.getByRole('listitem', { name: 'Grace' });
  await grace.waitFor();
  await grace.getByLabel('Sentence for Grace to say').fill('Thank you Ada. The budget is on track and we will hire two engineers.');
  await grace.getByRole('button', { name: 'Say it' }).click();
  await page.getByText(/Grace said "Thank you Ada/).waitFor();
  const ada = page.getByRole('listitem', { name: 'Ada (you)' });
  await ada.getByRole('button', { name: 'Speak with my microphone' }).click();
  await page.waitForTimeout(5000);
  await ada.getByRole('button', { name: /Stop and send/ }).click();
  await page.getByText(/Ada said a microphone recording/).waitFor({ timeout: 30_000 });
  await assertAccessibleControls(page, 'meeting');
  await screenshot(page, '05-meeting');

  // Let the speech play out on the call's timeline, then everyone leaves: the meeting ends at the platform.
  const state = await product.daily.state();
  const sim = state.rooms.find((r) => r.name.startsWith(roomName));
  assert.ok(sim, 'the simulator has the platform room');
  assert.equal(sim.present.length, 2, 'Ada and Grace are in the simulated call');
  await page.waitForTimeout(8000);
  await ada.getByRole('button', { name: 'Leave (ends the call)' }).click();
  await page.getByRole('heading', { name: 'You left the call' }).waitFor();
  const follow = page.getByRole('link', { name: /transcript/i });
  await follow.waitFor({ timeout: 120_000 });
  await screenshot(page, '06-after-meeting');

  // The transcript page follows the pipeline by itself: the progress bar moves with no reload.
  await follow.click();
  await page.waitForURL(/\/transcripts\//);
  transcriptPath = new URL(page.url()).pathname;
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    const record = () => {
      const bar = document.querySelector('[role="progressbar"]');
      const value = Number(bar?.getAttribute('aria-valuenow'));
      if (bar && seen.at(-1) !== value) seen.push(value);
    };
    record();
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  // The pipeline waits for an audio/speech worker: the page shows it processing, then follows it to the end.
  const bar = page.getByRole('progressbar');
  await bar.waitFor();
  await page.locator('.badge-processing').waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow')) > 0, undefined, { timeout: 60_000 });
  assert.match(await page.locator('#progress-title').locator('..').innerText(), /Recognising speech|Finding the speakers/);
  await assertAccessibleControls(page, 'transcript in progress');
  await screenshot(page, '07-transcript-progress');
  // A slow worker (one activity at a time, one start every 4 s per queue, like a busy machine): each step
  // (a track transcribed, the mixdown awaited…) stays in the database for seconds, longer than the 1 s the
  // events stream takes to notice, so the page sees the bar move before the end, every run.
  await product.startWorker(['audio', 'speech'], { maxConcurrentActivityTaskExecutions: 1, maxActivitiesPerSecond: 0.25 });
  await page.locator('.badge-ended').waitFor({ timeout: 240_000 });
  const seen = await page.evaluate(() => (window as unknown as { progressSeen?: number[] }).progressSeen ?? null);
  assert.ok(seen, 'the page was not reloaded while the transcript was made');
  t.diagnostic(`progress bar values seen: ${seen.join(', ')}`);
  const moves = seen.filter((v, i) => i > 0 && v > seen[i - 1]!).length;
  assert.ok(moves >= 1 && seen.at(-1)! > seen[0]!, `the progress bar moved forward (values seen: ${seen.join(', ')})`);
  assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]!), `progress never goes back (${seen.join(', ')})`);

  // Done: speakers, turns, summary, downloads, the audio with its waveform.
  const turns = page.locator('ol.turns > li');
  assert.ok((await turns.count()) >= 2, 'at least one turn per speaker');
  const speakers = await page.locator('.turn-speaker').allInnerTexts();
  assert.ok(speakers.includes('Ada') && speakers.includes('Grace'), `both speakers named (${speakers.join(', ')})`);
  await page.getByRole('heading', { name: 'Summary' }).waitFor();
  await page.locator('.waveform rect').first().waitFor();
  await assertAccessibleControls(page, 'transcript');
  const transcriptShot = await screenshot(page, '08-transcript');
  // The README's picture is refreshed on request only, so a test run never changes tracked files.
  if (process.env.UPDATE_README_SCREENSHOT === '1') {
    await mkdir(path.resolve(import.meta.dirname, '..', 'docs', 'screenshots'), { recursive: true });
    await copyFile(transcriptShot, path.resolve(import.meta.dirname, '..', 'docs', 'screenshots', 'transcript.png'));
  }

  // Click a line: the audio jumps there and plays; the highlight follows playback into the next line.
  const starts = await page.evaluate(() => [...document.querySelectorAll('.turn-time')].map((el) => el.textContent));
  assert.ok(starts.length >= 2);
  await turns.nth(0).locator('button.turn-button').click();
  await page.waitForFunction(() => !document.querySelector<HTMLAudioElement>('audio.audio')!.paused, undefined, { timeout: 10_000 });
  assert.equal(await turns.nth(0).getAttribute('aria-current'), 'true');
  await page.waitForFunction(() => document.querySelector('ol.turns > li:nth-child(2)')?.getAttribute('aria-current') === 'true', undefined, { timeout: 60_000 });
  const audioTime = await page.evaluate(() => document.querySelector<HTMLAudioElement>('audio.audio')!.currentTime);
  assert.ok(audioTime > 0);
  await screenshot(page, '09-transcript-playing');
  await page.evaluate(() => document.querySelector<HTMLAudioElement>('audio.audio')!.pause());
  await turns.nth(1).locator('button.turn-button').click();
  // The highlight follows the audio's time, which the click sets: wait for it rather than read it at once.
  await page.waitForFunction(() => document.querySelector('ol.turns > li:nth-child(2)')?.getAttribute('aria-current') === 'true', undefined, { timeout: 10_000 });

  // The WebVTT download, with speakers as voices.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Subtitles (WebVTT)' }).click()]);
  const vtt = await readFile((await download.path())!, 'utf8');
  assert.match(vtt, /^WEBVTT/);
  assert.match(vtt, /<v (Ada|Grace)>/);
  // The text export with timestamps is offered next to the others.
  const [timed] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Text with timestamps' }).click()]);
  assert.match(await readFile((await timed.path())!, 'utf8'), /^\[\d\d:\d\d:\d\d\] (Ada|Grace): /m);

  // A phone-sized screen: one column, nothing wider than the screen.
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'transcript');
  await screenshot(page, '10-transcript-phone');
  await page.goto('/');
  await page.getByRole('heading', { name: 'Rooms' }).waitFor();
  await assertNoSidewaysScroll(page, 'rooms');
  await screenshot(page, '11-rooms-phone');

  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});

test('a public link opens the transcript page without an account, until the owner makes it private', { timeout: 120_000 }, async () => {
  assert.ok(transcriptPath, 'the first test made a transcript');
  const transcriptId = transcriptPath.split('/').at(-1)!;

  // The owner makes a public link in the sharing controls and copies it: the web app's page, not the API's URL.
  const owner = await openPage(browser, product.url);
  await owner.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: product.url });
  await owner.page.goto(transcriptPath);
  await signIn(owner.page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  const sharing = owner.page.getByRole('region', { name: 'Sharing', exact: true });
  await sharing.getByRole('group', { name: 'Who may open the recording and transcript' }).getByLabel(/^Public link/).check();
  await sharing.getByRole('button', { name: 'Save sharing' }).click();
  const link = sharing.locator('.copy-once a');
  await link.waitFor();
  const url = (await link.getAttribute('href'))!;
  assert.match(url, new RegExp(`^${product.url}/transcripts/${transcriptId}\\?share=[^&]+$`));
  await sharing.getByRole('button', { name: 'Copy the link' }).click();
  await sharing.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await owner.page.evaluate(() => navigator.clipboard.readText()), url);
  await assertAccessibleControls(owner.page, 'transcript sharing');
  await screenshot(owner.page, '12-transcript-public-link-made');

  // A browser with no cookies opens the copied link: the transcript, its waveform and audio, the downloads.
  const guest = await openPage(browser, product.url);
  await guest.page.goto(url);
  await guest.page.locator('.badge-ended').waitFor();
  assert.equal(await guest.page.getByRole('button', { name: 'Sign out' }).count(), 0, 'nobody is signed in');
  assert.equal(await guest.page.getByRole('region', { name: 'Sharing' }).count(), 0, 'no owner controls');
  const turns = guest.page.locator('ol.turns > li');
  assert.ok((await turns.count()) >= 2);
  await guest.page.locator('.waveform rect').first().waitFor();
  await turns.nth(0).locator('button.turn-button').click();
  await guest.page.waitForFunction(() => {
    const audio = document.querySelector<HTMLAudioElement>('audio.audio')!;
    return !audio.paused && audio.currentTime > 0.5;
  }, undefined, { timeout: 15_000 });
  await guest.page.evaluate(() => document.querySelector<HTMLAudioElement>('audio.audio')!.pause());
  const [download] = await Promise.all([guest.page.waitForEvent('download'), guest.page.getByRole('link', { name: 'Subtitles (WebVTT)' }).click()]);
  assert.match(await readFile((await download.path())!, 'utf8'), /^WEBVTT/);
  await assertAccessibleControls(guest.page, 'transcript by public link');
  await screenshot(guest.page, '13-transcript-by-public-link');
  const log = await product.request('GET', `/v1/recordings/${(await product.request('GET', `/v1/transcripts/${transcriptId}`)).body.recordingId}/access-log`);
  assert.ok(log.body.items.some((e: { detail: string | null; userId: string | null }) => e.userId === null && e.detail?.includes('public link')), "the guest's views are logged as through the public link");

  // The owner goes back to private: the same link now says it is not available.
  await sharing.getByLabel(/^Private/).check();
  await sharing.getByRole('button', { name: 'Save sharing' }).click();
  await sharing.getByRole('status').filter({ hasText: 'Now private' }).waitFor();
  await guest.page.reload();
  await guest.page.getByRole('heading', { name: 'This link is not available' }).waitFor();
  assert.equal(await guest.page.locator('.transcript-page').count(), 0);
  await assertAccessibleControls(guest.page, 'revoked public link');
  await screenshot(guest.page, '14-public-link-not-available');
  assert.deepEqual([...owner.errors, ...guest.errors], [], 'no uncaught errors in the pages');
  await Promise.all([owner.context.close(), guest.context.close()]);
});

test('the owner runs the recording again with another speech engine from the Run again card; the transcript it replaced is kept as a version', { timeout: 300_000 }, async () => {
  assert.ok(transcriptPath, 'the first test made a transcript');
  const transcriptId = transcriptPath.split('/').at(-1)!;
  const first = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body as { revision: number; engines: { speech: string } };
  const other = `whisper:${OTHER_MODEL}`;
  assert.notEqual(first.engines.speech, other);

  const { page, errors } = await openPage(browser, product.url);
  await page.goto(transcriptPath);
  await signIn(page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await page.locator('.badge-ended').waitFor();
  const card = page.getByRole('region', { name: 'Run again' });
  const engine = card.getByLabel('Speech engine');
  // The form starts on the deployment's default engine and offers the other one configured.
  assert.equal(await engine.inputValue(), first.engines.speech);
  assert.deepEqual(await engine.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)), [first.engines.speech, other]);
  assert.equal(await card.getByLabel('Language').inputValue(), 'en');
  await engine.selectOption(other);
  await assertAccessibleControls(page, 'run again');
  await card.getByRole('button', { name: 'Run again' }).click();
  await page.locator('.badge-processing').waitFor();
  // The page follows the rerun to its end by itself (server-sent events), not taking the old transcript's end for it.
  await page.locator('.badge-ended').waitFor({ timeout: 240_000 });

  const now = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body as { revision: number; engines: { speech: string }; segments: Array<{ speakerName: string; text: string }> };
  assert.equal(now.engines.speech, other, 'the rerun heard the recording with the chosen engine');
  assert.ok(now.revision > first.revision);
  const heard = now.segments.map((s) => s.text).join(' ').toLowerCase();
  assert.match(heard, /budget/, `the other engine heard the words (${heard})`);
  assert.deepEqual([...new Set(now.segments.map((s) => s.speakerName))].sort(), ['Ada', 'Grace']);

  // The Versions card: the current one made by the chosen engine, the first run's kept with its own.
  const versions = page.getByRole('region', { name: 'Versions' });
  await versions.waitFor();
  const items = versions.getByRole('listitem');
  const texts = await items.allInnerTexts();
  assert.equal(texts.length, 2, texts.join(' | '));
  assert.match(texts[0]!, new RegExp(`\\(current\\)[\\s\\S]*${other}`));
  assert.match(texts[1]!, new RegExp(first.engines.speech));
  assert.match((await page.locator('ol.turns').innerText()).toLowerCase(), /budget/);
  await assertAccessibleControls(page, 'transcript after a rerun');
  await screenshot(page, '15-transcript-rerun-with-another-engine');
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
  await page.context().close();
});
