// Which platform a new room is made on when its owner does not choose: one rule for the API
// (platforms/rollout.ts, which documents its variables) and the browser's room form, which preselects the
// rule's answer for the name being typed. No imports: the browser bundles this file as it is.

export interface PlatformRollout<Platform extends string = string> {
  /** The master switch. */
  enabled: boolean;
  /** While the switch is off. */
  legacy: Platform;
  /** Switch on: the platform for the rooms in `rooms`. */
  target: Platform;
  /** Switch on: room names (as in our URLs) moved to `target`. */
  rooms: readonly string[];
  /** Switch on: every room not in `rooms`. */
  default: Platform;
}

/** The platform the rule gives a new room of this name. */
export function rolloutPlatform<Platform extends string>(rule: PlatformRollout<Platform>, roomName: string): Platform {
  if (!rule.enabled) return rule.legacy;
  return rule.rooms.includes(roomName.toLowerCase()) ? rule.target : rule.default;
}
