// Process lifecycle: run until SIGINT/SIGTERM, then shut down in order, once. A stop that takes longer than
// `forceAfterMs` (8 s: the whole stop stays within 10 s), or a second signal more than a second after the
// first (a terminal's Ctrl-C and npm's forwarding of it arrive together, and are one request), ends the
// process at once, child process groups killed first.
import { killChildGroupsNow } from './child-process.ts';

export interface StopOptions {
  forceAfterMs?: number;
  /** Told why a stop was forced, just before the exit. */
  onForce?: (reason: string) => void;
}

const SAME_REQUEST_MS = 1_000;

export async function runUntilSignal(running: Promise<unknown>, shutdown: () => Promise<void>, options: StopOptions = {}): Promise<void> {
  const { forceAfterMs = 8_000, onForce = (reason: string) => process.stderr.write(`${reason}\n`) } = options;
  let stopping: Promise<void> | undefined;
  let stoppedOnSignal!: (stop: Promise<void>) => void;
  // A stop asked for by a signal ends the run once it is done, even if `running` never settles (a worker that
  // cannot finish its polls while its server is gone); its failure is the run's.
  const signalled = new Promise<void>((resolve, reject) => (stoppedOnSignal = (stop) => void stop.then(resolve, reject)));
  let firstSignalAt = 0;
  const force = (reason: string) => {
    onForce(reason);
    killChildGroupsNow();
    process.exit(1);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping === undefined) {
      firstSignalAt = Date.now();
      stopping = shutdown();
      stoppedOnSignal(stopping);
      setTimeout(() => force(`the stop took over ${forceAfterMs / 1000} s: stopping now`), forceAfterMs).unref();
    } else if (Date.now() - firstSignalAt > SAME_REQUEST_MS) {
      force(`${signal} again: stopping now`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await Promise.race([running, signalled]);
  } finally {
    await (stopping ??= shutdown());
  }
}
