// Starts the HTTP server for the API (and, with local storage, the signed object links it issues).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { WebhookDispatcher } from './webhooks.ts';
import { createSignedObjectHandler } from '../storage/local-folder.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';
import type { Services } from '../runtime/services.ts';
import type { Logger } from '../runtime/log.ts';
import type { ApiContext } from './app.ts';
import type { Next } from 'koa';

export interface ApiServer {
  url: string;
  webhookDispatcher: WebhookDispatcher;
  server: http.Server;
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function startApiServer(services: Services, log: Logger, listen = { host: services.config.api.host, port: services.config.api.port }): Promise<ApiServer> {
  const routes: Array<(ctx: ApiContext, next: Next) => Promise<void>> = [];
  if (services.storage instanceof LocalFolderStorage) {
    const serveObject = createSignedObjectHandler(services.storage);
    routes.push(async (ctx, next) => (ctx.path.startsWith('/v1/storage/') ? serveObject(ctx) : next()));
  }
  const webhookDispatcher = new WebhookDispatcher(services, (message, fields) => log.warn(message, fields));
  webhookDispatcher.start();
  const app = createApp(services, log, { routes, webhookDispatcher });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return {
    url: `http://${listen.host}:${port}`,
    webhookDispatcher,
    server,
    closed,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await webhookDispatcher.stop();
    },
  };
}
