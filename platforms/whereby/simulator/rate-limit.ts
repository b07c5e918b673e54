// Whereby's REST rate limit (docs.whereby.com, "Rate limits"): a points budget per organization per minute,
// each request costing by its method (GET 1, DELETE 2, POST 3; the Build plan has 100 points, Grow 1000).
// A request the budget cannot pay for is answered 429 with Retry-After (seconds), X-RateLimit-* headers and
// `{"error":"Rate limit active for throttle key: organization:<id>","data":{"msLeft":<ms>}}`. The window is a
// fixed minute from the first request that spent points in it; transport time, so the wall clock.

export const POINTS_BY_METHOD: Record<string, number> = { GET: 1, DELETE: 2, POST: 3 };

export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
  msLeft: number;
}

export class PointsRateLimiter {
  readonly pointsPerMinute: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #spent = 0;

  constructor(pointsPerMinute: number, windowMs = 60_000) {
    this.pointsPerMinute = pointsPerMinute;
    this.#windowMs = windowMs;
  }

  /** Spends the request's points when the window still has them. */
  spend(method: string, now = Date.now()): RateLimitVerdict {
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#spent = 0;
    }
    const cost = POINTS_BY_METHOD[method] ?? 1;
    const allowed = this.#spent + cost <= this.pointsPerMinute;
    if (allowed) this.#spent += cost;
    const msLeft = this.#windowStart + this.#windowMs - now;
    return {
      allowed,
      msLeft,
      headers: {
        'x-ratelimit-limit': String(this.pointsPerMinute),
        'x-ratelimit-remaining': String(this.pointsPerMinute - this.#spent),
        'x-ratelimit-reset': String(Math.ceil((this.#windowStart + this.#windowMs) / 1000)),
      },
    };
  }
}
