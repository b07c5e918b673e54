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

/** Items per key (a webhook URL) handled one at a time, in the order pushed; each run is tracked as pending work. */
export class OrderedQueues<T> {
  readonly #queues = new Map<string, { items: T[]; pumping: boolean }>();
  readonly #work: PendingWork;
  readonly #handle: (key: string, item: T) => Promise<void>;

  constructor(work: PendingWork, handle: (key: string, item: T) => Promise<void>) {
    this.#work = work;
    this.#handle = handle;
  }

  push(key: string, item: T): void {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { items: [], pumping: false };
      this.#queues.set(key, queue);
    }
    queue.items.push(item);
    if (queue.pumping) return;
    queue.pumping = true;
    const pumped = queue;
    void this.#work.track(
      (async () => {
        try {
          for (let next = pumped.items.shift(); next !== undefined; next = pumped.items.shift()) await this.#handle(key, next);
        } finally {
          pumped.pumping = false;
        }
      })(),
    );
  }
}
