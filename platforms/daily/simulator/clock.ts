/**
 * The simulator's meeting timeline.
 *
 * Two clocks split the simulator's notion of time:
 * - The timeline clock (this module) stamps everything Daily derives from the meeting itself: joins, leaves,
 *   speech, recording start/stop, object keys (`…/{rec_start_ms}-{session}-cam-audio-{track_start_ms}`),
 *   the media's offsets and durations, webhook payload times and `event_ts`, REST timestamps.
 *   - `real`: the timeline is the wall clock.
 *   - `virtual`: the timeline starts at `startAt` (default: now) and moves only when advanced — by
 *     runScenario, the control API or a test. Timers set on it (the grace before meeting.ended) fire in order
 *     as it passes them, so an hour of meeting runs as fast as its media can be encoded, deterministically.
 *     Between advances it stands still: a REST call (say, our API starting a recording) lands at the
 *     timeline's current instant.
 * - The wall clock governs transport only: X-Webhook-Timestamp (receivers compare it with their own clock),
 *   webhook retry backoff and timeouts, REST rate-limit windows and media encoding.
 */

export type SimClockConfig = { mode: 'real' } | { mode: 'virtual'; startAt?: Date };

export interface SimClock {
  readonly mode: 'real' | 'virtual';
  /** Epoch milliseconds on the meeting timeline. */
  now(): number;
  /** Runs `fn` once the timeline reaches `atMs`; returns a cancel function. */
  at(atMs: number, fn: () => void): () => void;
  /** Moves a virtual timeline forward, firing due timers in order. Throws on a real clock. */
  advance(ms: number): void;
  /** Cancels every pending timer. */
  dispose(): void;
}

export function createSimClock(config: SimClockConfig = { mode: 'real' }): SimClock {
  return config.mode === 'real' ? realClock() : virtualClock(config.startAt?.getTime() ?? Date.now());
}

function realClock(): SimClock {
  const timers = new Set<NodeJS.Timeout>();
  return {
    mode: 'real',
    now: () => Date.now(),
    at(atMs, fn) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, Math.max(0, atMs - Date.now()));
      timers.add(timer);
      return () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
    },
    advance() {
      throw new Error('a real-time simulator clock cannot be advanced');
    },
    dispose() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

interface VirtualTimer {
  atMs: number;
  seq: number;
  fn: () => void;
}

function virtualClock(startMs: number): SimClock {
  let nowMs = startMs;
  let seq = 0;
  let timers: VirtualTimer[] = [];
  return {
    mode: 'virtual',
    now: () => nowMs,
    at(atMs, fn) {
      const timer = { atMs, seq: seq++, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`cannot advance the clock by ${ms} ms`);
      const target = nowMs + ms;
      for (;;) {
        const due = timers.filter((t) => t.atMs <= target).sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        nowMs = Math.max(nowMs, due.atMs);
        due.fn();
      }
      nowMs = target;
    },
    dispose() {
      timers = [];
    },
  };
}
