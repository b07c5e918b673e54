// The worker: polls the task queue and runs workflow code (bundled from workflows/) and activities.
// `npm run worker` runs it alone (production: scale workers apart from the API); `npm start` runs it
// inside the single-machine process.
import path from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.ts';
import type { Services } from './runtime/services.ts';

export const workflowsPath = path.join(import.meta.dirname, 'workflows', 'index.ts');

export async function createWorker(
  services: Pick<Services, 'config' | 'db' | 'storage' | 'platform'>,
  connection: NativeConnection,
  overrides: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: services.config.temporal.namespace,
    taskQueue: services.config.temporal.taskQueue,
    workflowsPath,
    activities: createActivities({ db: services.db, storage: services.storage, platform: services.platform }),
    ...overrides,
  });
}

if (import.meta.main) {
  const { loadConfig } = await import('./runtime/config.ts');
  const { openServices } = await import('./runtime/services.ts');
  const { connectWorker } = await import('./runtime/temporal.ts');
  const { createLogger } = await import('./runtime/log.ts');
  const { runUntilSignal } = await import('./runtime/lifecycle.ts');
  const config = await loadConfig();
  const log = createLogger(config.logLevel);
  const services = await openServices(config);
  const connection = await connectWorker(config.temporal.mode === 'external' ? config.temporal : { address: config.temporal.address });
  const worker = await createWorker(services, connection);
  log.info('worker polling', { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, address: config.temporal.address });
  await runUntilSignal(worker.run(), async () => {
    worker.shutdown();
  });
  await connection.close();
  await services.close();
}
