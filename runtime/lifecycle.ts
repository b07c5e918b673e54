// Process lifecycle: run until SIGINT/SIGTERM, then shut down in order, once.
export async function runUntilSignal(running: Promise<unknown>, shutdown: () => Promise<void>): Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= shutdown());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await running;
  } finally {
    await stop();
  }
}
