// The pages a user finds their way by, in real Chromium: the meetings list (room, date, participants,
// status, transcripts by title; pages of ten; filtered by room and status); the account page (changing
// the password, which the sign-in then needs); the recordings list's title and participants; a long
// speaker name wraps in its column instead of running over the words; the simulated composite says what
// it is; the room list names both kinds a cloud room records; every export the API offers is offered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { uniqueName, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { assertAccessibleControls, assertNoSidewaysScroll, launchChromium, openPage, PHONE, screenshot, signIn, startWebProduct } from './support/browser.ts';
import { Meeting, ParticipantSession, Room } from '../db/entities.ts';

let product: TestProduct;
let browser: Browser;
let owner: TestUser;
let roomName: string;
let otherRoom: string;
let transcriptId: string;
const LONG_NAME = 'Bartholomew-Maximilian Featherstonehaugh-Wolfeschlegelsteinhausen';

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webpages'), launchChromium()]);
  owner = await product.createUser({ email: `${uniqueName('owner')}@example.com` });
  const em = product.services.db.em.fork();
  roomName = uniqueName('weekly').replace(/^weekly/, 'weekly-');
  otherRoom = uniqueName('retro').replace(/^retro/, 'retro-');
  const { room, meeting } = await seedRoom(em, { name: roomName, ownerId: owner.id });
  // Eleven more ended meetings in the first room, one in another: twelve in all across two pages and two rooms.
  for (let i = 1; i <= 11; i++) {
    em.create(Meeting, {
      room, platform: 'daily', platformRoomName: `${roomName}-${i}`, startDate: new Date(Date.now() - (i + 2) * 86_400_000), endDate: new Date(Date.now() - (i + 2) * 86_400_000 + 1_800_000),
      endedAt: new Date(Date.now() - (i + 2) * 86_400_000 + 1_200_000), recordingType: 'cloud', recordingTrigger: 'automatic', active: false,
    });
  }
  const other = em.create(Room, { name: otherRoom, ownerId: owner.id });
  em.create(Meeting, { room: other, platform: 'daily', platformRoomName: `${otherRoom}-1`, startDate: new Date(Date.now() - 20 * 86_400_000), endDate: new Date(), recordingType: 'cloud', recordingTrigger: 'automatic', active: false });
  const at = (s: number) => new Date(meeting.startDate.getTime() + s * 1000);
  em.create(ParticipantSession, { meeting, sessionId: 's1', userName: 'Ada', joinedAt: at(1), leftAt: at(600) });
  em.create(ParticipantSession, { meeting, sessionId: 's2', userName: LONG_NAME, joinedAt: at(2), leftAt: at(600) });
  await em.flush();
  const raw = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', recordedAt: at(3), transcript: true, mp3: true });
  await seedRecording(em, product.services.storage, { meeting, type: 'cloud', recordedAt: at(3) });
  raw.transcript!.title = 'Roadmap for the spring release';
  raw.transcript!.participants = [{ speaker: 0, name: 'Ada', platformParticipantId: null, userId: null }, { speaker: 1, name: LONG_NAME, platformParticipantId: null, userId: null }];
  await em.flush();
  transcriptId = raw.transcript!.id;
  const segments = [
    { speaker: 0, speakerName: 'Ada', start: 0, end: 4, text: 'Shall we go through the roadmap for the spring release?' },
    { speaker: 1, speakerName: LONG_NAME, start: 4.5, end: 9, text: 'Yes, the export work lands first and the calendar after it.' },
  ];
  await product.services.storage.put(`transcripts/${transcriptId}/segments.json`, JSON.stringify(segments), { contentType: 'application/json' });
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

test('the meetings list: participants, status and transcripts by title, pages of ten, filters by room and status', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto('/');
  await signIn(page, owner.email, owner.password);
  // The room list names both kinds a cloud room records, and leads to the room's meetings.
  await page.getByText(/recording: cloud: video and each speaker’s audio/).first().waitFor();
  await page.getByRole('link', { name: `Meetings in room ${roomName}` }).click();
  await page.getByRole('heading', { name: 'Meetings' }).waitFor();
  assert.equal(await page.getByLabel('Room').inputValue(), roomName);
  await page.getByText('1–10 of 12').waitFor();
  const rows = page.locator('table.meetings tbody tr');
  const newest = rows.first();
  assert.match(await newest.innerText(), new RegExp(`${roomName}[\\s\\S]*Ada, ${LONG_NAME}`));
  await newest.getByRole('link', { name: 'Roadmap for the spring release' }).waitFor();
  assert.match(await rows.nth(1).innerText(), /nobody joined[\s\S]*not recorded/);
  await assertAccessibleControls(page, 'meetings');
  await screenshot(page, '60-meetings');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('11–12 of 12').waitFor();
  assert.equal(await rows.count(), 2);

  // All rooms: thirteen; the other room only: one; open meetings: none.
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByText('1–10 of 13').waitFor();
  await page.getByLabel('Room').fill(otherRoom);
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('1–1 of 1').waitFor();
  assert.match(await rows.first().innerText(), new RegExp(otherRoom));
  await page.getByLabel('Room').fill('');
  await page.getByLabel('Status').selectOption('active');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No meeting matches these filters.').waitFor();
  assert.match(page.url(), /\/meetings\?status=active$/);

  await page.getByLabel('Status').selectOption('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('1–10 of 13').waitFor();
  await rows.first().getByRole('link', { name: 'Roadmap for the spring release' }).click();
  await page.getByRole('heading', { name: 'Roadmap for the spring release' }).waitFor();
  await page.setViewportSize(PHONE);
  await page.goto('/meetings');
  await page.getByText('1–10 of 13').waitFor();
  await assertNoSidewaysScroll(page, 'meetings');
  await screenshot(page, '61-meetings-phone');
  assert.deepEqual(errors, []);
});

