import { PlatformApiError, type Platform } from './platform.ts';
import { metrics } from '../runtime/metrics.ts';
import { DailyPlatform } from './daily/daily-platform.ts';
import type { DailyPlatformOptions } from './daily/daily-platform.ts';
import { rolloutPlatform, type PlatformRollout } from './rollout.ts';
import type { PlatformName as StoredPlatformName } from '../db/entities.ts';
import { LiveKitPlatform } from './livekit/livekit-platform.ts';
import type { LiveKitPlatformOptions } from './livekit/livekit-platform.ts';
import { WherebyPlatform } from './whereby/whereby-platform.ts';
import type { WherebyPlatformOptions } from './whereby/whereby-platform.ts';
import { HmsPlatform } from './hms/hms-platform.ts';
import type { HmsPlatformOptions } from './hms/hms-platform.ts';

// The registry of video platforms: configuration names the ones this deployment runs, this builds them, and
// the PlatformRegistry hands each meeting the platform it was created on.

export interface PlatformOptionsByName {
  daily: DailyPlatformOptions;
  livekit: LiveKitPlatformOptions;
  whereby: WherebyPlatformOptions;
  '100ms': HmsPlatformOptions;
}

export type PlatformName = keyof PlatformOptionsByName;

const factories: { [N in PlatformName]: (options: PlatformOptionsByName[N]) => Platform } = {
  daily: (options) => new DailyPlatform(options),
  livekit: (options) => new LiveKitPlatform(options),
  whereby: (options) => new WherebyPlatform(options),
  '100ms': (options) => new HmsPlatform(options),
};

export const PLATFORM_NAMES = Object.keys(factories) as PlatformName[];

export function createPlatform<N extends PlatformName>(name: N, options: PlatformOptionsByName[N]): Platform {
  const factory = factories[name];
  if (!factory) throw new Error(`unknown video platform: ${String(name)}`);
  return countingCalls(factory(options));
}

/** The seam's calls that reach the platform's API, counted in platform_api_requests_total by outcome. */
const API_CALLS = new Set<string>(['createRoom', 'deleteRoom', 'createJoinToken', 'startRecording', 'stopRecording', 'listRecordings', 'getRecording', 'getMeetingParticipants', 'hasOngoingMeeting', 'recordingFileLink', 'publishedAudioTracks', 'startTrackRecording', 'stopTrackRecording']);

/** `ok`, or what went wrong: `rate_limited` (429), `client_error` (another 4xx), `server_error` (5xx), `failed` (no answer, a bad body). */
function callOutcome(error: unknown): string {
  if (!(error instanceof PlatformApiError)) return 'failed';
  return error.status === 429 ? 'rate_limited' : error.status >= 500 ? 'server_error' : 'client_error';
}

function countingCalls(platform: Platform): Platform {
  return new Proxy(platform, {
    get(target, key, proxy) {
      // The adapter's own `this` (its private fields), not the proxy's; the adapter handed out as itself (its own
      // trackRecorder) is handed out counted.
      const value: unknown = Reflect.get(target, key, target);
      if (value === target) return proxy;
      if (typeof value !== 'function') return value;
      if (typeof key !== 'string' || !API_CALLS.has(key)) return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          const result: unknown = await value.apply(target, args);
          metrics.platformApiRequests.inc({ platform: target.name, operation: key, outcome: 'ok' });
          return result;
        } catch (error) {
          metrics.platformApiRequests.inc({ platform: target.name, operation: key, outcome: callOutcome(error) });
          throw error;
        }
      };
    },
  });
}

/** A room or meeting names a platform this deployment does not run. */
export class PlatformNotConfiguredError extends Error {
  readonly platform: string;
  readonly configured: readonly string[];
  constructor(platform: string, configured: readonly string[]) {
    super(`the ${platform} platform is not configured on this server (configured: ${configured.join(', ')})`);
    this.name = 'PlatformNotConfiguredError';
    this.platform = platform;
    this.configured = configured;
  }
}

/** The platforms configured here, side by side, and the rule that gives a new room its platform. */
export class PlatformRegistry {
  readonly all: readonly Platform[];
  readonly rollout: PlatformRollout;

  /** Without a rule: every room on the first platform. */
  constructor(platforms: readonly Platform[], rollout?: PlatformRollout) {
    if (platforms.length === 0) throw new Error('at least one video platform must be configured');
    this.all = platforms;
    const first = platforms[0]!.name as StoredPlatformName;
    this.rollout = rollout ?? { enabled: false, legacy: first, target: first, rooms: [], default: first };
  }

  get names(): string[] {
    return this.all.map((p) => p.name);
  }

  find(name: string): Platform | undefined {
    return this.all.find((p) => p.name === name);
  }

  /** The meeting's (or room's) platform; PlatformNotConfiguredError when this deployment does not run it. */
  get(name: string): Platform {
    const platform = this.find(name);
    if (!platform) throw new PlatformNotConfiguredError(name, this.names);
    return platform;
  }

  /** Where a new room goes when its owner does not choose (platforms/rollout.ts). */
  forNewRoom(roomName: string): StoredPlatformName {
    return rolloutPlatform(this.rollout, roomName);
  }
}
