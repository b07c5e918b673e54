// Child processes the product starts (the Temporal dev server): each in a process group of its own, so that
// stopping it stops whatever it started too, and so that a terminal's Ctrl-C reaches only us — we stop our
// children in order (the worker before the server it talks to). A child also dies with us when we are killed
// outright (kill -9): a watchdog process (runtime/child-watchdog.ts) holds a pipe from us and stops the
// child's group when that pipe closes, which the kernel does however we end.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';

/** The groups of our children still running: a forced exit kills them (see killChildGroupsNow). */
const runningGroups = new Set<number>();

export interface ChildInGroup {
  child: ChildProcess;
  /** Resolves with the child's exit (code, or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the child has exited. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Spawns `command` as the leader of a new process group, watched: if this process dies, however it dies,
 * the group is stopped.
 */
export function spawnInOwnGroup(command: string, args: readonly string[], options: Omit<SpawnOptions, 'detached'> = {}): ChildInGroup {
  const child = spawn(command, args, { ...options, detached: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A command that cannot be spawned (ENOENT) emits 'error' and no 'exit'.
    child.once('error', () => resolve({ code: child.exitCode, signal: child.signalCode }));
  });
  const pid = child.pid;
  if (pid !== undefined) {
    runningGroups.add(pid);
    const watchdog = watchGroup(pid);
    void exited.then(() => {
      runningGroups.delete(pid);
      // The child is gone: its watchdog may go too (it exits once the group is empty).
      watchdog.stdin?.end();
    });
  }
  return {
    child,
    exited,
    async stop(graceMs) {
      if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Whatever the leader left behind in its group goes with it.
      signalGroup(pid, 'SIGKILL');
    },
  };
}

/** Sends `signal` to every process of the group led by `pid`; false if there is none left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Synchronous, for a forced exit: SIGKILL to every child group still running. */
export function killChildGroupsNow(): void {
  for (const pid of runningGroups) signalGroup(pid, 'SIGKILL');
  runningGroups.clear();
}

// However this process exits (process.exit included), no child group outlives it; kill -9 is the watchdog's.
process.once('exit', killChildGroupsNow);

const WATCHDOG = path.join(import.meta.dirname, 'child-watchdog.ts');

function watchGroup(pid: number): ChildProcess {
  // Its own group too: a Ctrl-C or a signal to our group must not take the watchdog before the child.
  const watchdog = spawn(process.execPath, [WATCHDOG, String(pid), String(process.pid)], { detached: true, stdio: ['pipe', 'ignore', 'inherit'] });
  watchdog.stdin?.on('error', () => undefined); // EPIPE if it has already gone
  // The watchdog never keeps us running.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}