test('the transcript page: a long speaker name wraps in its column, every export is offered, the simulated composite says what it is', { timeout: 90_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto(`/transcripts/${transcriptId}`);
  await signIn(page, owner.email, owner.password);
  const turn = page.locator('.turn').nth(1);
  await turn.getByText(LONG_NAME).waitFor();
  for (const viewport of [{ width: 1280, height: 900 }, PHONE]) {
    await page.setViewportSize(viewport);
    const [name, text] = await Promise.all([turn.locator('.turn-speaker').boundingBox(), turn.locator('.turn-text').boundingBox()]);
    const overlaps = name!.x < text!.x + text!.width && text!.x < name!.x + name!.width && name!.y < text!.y + text!.height && text!.y < name!.y + name!.height;
    assert.equal(overlaps, false, `at ${viewport.width} px the name ${JSON.stringify(name)} overlaps the words ${JSON.stringify(text)}`);
    const scrollWidth = await turn.locator('.turn-speaker').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(scrollWidth <= 1, `at ${viewport.width} px the name overflows its column by ${scrollWidth} px`);
  }
  await screenshot(page, '62-transcript-long-name-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  const offered = (await product.request('GET', `/v1/transcripts/${transcriptId}`, undefined, owner.headers)).body.exports as Record<string, string>;
  const downloads = page.getByRole('region', { name: 'Downloads' });
  const hrefs = await downloads.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  for (const [format, url] of Object.entries(offered)) assert.ok(hrefs.includes(url), `export ${format} (${url}) is not offered: ${hrefs.join(', ')}`);
  await downloads.getByRole('link', { name: 'Text with timestamps' }).waitFor();

  const video = page.getByRole('region', { name: 'Cloud recording' });
  await video.getByText(/Recorded by the simulator: a simulated call has no cameras, so the picture is a plain dark frame/).waitFor();
  assert.deepEqual(errors, []);
});

test('the recordings list shows each recording’s meeting title and participants', { timeout: 60_000 }, async () => {
  const { page, errors } = await openPage(browser, product.url);
  await page.goto(`/recordings?room=${roomName}`);
  await signIn(page, owner.email, owner.password);
  const rows = page.locator('table.recordings tbody tr');
  await page.getByText('1–2 of 2').waitFor();
  for (let i = 0; i < 2; i++) {
    const text = await rows.nth(i).innerText();
    assert.match(text, /Roadmap for the spring release/);
    assert.match(text, new RegExp(`Ada, ${LONG_NAME}`));
  }
  assert.deepEqual(errors, []);
});

test('the account page changes the password: the old one stops working, the new one signs in', { timeout: 90_000 }, async () => {
  const user = await product.createUser({ email: `${uniqueName('pw')}@example.com` });
  const { page, context, errors } = await openPage(browser, product.url);
  await page.goto('/');
  await signIn(page, user.email, user.password);
  await page.getByRole('link', { name: /, your account$/ }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.getByText(user.email).first().waitFor();
  await assertAccessibleControls(page, 'account');

  // A wrong current password, then two new ones that differ, then a weak one: each named at its field.
  await page.getByLabel('Current password').fill('not-my-password');
  await page.getByLabel('New password', { exact: true }).fill('a-new-long-passphrase-42');
  await page.getByLabel('New password again').fill('a-new-long-passphrase-42');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('The current password is wrong').waitFor();
  await page.getByLabel('Current password').fill(user.password);
  await page.getByLabel('New password again').fill('something else');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('does not match the new password').waitFor();
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByLabel('New password again').fill('short');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator('.field-error, [role="alert"]').filter({ hasText: /characters|short/i }).first().waitFor();
  await screenshot(page, '63-account-password-error');

  await page.getByLabel('New password', { exact: true }).fill('a-new-long-passphrase-42');
  await page.getByLabel('New password again').fill('a-new-long-passphrase-42');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
  await screenshot(page, '64-account-password-changed');
  assert.deepEqual(errors.filter((e) => !/40[03]/.test(e)), []);
  await context.close();

  const oldOne = await fetch(`${product.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) });
  assert.equal(oldOne.status, 401);
  const again = await openPage(browser, product.url);
  await again.page.goto('/');
  await signIn(again.page, user.email, 'a-new-long-passphrase-42');
  await again.context.close();
});
