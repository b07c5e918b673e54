// docs/benchmarks.md, written by the bench scripts: the machine a run measured, and one dated section per run
// appended under the page's header (made when the page does not exist yet).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const BENCHMARKS_DOC = path.join(import.meta.dirname, '..', 'docs', 'benchmarks.md');

const DOC_HEADER = `# Benchmarks

Speed goals live here, measured by benchmark scripts on a named machine, not in timed tests: a test
asserts behaviour, and a timing assertion in a test fails on a slow or busy CI machine without telling us
anything. Each section below is one run, appended by its script with the date, the machine and the command;
compare runs of the same machine, and rerun before quoting a figure.
`;

/** CPUs, memory, CPU model, kernel and Node; plus the first line of each tool's `--version`-like output. */
export function machineDescription(tools: Array<[command: string, args: string[]]> = []): string {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const nproc = execFileSync('nproc').toString().trim();
  const versions = tools.map(([command, args]) => {
    try {
      return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n')[0]!.trim().replace(/ Copyright.*/, '');
    } catch {
      return `${command}: unknown`;
    }
  });
  return `${nproc} CPUs (\`nproc\`), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${cpuModel}, ${os.type()} ${os.release()}, Node ${process.version}${versions.length ? `; ${versions.join('; ')}` : ''}`;
}

/** `## <title>, <date> UTC` and the given lines, appended to docs/benchmarks.md (and said so on stdout). */
export async function appendBenchmarkSection(title: string, lines: string[]): Promise<void> {
  await mkdir(path.dirname(BENCHMARKS_DOC), { recursive: true });
  if (!existsSync(BENCHMARKS_DOC)) await writeFile(BENCHMARKS_DOC, DOC_HEADER);
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  await appendFile(BENCHMARKS_DOC, ['', `## ${title}, ${date} UTC`, '', ...lines].join('\n'));
  console.log(`appended to ${path.relative(process.cwd(), BENCHMARKS_DOC)}`);
}
