// Rate limits for the endpoints strangers can reach: sign-in (password guessing) and the public ones
// (public links, anonymous joining: counted for callers without an account only). A fixed one-minute window per client address and limit, kept in this
// process's memory: each API process counts on its own, so N processes allow up to N× the figure — enough to
// stop guessing, without a shared store. (Behind a proxy, set the proxy to forward the client address.)
import { ApiError } from './errors.ts';
import type { ApiContext } from './app.ts';

export type RateLimitName = 'login' | 'public';

interface Window {
  startedAt: number;
  count: number;
}

const WINDOW_MS = 60_000;

export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #limits: Record<RateLimitName, number>;
  #lastSweep = 0;

  constructor(limits: Record<RateLimitName, number>) {
    this.#limits = limits;
  }

  /** Counts this request; 429 with Retry-After once the client has used its minute's allowance. */
  check(ctx: ApiContext, name: RateLimitName, now = Date.now()): void {
    if (now - this.#lastSweep > WINDOW_MS) {
      for (const [key, window] of this.#windows) if (now - window.startedAt >= WINDOW_MS) this.#windows.delete(key);
      this.#lastSweep = now;
    }
    const key = `${name}\u0000${ctx.ip}`;
    let window = this.#windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      window = { startedAt: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    const limit = this.#limits[name];
    ctx.set('RateLimit-Limit', String(limit));
    ctx.set('RateLimit-Remaining', String(Math.max(0, limit - window.count)));
    if (window.count > limit) {
      const retryAfter = Math.ceil((window.startedAt + WINDOW_MS - now) / 1000);
      ctx.set('Retry-After', String(retryAfter));
      throw new ApiError(429, 'rate_limited', `Too many requests; try again in ${retryAfter} s`);
    }
  }
}
