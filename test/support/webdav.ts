// A real WebDAV server for tests: wsgidav (PyPI, in the project's .venv, installed by .ci/install) over a temp folder,
// with basic auth; and a proxy in front of it that makes it a server that is full (507 to every PUT), refuses
// (403 to every PUT), or is slow (each answer held back), while PROPFIND and MKCOL pass.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './servers.ts';

export interface WebDavTestServer {
  /** The shared folder's URL (the root of the share). */
  url: string;
  /** Where the share's files are on disk. */
  root: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

const python = path.resolve(import.meta.dirname, '..', '..', '.venv', 'bin', 'wsgidav');

export async function startWebDavServer(): Promise<WebDavTestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'webdav-'));
  const root = path.join(dir, 'share');
  await mkdir(root);
  const port = await freePort();
  const username = 'alice';
  const password = 'correct horse battery staple';
  const config = path.join(dir, 'wsgidav.yaml');
  await writeFile(config, [
    'host: 127.0.0.1', `port: ${port}`, 'server: cheroot', 'verbose: 1', 'logging:', '  enable_loggers: []',
    'provider_mapping:', `  "/": "${root}"`,
    'http_authenticator:', '  accept_basic: true', '  accept_digest: false', '  default_to_digest: false', '  trusted_auth_header: null',
    'simple_dc:', '  user_mapping:', '    "*":', `      "${username}":`, `        password: "${password}"`,
    'lock_storage: true', 'dir_browser:', '  enable: false',
  ].join('\n'));
  const child = spawn(python, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const url = `http://127.0.0.1:${port}/`;
  for (const started = Date.now(); ; await sleep(100)) {
    if (child.exitCode !== null) throw new Error(`wsgidav exited: ${stderr.slice(-500)}`);
    if (Date.now() - started > 15_000) throw new Error(`wsgidav did not start: ${stderr.slice(-500)}`);
    if (await fetch(url, { method: 'OPTIONS' }).then(() => true, () => false)) break;
  }
  return {
    url, root, username, password,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface WebDavProxy {
  url: string;
  /** `full`: 507 to PUT; `refusing`: 403 to PUT; `slow`: every answer `delayMs` late; `through`: as the server. */
  mode: 'through' | 'full' | 'refusing' | 'slow';
  delayMs: number;
  puts: number;
  close(): Promise<void>;
}

export async function startWebDavProxy(target: WebDavTestServer): Promise<WebDavProxy> {
  const upstream = new URL(target.url);
  const proxy: WebDavProxy = { url: '', mode: 'through', delayMs: 1_000, puts: 0, close: async () => undefined };
  const server = createServer(async (req, res) => {
    if (req.method === 'PUT') proxy.puts += 1;
    if (req.method === 'PUT' && (proxy.mode === 'full' || proxy.mode === 'refusing')) {
      req.resume();
      res.writeHead(proxy.mode === 'full' ? 507 : 403, { 'content-type': 'text/plain' }).end(proxy.mode === 'full' ? 'Insufficient Storage' : 'Forbidden');
      return;
    }
    if (proxy.mode === 'slow') await sleep(proxy.delayMs);
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  proxy.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return proxy;
}
