// `npm run api`: the API process alone (production: scale it apart from the workers).
import { loadConfig } from '../runtime/config.ts';
import { openServices } from '../runtime/services.ts';
import { createLogger } from '../runtime/log.ts';
import { runUntilSignal } from '../runtime/lifecycle.ts';
import { startApiServer } from './server.ts';
import { firstAdminNotice } from '../auth/bootstrap.ts';

const config = await loadConfig();
const log = createLogger(config.logLevel);
const services = await openServices(config);
const server = await startApiServer(services, log);
log.info({ url: config.api.publicUrl }, 'API listening');
// Printed, not logged: the generated password must not end up in log storage.
for (const line of firstAdminNotice(server.firstAdmin)) console.log(line);
await runUntilSignal(server.closed, async () => {
  await server.close();
  await services.close();
});
