// The watchdog of one child process group (see runtime/child-process.ts), for children we cannot change (the
// Temporal CLI): `node child-watchdog.ts <group> <parent pid>`. Its stdin is a pipe from the parent; when that
// pipe closes — the parent stopped, crashed or was killed with SIGKILL — or the parent is otherwise gone, it
// stops the group (SIGTERM, SIGKILL after 5 s) and exits. It exits by itself once the group is empty.
const GRACE_MS = 5_000;

const group = Number(process.argv[2]);
const parent = Number(process.argv[3]);
if (!Number.isInteger(group) || group <= 1 || !Number.isInteger(parent)) {
  process.stderr.write('usage: node child-watchdog.ts <process group> <parent pid>\n');
  process.exit(2);
}

function groupAlive(): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // already gone
  }
}

let stopping = false;
function stopGroup(): void {
  if (stopping) return;
  stopping = true;
  if (!groupAlive()) process.exit(0);
  signalGroup('SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  const poll = setInterval(() => {
    if (!groupAlive()) process.exit(0);
    if (Date.now() > deadline) {
      signalGroup('SIGKILL');
      clearInterval(poll);
      setTimeout(() => process.exit(0), 200);
    }
  }, 100);
}

process.stdin.on('end', stopGroup);
process.stdin.on('close', stopGroup);
process.stdin.on('error', stopGroup);
process.stdin.resume();
process.on('SIGTERM', stopGroup);
// A terminal's signals are for the product, which stops its children itself.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

// In case the pipe is somehow kept open elsewhere: a parent gone (we were re-parented) also stops the group.
setInterval(() => {
  if (!stopping && !groupAlive()) process.exit(0);
  if (process.ppid !== parent) stopGroup();
}, 1000);
