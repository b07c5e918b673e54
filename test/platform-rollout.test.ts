// The rollout rule: which platform a new room is made on when its owner does not choose, and the variables
// that state it (refused at start-up when they name a platform this deployment does not run).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { rolloutPlatform, type PlatformRollout } from '../platforms/rollout.ts';
import { parseConfig, ConfigError } from '../runtime/config.ts';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';

const secret = { appSecret: () => 's'.repeat(43) };

describe('platform rollout rule', () => {
  const rule: PlatformRollout = { enabled: true, legacy: 'daily', target: 'livekit', rooms: ['standup', 'all-hands'], default: 'daily' };

  it('switch off: every room on the legacy platform, listed or not', () => {
    const off = { ...rule, enabled: false };
    assert.equal(rolloutPlatform(off, 'standup'), 'daily');
    assert.equal(rolloutPlatform(off, 'anything'), 'daily');
  });

  it('switch on: the listed rooms on the target, the others on the default', () => {
    assert.equal(rolloutPlatform(rule, 'standup'), 'livekit');
    assert.equal(rolloutPlatform(rule, 'all-hands'), 'livekit');
    assert.equal(rolloutPlatform(rule, 'standup-2'), 'daily');
    assert.equal(rolloutPlatform({ ...rule, default: 'livekit', rooms: [] }, 'anything'), 'livekit');
  });

  it('reads its variables, defaulting to the first configured platform', () => {
    const plain = parseConfig({ PLATFORMS: 'daily' }, secret);
    assert.deepEqual(plain.platforms, { enabled: ['daily'], rollout: { enabled: false, legacy: 'daily', target: 'daily', rooms: [], default: 'daily' } });
    const migrating = parseConfig({
      PLATFORMS: 'daily,livekit', PLATFORM_ROLLOUT: 'true', PLATFORM_ROLLOUT_TARGET: 'livekit', PLATFORM_ROLLOUT_ROOMS: 'standup,all-hands', PLATFORM_DEFAULT: 'daily',
    }, secret);
    assert.deepEqual(migrating.platforms, { enabled: ['daily', 'livekit'], rollout: { enabled: true, legacy: 'daily', target: 'livekit', rooms: ['standup', 'all-hands'], default: 'daily' } });
  });

  it('states the design\'s migration from Whereby to Daily: listed rooms first, then every new room', () => {
    const whereby = { WHEREBY_API_KEY: 'key', WHEREBY_WEBHOOK_SECRET: 'w'.repeat(24), PLATFORMS: 'whereby,daily', PLATFORM_LEGACY: 'whereby', PLATFORM_ROLLOUT_TARGET: 'daily' };
    // Before the switch: every new room where rooms have always been.
    const before = parseConfig(whereby, secret).platforms.rollout;
    assert.equal(rolloutPlatform(before, 'standup'), 'whereby');
    // Migrating: the listed rooms move to Daily, the others stay on Whereby.
    const migrating = parseConfig({ ...whereby, PLATFORM_ROLLOUT: 'true', PLATFORM_ROLLOUT_ROOMS: 'standup' }, secret).platforms.rollout;
    assert.equal(rolloutPlatform(migrating, 'standup'), 'daily');
    assert.equal(rolloutPlatform(migrating, 'retro'), 'whereby');
    // Done: every new room on Daily; Whereby stays configured for the rooms already made on it.
    const done = parseConfig({ ...whereby, PLATFORM_ROLLOUT: 'true', PLATFORM_DEFAULT: 'daily' }, secret);
    assert.equal(rolloutPlatform(done.platforms.rollout, 'anything'), 'daily');
    assert.deepEqual(done.platforms.enabled, ['whereby', 'daily']);
  });

  it('refuses a rule naming a platform not configured, or a switch with no target', () => {
    assert.throws(() => parseConfig({ PLATFORMS: 'daily', PLATFORM_ROLLOUT: 'true', PLATFORM_ROLLOUT_TARGET: 'livekit' }, secret), (error: unknown) => error instanceof ConfigError && /PLATFORM_ROLLOUT_TARGET: livekit is not among PLATFORMS/.test(error.message));
    assert.throws(() => parseConfig({ PLATFORMS: 'daily,livekit', PLATFORM_ROLLOUT: 'true' }, secret), /PLATFORM_ROLLOUT_TARGET is required/);
    assert.throws(() => parseConfig({ PLATFORMS: 'daily,zoom' }, secret), /PLATFORMS.*must be one of daily, livekit/s);
  });
});

