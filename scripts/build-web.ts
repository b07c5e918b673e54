// Builds the browser client (web/ → web/dist) with Vite. `--if-stale` builds only when a source is newer
// than the last build (npm start runs it that way, so a fresh clone or an edited page is served built).
// Concurrent callers (parallel test files) share one build through a lock folder.
//   node scripts/build-web.ts [--if-stale]
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const webDir = path.resolve(import.meta.dirname, '..', 'web');
const distDir = path.join(webDir, 'dist');
const stampFile = path.join(distDir, '.built');
const lockDir = path.join(webDir, '.build-lock');

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === '.build-lock' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(full) : (await stat(full)).mtimeMs);
  }
  return newest;
}

/** What the browser bundle is built from: web/, and shared/ (modules the API and the browser both import). */
const sharedDir = path.resolve(import.meta.dirname, '..', 'shared');

async function isStale(): Promise<boolean> {
  const built = await stat(stampFile).catch(() => null);
  return !built || Math.max(await newestSource(webDir), await newestSource(sharedDir)) > built.mtimeMs;
}

async function build(): Promise<void> {
  const { build: viteBuild } = await import('vite');
  const started = performance.now();
  await viteBuild({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  await writeFile(stampFile, new Date().toISOString());
  console.log(`web app built into ${path.relative(process.cwd(), distDir) || distDir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Builds web/dist unless it is up to date; safe to call from several processes at once. */
export async function buildWeb(options: { ifStale: boolean }): Promise<void> {
  if (options.ifStale && !(await isStale())) return;
  for (let waited = 0; ; waited += 200) {
    try {
      await mkdir(lockDir);
      break;
    } catch {
      // Someone else builds; a lock older than two minutes was left by a killed build.
      const lock = await stat(lockDir).catch(() => null);
      if (lock && Date.now() - lock.mtimeMs > 120_000) await rm(lockDir, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    if (!options.ifStale || (await isStale())) await build();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  await buildWeb({ ifStale: process.argv.includes('--if-stale') });
}
