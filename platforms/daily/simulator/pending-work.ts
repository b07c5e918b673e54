import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/** Counts background work (media jobs, webhook deliveries and their retries) so callers can wait for quiet. */
export class PendingWork {
  #count = 0;
  #waiters: Array<() => void> = [];
  readonly #onSettled: () => void;

  /** `onSettled` runs after each piece of work (the simulator saves its state then). */
  constructor(onSettled: () => void = () => undefined) {
    this.#onSettled = onSettled;
  }

  /** Work must be tracked before the work that spawned it settles, or quiet is seen too early. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#count += 1;
    return work.finally(() => {
      this.#onSettled();
      this.#count -= 1;
      if (this.#count === 0) for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.#count > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
      // Let just-settled work schedule its follow-ups before calling it quiet.
      await nextTurn();
      if (this.#count === 0) return;
    }
  }
}

/** Runs `then` after a wall-clock delay unless `signal` aborts first. */
export async function afterUnlessAborted(ms: number, signal: AbortSignal, then: () => unknown): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    return;
  }
  await then();
}
