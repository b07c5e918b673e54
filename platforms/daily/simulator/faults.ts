// Fault knobs: ways real Daily misbehaves that the product must survive. Each rule applies to the matching
// messages or calls, to a `fraction` of them (default all) and at most `count` times (default unlimited).

export interface FaultRuleBase {
  fraction?: number;
  count?: number;
}

export interface WebhookFaultRule extends FaultRuleBase {
  /**
   * drop: never sent. duplicate: sent twice (same id and body). delay: sent `delayMs` later (later
   * events overtake it). reorder: held back until the next event has gone out (or `delayMs`, default 1 s).
   */
  action: 'drop' | 'duplicate' | 'delay' | 'reorder';
  /** Daily event types, e.g. `participant.joined`; all when absent. */
  types?: string[];
  /** `recording.ready-to-download` only: the recording's kind (`cloud`, `raw-tracks`); all when absent. */
  recordingTypes?: string[];
  delayMs?: number;
}

export interface ApiFaultRule extends FaultRuleBase {
  /** Route keys as in stats().restCalls, e.g. `POST /rooms/:name/recordings/start`; all when absent. */
  routes?: string[];
  /** Default 503, Daily's "not enough workers available, you may retry". */
  status?: number;
}

export interface SimFaults {
  webhooks?: WebhookFaultRule[];
  api?: ApiFaultRule[];
  /** Fraction of recordings whose REST view has `mtgSessionId: null`, as Daily's sometimes does. */
  recordingsWithoutMeetingSession?: number;
}

/** Mulberry32: a small seeded generator so fault runs can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decides whether a rule fires for one message or call, consuming its count when it does. */
export function ruleFires(rule: FaultRuleBase, random: () => number): boolean {
  if (rule.count !== undefined && rule.count <= 0) return false;
  if (random() >= (rule.fraction ?? 1)) return false;
  if (rule.count !== undefined) rule.count -= 1;
  return true;
}
