// Starts the HTTP server for the API (and, with local storage, the signed object links it issues).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { WebhookDispatcher } from '../meetings/dispatcher.ts';
import { createSignedObjectHandler } from '../storage/local-folder.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';
import type { Services } from '../runtime/services.ts';
import type { Logger } from '../runtime/log.ts';
import type { ApiContext } from './app.ts';
import type { Next } from 'koa';
import { webAppRoute } from './web-app.ts';
import { registerApiGauges } from './health.ts';
import { ensureFirstAdmin, type FirstAdminResult } from '../auth/bootstrap.ts';

export interface ApiServer {
  url: string;
  webhookDispatcher: WebhookDispatcher;
  /** On the very first start (no user yet): the admin created, and the password when we generated it (print it once). */
  firstAdmin: FirstAdminResult;
  server: http.Server;
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function startApiServer(services: Services, log: Logger, listen = { host: services.config.api.host, port: services.config.api.port }): Promise<ApiServer> {
  const { firstAdmin: admin } = services.config.auth;
  const firstAdmin = await ensureFirstAdmin(services.db.em.fork(), { email: admin.email, ...(admin.password ? { password: admin.password } : {}) });
  const routes: Array<(ctx: ApiContext, next: Next) => Promise<void>> = [];
  if (services.storage instanceof LocalFolderStorage) {
    const serveObject = createSignedObjectHandler(services.storage);
    routes.push(async (ctx, next) => (ctx.path.startsWith('/v1/storage/') ? serveObject(ctx) : next()));
  }
  routes.push(webAppRoute(services.config.web));
  const webhookDispatcher = new WebhookDispatcher(services, (message, fields) => log.warn(fields, message));
  webhookDispatcher.start();
  registerApiGauges(services);
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
    firstAdmin,
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
