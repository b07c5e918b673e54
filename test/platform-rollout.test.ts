// The rollout rule: which platform a new room is made on when its owner does not choose, and the variables
// that state it (refused at start-up when they name a platform this deployment does not run).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rolloutPlatform, type PlatformRollout } from '../platforms/rollout.ts';
import { parseConfig, ConfigError } from '../runtime/config.ts';

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

  it('refuses a rule naming a platform not configured, or a switch with no target', () => {
    assert.throws(() => parseConfig({ PLATFORMS: 'daily', PLATFORM_ROLLOUT: 'true', PLATFORM_ROLLOUT_TARGET: 'livekit' }, secret), (error: unknown) => error instanceof ConfigError && /PLATFORM_ROLLOUT_TARGET: livekit is not among PLATFORMS/.test(error.message));
    assert.throws(() => parseConfig({ PLATFORMS: 'daily,livekit', PLATFORM_ROLLOUT: 'true' }, secret), /PLATFORM_ROLLOUT_TARGET is required/);
    assert.throws(() => parseConfig({ PLATFORMS: 'daily,zoom' }, secret), /PLATFORMS.*must be one of daily, livekit/s);
  });
});
