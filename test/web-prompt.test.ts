// The `prompt` recording trigger in real Chromium: the room's owner is asked on joining whether to record,
// and the answer is what happens — "Start recording" starts the meeting's recordings (the workflow says so),
// "Not now" leaves the meeting unrecorded with the owner's start button in its place. Nobody else is asked,
// and a participant's page asking on its own (as automatic triggers do) starts nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { Meeting } from '../db/entities.ts';
import { launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;

before(async () => {
  [product, browser] = await Promise.all([startWebProduct('webprompt', { worker: { queues: ['meetings'] } }), launchChromium()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
});

async function promptRoom(): Promise<string> {
  const roomName = uniqueName('ask').replace(/^ask/, 'ask-');
  const created = await product.request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'prompt', allowAnonymous: true });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return roomName;
}

async function join(page: Page, roomName: string, name: string): Promise<void> {
  await page.goto(`/${roomName}`);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join meeting' }).click();
  await page.getByRole('heading', { name: 'This meeting is recorded' }).waitFor();
  await page.getByRole('button', { name: 'Keep the audio' }).click();
  await page.getByRole('listitem', { name: `${name} (you)` }).waitFor();
}

/** The room's owner (the admin, who created it) signs in and joins as Ada. */
async function ownerJoins(roomName: string): Promise<Awaited<ReturnType<typeof openPage>>> {
  const owner = await openPage(browser, product.url);
  await owner.page.goto('/signin');
  await signIn(owner.page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await join(owner.page, roomName, 'Ada');
  return owner;
}

async function meetingOf(roomName: string): Promise<{ id: string; recording: string }> {
  const meeting = await product.services.db.em.fork().findOne(Meeting, { room: { name: roomName }, active: true });
  assert.ok(meeting, 'the room has an active meeting');
  const state = await product.request('GET', `/v1/meetings/${meeting.id}/state`);
  assert.equal(state.status, 200, JSON.stringify(state.body));
  return { id: meeting.id, recording: (state.body as { recording: { status: string } }).recording.status };
}

test('prompt: the owner is asked on joining, and "Start recording" records', { timeout: 120_000 }, async () => {
  const roomName = await promptRoom();
  const owner = await ownerJoins(roomName);

  // A guest in the same meeting is not asked and cannot start anything.
  const guest = await openPage(browser, product.url);
  await join(guest.page, roomName, 'Linus');
  assert.equal(await guest.page.getByRole('group', { name: 'Record this meeting?' }).count(), 0, 'the guest is not asked');
  assert.equal(await guest.page.getByRole('button', { name: 'Start recording' }).count(), 0);
  assert.equal((await meetingOf(roomName)).recording, 'idle', 'joining alone records nothing under "prompt"');

  const question = owner.page.getByRole('group', { name: 'Record this meeting?' });
  await question.waitFor();
  await screenshot(owner.page, '60-prompt-asked');
  await question.getByRole('button', { name: 'Start recording' }).click();
  await owner.page.locator('.recording-indicator[data-status="recording"]').waitFor({ timeout: 60_000 });
  assert.equal(await question.count(), 0, 'the question is gone once answered');
  assert.equal((await meetingOf(roomName)).recording, 'recording');
  assert.deepEqual([...owner.errors, ...guest.errors], []);
  await Promise.all([owner.context.close(), guest.context.close()]);
});

test('prompt: "Not now" records nothing and leaves the owner a start button', { timeout: 120_000 }, async () => {
  const roomName = await promptRoom();
  const owner = await ownerJoins(roomName);
  const question = owner.page.getByRole('group', { name: 'Record this meeting?' });
  await question.getByRole('button', { name: 'Not now' }).click();
  await owner.page.getByRole('button', { name: 'Start recording' }).waitFor();
  assert.equal(await question.count(), 0);
  assert.equal(await owner.page.locator('.recording-indicator').getAttribute('data-status'), 'idle');

  // A page's own request (what automatic triggers send) is refused with the reason under "prompt".
  const { id } = await meetingOf(roomName);
  const asked = await product.request('POST', `/v1/meetings/${id}/recordings/start`, { manual: false });
  assert.equal(asked.status, 200, JSON.stringify(asked.body));
  assert.match((asked.body as { note?: string }).note ?? '', /only the host/);
  assert.equal((await meetingOf(roomName)).recording, 'idle');
  assert.deepEqual(owner.errors, []);
  await owner.context.close();
});
