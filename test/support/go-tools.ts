// The Go tools the tests run (.ci/install builds them with `go install`): found through their *_PATH variable, else on
// PATH, else where `go install` puts them.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export function goTool(name: 'versitygw' | 'prom2json', install: string): string {
  const variable = `${name.toUpperCase()}_PATH`;
  if (process.env[variable]) return process.env[variable]!;
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name)),
    path.join(homedir(), 'go', 'bin', name),
  ];
  const found = candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new Error(`${name} not found (set ${variable}); install it with: go install ${install}`);
  return found;
}
