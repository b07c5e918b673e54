import { setTimeout as sleep } from 'node:timers/promises';

// Daily's documented REST rate limits (docs.daily.co/docs/rest-api/authentication), shared by our client,
// which paces itself to stay under them, and by the simulator, which answers 429 above them.

export type DailyRateLimitClass = 'recording-start' | 'recordings-list' | 'room-delete' | 'general';

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export const DAILY_RATE_LIMITS: Readonly<Record<DailyRateLimitClass, RateWindow>> = {
  'recording-start': { limit: 5, windowMs: 5_000 },
  'recordings-list': { limit: 50, windowMs: 30_000 },
  'room-delete': { limit: 50, windowMs: 30_000 },
  general: { limit: 100, windowMs: 5_000 },
};

/** `path` is relative to /v1, without the query string. */
export function dailyRateLimitClass(method: string, path: string): DailyRateLimitClass {
  if (method === 'POST' && /^\/rooms\/[^/]+\/(recordings|live-streaming)\/start$/.test(path)) return 'recording-start';
  if (method === 'GET' && path === '/recordings') return 'recordings-list';
  if (method === 'DELETE' && /^\/rooms\/[^/]+$/.test(path)) return 'room-delete';
  return 'general';
}

/** The instants of recent requests in one window: a sliding-window log. */
export class SlidingWindow {
  readonly #window: RateWindow;
  readonly #sentAt: number[] = [];

  constructor(window: RateWindow) {
    this.#window = window;
  }

  /** Milliseconds until one more request fits; 0 when it fits now. */
  waitMs(now: number): number {
    while (this.#sentAt.length > 0 && this.#sentAt[0]! <= now - this.#window.windowMs) this.#sentAt.shift();
    if (this.#sentAt.length < this.#window.limit) return 0;
    return this.#sentAt[0]! + this.#window.windowMs - now;
  }

  record(now: number): void {
    this.#sentAt.push(now);
  }
}

/**
 * Client-side pacing: callers queue in order and each waits until its class's window has room.
 * `marginMs` widens the window to absorb network jitter between our clock and Daily's.
 */
export class DailyRateLimiter {
  readonly #windows = new Map<DailyRateLimitClass, SlidingWindow>();
  readonly #queues = new Map<DailyRateLimitClass, Promise<void>>();
  readonly #limits: Record<DailyRateLimitClass, RateWindow>;
  readonly #marginMs: number;

  constructor(limits: Partial<Record<DailyRateLimitClass, RateWindow>> = {}, marginMs = 100) {
    this.#limits = { ...DAILY_RATE_LIMITS, ...limits };
    this.#marginMs = marginMs;
  }

  acquire(cls: DailyRateLimitClass): Promise<void> {
    const turn = (this.#queues.get(cls) ?? Promise.resolve()).then(() => this.#waitForRoom(cls));
    this.#queues.set(cls, turn);
    return turn;
  }

  async #waitForRoom(cls: DailyRateLimitClass): Promise<void> {
    let window = this.#windows.get(cls);
    if (!window) {
      const { limit, windowMs } = this.#limits[cls];
      window = new SlidingWindow({ limit, windowMs: windowMs + this.#marginMs });
      this.#windows.set(cls, window);
    }
    for (let wait = window.waitMs(Date.now()); wait > 0; wait = window.waitMs(Date.now())) await sleep(wait);
    window.record(Date.now());
  }
}
