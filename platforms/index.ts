import type { Platform } from './platform.ts';
import { DailyPlatform } from './daily/daily-platform.ts';
import type { DailyPlatformOptions } from './daily/daily-platform.ts';
import { LiveKitPlatform } from './livekit/livekit-platform.ts';
import type { LiveKitPlatformOptions } from './livekit/livekit-platform.ts';

// The registry of video platforms: configuration names one, this builds it.

export interface PlatformOptionsByName {
  daily: DailyPlatformOptions;
  livekit: LiveKitPlatformOptions;
}

export type PlatformName = keyof PlatformOptionsByName;

const factories: { [N in PlatformName]: (options: PlatformOptionsByName[N]) => Platform } = {
  daily: (options) => new DailyPlatform(options),
  livekit: (options) => new LiveKitPlatform(options),
};

export const PLATFORM_NAMES = Object.keys(factories) as PlatformName[];

export function createPlatform<N extends PlatformName>(name: N, options: PlatformOptionsByName[N]): Platform {
  const factory = factories[name];
  if (!factory) throw new Error(`unknown video platform: ${String(name)}`);
  return factory(options);
}
