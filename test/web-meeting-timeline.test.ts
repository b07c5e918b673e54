// A meeting whose recording stopped and started again, in real Chromium: the meetings list leads to the meeting's
// page, which shows its two transcripts as one timeline (each part where it was recorded, the unrecorded time
// between them said), every turn at its time of day; a turn opens its own transcript at its moment.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { uniqueName, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { assertAccessibleControls, assertAxeClean, assertNoSidewaysScroll, launchChromium, openPage, PHONE, screenshot, signIn, startWebProduct } from './support/browser.ts';
import { ParticipantSession } from '../db/entities.ts';

let product: TestProduct;
let browser: Browser;
let owner: TestUser;
let stranger: TestUser;
let meetingId: string;
const transcriptIds: string[] = [];

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webtimeline'), launchChromium()]);
  owner = await product.createUser({ email: `${uniqueName('owner')}@example.com` });
  stranger = await product.createUser({ email: `${uniqueName('stranger')}@example.com` });
  const em = product.services.db.em.fork();
  const { meeting } = await seedRoom(em, { name: uniqueName('standup').replace(/^standup/, 'standup-'), ownerId: owner.id });
  meetingId = meeting.id;
  const at = (s: number) => new Date(meeting.startDate.getTime() + s * 1000);
  em.create(ParticipantSession, { meeting, sessionId: 's1', userName: 'Ada', joinedAt: at(1), leftAt: at(600) });
  em.create(ParticipantSession, { meeting, sessionId: 's2', userName: 'Grace', joinedAt: at(2), leftAt: at(600) });
  await em.flush();
  const said = [
    [{ speaker: 0, speakerName: 'Ada', start: 2, end: 8, text: 'Let us start with the release checklist.' }, { speaker: 1, speakerName: 'Grace', start: 9, end: 20, text: 'The installer is signed and uploaded.' }],
    [{ speaker: 1, speakerName: 'Grace', start: 1, end: 7, text: 'We are back after the fire alarm.' }, { speaker: 0, speakerName: 'Ada', start: 31.5, end: 40, text: 'Then the release goes out on Thursday.' }],
  ];
  // Recorded from 0:10 for a minute, stopped for three minutes, then recorded again for a minute.
  for (const [i, offset] of [10, 250].entries()) {
    const { transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', recordedAt: at(offset), transcript: true });
    transcript!.title = i === 0 ? 'Release checklist' : 'After the alarm';
    transcriptIds.push(transcript!.id);
    await product.services.storage.put(`transcripts/${transcript!.id}/segments.json`, JSON.stringify(said[i]), { contentType: 'application/json' });
  }
  await em.flush();
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('a meeting recorded in two parts reads as one timeline, each turn at its time, each linking to its transcript', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/meetings');
  await signIn(page, owner.email, owner.password);
  await page.getByRole('link', { name: /^Timeline of the meeting started/ }).click();
  await page.waitForURL((url) => url.pathname === `/meetings/${meetingId}`);
  await page.getByRole('heading', { name: /^Meeting in standup-/ }).waitFor();

  const bar = page.getByRole('list', { name: 'Recorded parts in time' });
  assert.deepEqual((await bar.getByRole('link').allInnerTexts()).map((t) => t.replace(/:\s.*, /, ': …, ')), ['Part 1: …, 1:00', 'Part 2: …, 1:00']);
  assert.match(await bar.innerText(), /not recorded for 3:00/);
  await page.getByText('Not recorded for 3:00.').waitFor();

  // Both parts' turns, in order, at their times of day: part 2's first turn 4 min 1 s after part 1's start + 0 s.
  const turns = page.locator('.timeline-section .turn');
  await turns.nth(3).waitFor();
  const texts = await turns.allInnerTexts();
  assert.equal(texts.length, 4);
  assert.match(texts[0]!, /Ada[\s\S]*release checklist/);
  assert.match(texts[2]!, /Grace[\s\S]*fire alarm/);
  const timeOf = (text: string) => { const [h, m, s] = text.match(/(\d{1,2}):(\d{2}):(\d{2})/)!.slice(1).map(Number); return h! * 3600 + m! * 60 + s!; };
  assert.equal((timeOf(texts[2]!) - timeOf(texts[0]!) + 86_400) % 86_400, 240 + 1 - 2, 'part 2 starts 240 s after part 1');
  for (const [i, id] of transcriptIds.entries()) await page.getByRole('link', { name: i === 0 ? 'Release checklist' : 'After the alarm' }).and(page.locator(`[href="/transcripts/${id}"]`)).waitFor();
  await assertAccessibleControls(page, 'meeting timeline');
  await assertAxeClean(page, 'meeting timeline');
  await screenshot(page, '70-meeting-timeline');

  // A turn of part 2 opens part 2's transcript at its moment.
  await turns.nth(3).getByRole('link').click();
  await page.waitForURL((url) => url.pathname === `/transcripts/${transcriptIds[1]}` && url.searchParams.get('t') === '31');
  await page.getByRole('heading', { name: 'After the alarm' }).waitFor();
  assert.equal(await page.getByRole('link', { name: "the meeting's timeline" }).getAttribute('href'), `/meetings/${meetingId}`);
  await page.goBack();
  await turns.nth(3).waitFor();
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'meeting timeline');
  await screenshot(page, '71-meeting-timeline-phone');
  assert.deepEqual(errors, []);

  // Someone else's meeting is not theirs to read.
  const other = await openPage(browser, product.url);
  await other.page.goto(`/meetings/${meetingId}`);
  await signIn(other.page, stranger.email, stranger.password);
  await other.page.getByText('Could not load the meeting').waitFor();
  assert.equal(await other.page.getByText('release checklist').count(), 0);
});