describe('the rollout rule in a deployment migrating rooms from Daily to LiveKit', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({
      name: 'rollout', livekit: true,
      env: { RECORDING_READY_TIMEOUT_SECONDS: '6', PLATFORM_ROLLOUT: 'true', PLATFORM_LEGACY: 'daily', PLATFORM_ROLLOUT_TARGET: 'livekit', PLATFORM_ROLLOUT_ROOMS: 'standup,all-hands', PLATFORM_DEFAULT: 'daily' },
    });
  });
  after(() => product?.stop());

  it('gives each new room the platform the rule says, unless its owner chooses', async () => {
    const made = async (body: object) => {
      const answer = await product.request('POST', '/v1/rooms', body);
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body.platform as string;
    };
    assert.equal(await made({ name: 'standup' }), 'livekit', 'in the migration list: the target');
    assert.equal(await made({ name: 'all-hands' }), 'livekit');
    assert.equal(await made({ name: 'standup-2' }), 'daily', 'not listed: the default');
    assert.equal(await made({ name: 'retro', platform: 'livekit' }), 'livekit', "the owner's choice");
    const defaults = (await product.request('GET', '/v1/room-defaults')).body;
    assert.equal(defaults.defaults.platform, 'daily');
    assert.deepEqual(defaults.platforms.map((p: { name: string }) => p.name), ['daily', 'livekit']);
  });

  it('keeps a meeting on its platform when its room moves during it; the next meeting is on the new one', { timeout: 180_000 }, async () => {
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'weekly', recordingTrigger: 'automatic' })).body.platform, 'daily');
    const meeting = (await product.request('POST', '/v1/rooms/weekly/meetings')).body;
    assert.equal(meeting.platform, 'daily');
    const owner = await product.daily.join(meeting.platformRoomName, { userName: 'Olga', userId: 'olga', owner: true });
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');

    // The room moves to LiveKit mid-meeting.
    const moved = await product.request('PATCH', '/v1/rooms/weekly', { platform: 'livekit' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.platform, 'livekit');

    // The meeting stays where it was: the same meeting, its Daily room, Daily tokens, Daily's webhooks.
    const again = (await product.request('POST', '/v1/rooms/weekly/meetings')).body;
    assert.equal(again.id, meeting.id, 'the running meeting, not a new one');
    assert.equal(again.platform, 'daily');
    const join = await product.request('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Pia' });
    assert.equal(join.status, 200, JSON.stringify(join.body));
    const pia = await product.daily.join(meeting.platformRoomName, { token: join.body.token });
    await product.daily.say(owner.sessionId, { text: 'We stay on the platform we started on.' });
    await sleep(2500);
    for (const session of [pia.sessionId, owner.sessionId]) await product.daily.leave(session);
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
    const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    assert.equal(state.phase, 'ended');
    assert.deepEqual(state.recordings.map((r) => `${r.kind}:${r.status}`).sort(), ['cloud:ready', 'raw-tracks:ready'], JSON.stringify(state.recordings));
    const runs = [];
    for await (const run of product.services.temporal.workflow.list({ query: `Platform = "daily" AND WorkflowId = "${meetingWorkflowId(meeting.id)}"` })) runs.push(run);
    assert.equal(runs.length, 1, 'its run is findable as a Daily meeting');

    const next = (await product.request('POST', '/v1/rooms/weekly/meetings')).body;
    assert.notEqual(next.id, meeting.id);
    assert.equal(next.platform, 'livekit');
    assert.equal((await product.request('POST', `/v1/meetings/${next.id}/end`)).status, 202);
  });
});
