// Which platform a new room is made on when its owner does not choose (a migration between platforms, room by
// room). The rule, with its variables (runtime/config.ts, README "Platforms"):
//   PLATFORM_ROLLOUT off                          → PLATFORM_LEGACY (every room where rooms have always been)
//   on, and the room named in PLATFORM_ROLLOUT_ROOMS → PLATFORM_ROLLOUT_TARGET (the rooms being migrated)
//   on, any other room                            → PLATFORM_DEFAULT
// An owner's explicit choice (among the configured platforms) wins over the rule. The choice is made once, when
// the room is created, and stored on it; a meeting keeps the platform it was created on.
import type { PlatformName } from '../db/entities.ts';

export interface PlatformRollout {
  /** The master switch. */
  enabled: boolean;
  /** While the switch is off. */
  legacy: PlatformName;
  /** Switch on: the platform for the rooms in `rooms`. */
  target: PlatformName;
  /** Switch on: room names (as in our URLs) moved to `target`. */
  rooms: readonly string[];
  /** Switch on: every room not in `rooms`. */
  default: PlatformName;
}

/** The platform the rule gives a new room of this name. */
export function rolloutPlatform(rule: PlatformRollout, roomName: string): PlatformName {
  if (!rule.enabled) return rule.legacy;
  return rule.rooms.includes(roomName.toLowerCase()) ? rule.target : rule.default;
}

/** Every platform the rule may name. */
export const ruleNames = (rule: PlatformRollout): PlatformName[] => [...new Set([rule.legacy, rule.target, rule.default])];
