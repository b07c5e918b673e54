// Which platform a new room is made on when its owner does not choose (a migration between platforms, room by
// room). The rule, with its variables (runtime/config.ts, README "Platforms"):
//   PLATFORM_ROLLOUT off                          → PLATFORM_LEGACY (every room where rooms have always been)
//   on, and the room named in PLATFORM_ROLLOUT_ROOMS → PLATFORM_ROLLOUT_TARGET (the rooms being migrated)
//   on, any other room                            → PLATFORM_DEFAULT
// An owner's explicit choice (among the configured platforms) wins over the rule. The choice is made once, when
// the room is created, and stored on it; a meeting keeps the platform it was created on. The rule itself is in
// shared/, where the browser's room form applies it too.
import type { PlatformName } from '../db/entities.ts';
import type { PlatformRollout as RolloutOf } from '../shared/platform-rollout.ts';

export { rolloutPlatform } from '../shared/platform-rollout.ts';

export type PlatformRollout = RolloutOf<PlatformName>;

/** Every platform the rule may name. */
export const ruleNames = (rule: PlatformRollout): PlatformName[] => [...new Set([rule.legacy, rule.target, rule.default])];
