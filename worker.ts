// The worker: polls the task queues and runs workflow code (bundled from workflows/) and activities.
// Work is split by kind so each kind can get its own machines: `<queue>` for workflows and light
// activities, `<queue>-audio` for CPU audio work, `<queue>-speech` for speech recognition (GPU machines
// run WORKER_QUEUES=speech). One process serves all three on a single machine.
// `npm run worker` runs it alone (production); `npm start` runs it inside the single-machine process.
import path from 'node:path';
import { Worker, bundleWorkflowCode, DefaultLogger, type NativeConnection, type TelemetryOptions, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.ts';
import { audioQueue, speechQueue } from './workflows/recording.ts';
import { createTranscriptionEngines } from './runtime/engines.ts';
import type { Services } from './runtime/services.ts';
import type { Logger } from './runtime/log.ts';
import { createMailer } from './delivery/email.ts';

export const workflowsPath = path.join(import.meta.dirname, 'workflows', 'index.ts');

export interface Workers {
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorkers(
  services: Pick<Services, 'config' | 'db' | 'storage' | 'platforms'> & Partial<Pick<Services, 'tracing'>> & { log?: Logger },
  connection: NativeConnection,
  overrides: Partial<WorkerOptions> = {},
): Promise<Workers> {
  const { config } = services;
  const engines = createTranscriptionEngines(config.transcription, { speechConcurrency: config.worker.speechConcurrency, log: services.log });
  // The speech engine's own process (whisper) starts with the worker that serves the speech queue, before it polls:
  // a missing model stops the start with what to do, rather than failing the first transcript.
  const servesSpeech = config.worker.queues.includes('speech');
  if (servesSpeech) await engines.recognizer.start?.();
  // The others a rerun may choose start when first asked for; a folder that is not a model stops the start now.
  if (servesSpeech) await Promise.all(engines.otherRecognizers.map((recognizer) => recognizer.check?.()));
  const activities = createActivities({
    db: services.db, storage: services.storage, platforms: services.platforms,
    transcription: { ...engines, language: config.transcription.language, publicUrl: config.api.publicUrl, allowPrivateWebhooks: config.outgoingWebhooksAllowPrivate },
    copies: { appSecret: config.appSecret },
    operations: {
      recordingStuckAfterSeconds: config.meetings.recordingMaxDurationSeconds + config.meetings.recordingReadyTimeoutSeconds,
      ...(config.operatorDigest?.webhookUrl && { webhookUrl: config.operatorDigest.webhookUrl }),
      ...(config.operatorDigest?.webhookSecret && { webhookSecret: config.operatorDigest.webhookSecret }),
      ...(config.operatorDigest?.email && { email: config.operatorDigest.email }),
      ...(config.operatorDigest?.zulip && { zulip: config.operatorDigest.zulip }),
    },
    delivery: { mailer: config.delivery.mail ? createMailer(config.delivery.mail) : null, zulip: config.delivery.zulip, publicUrl: config.api.publicUrl },
  });
  // With tracing on, each worker runs activities in spans and exports its workflows' spans (runtime/tracing.ts).
  const base = { connection, namespace: config.temporal.namespace, activities, ...services.tracing?.workerOptions };
  const workers: Worker[] = [];
  for (const kind of config.worker.queues) {
    if (kind === 'meetings') {
      // Bundled here with a quiet logger (the bundler's own output is long); tests pass a prebuilt bundle.
      const workflowBundle = overrides.workflowBundle ?? await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: services.tracing?.workflowModules, logger: new DefaultLogger('WARN') });
      workers.push(await Worker.create({ ...base, taskQueue: config.temporal.taskQueue, ...meetingsQueueOptions(config.worker.meetingsQueue), ...overrides, workflowBundle, workflowsPath: undefined }));
    } else {
      const { workflowBundle: _bundle, workflowsPath: _path, ...activityOverrides } = overrides;
      workers.push(await Worker.create({
        ...base,
        taskQueue: kind === 'audio' ? audioQueue(config.temporal.taskQueue) : speechQueue(config.temporal.taskQueue),
        maxConcurrentActivityTaskExecutions: kind === 'audio' ? config.worker.audioConcurrency : config.worker.speechConcurrency,
        ...activityOverrides,
      }));
    }
  }
  return {
    run: async () => {
      try {
        await Promise.all(workers.map((worker) => worker.run()));
      } finally {
        // After the last activity has finished (or been cut short): the engine's process stops with the worker.
        if (servesSpeech) await Promise.all([engines.recognizer, ...engines.otherRecognizers].map((recognizer) => recognizer.close?.()));
      }
    },
    shutdown: () => workers.forEach((worker) => worker.shutdown()),
  };
}

/** The base queue's knobs (WORKER_* settings); an unset one is left out, so the SDK's default holds. */
function meetingsQueueOptions(knobs: Services['config']['worker']['meetingsQueue']): Partial<WorkerOptions> {
  const options: Partial<WorkerOptions> = {
    maxCachedWorkflows: knobs.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: knobs.workflowTasks,
    maxConcurrentActivityTaskExecutions: knobs.activityTasks,
    maxConcurrentWorkflowTaskPolls: knobs.pollers,
    maxConcurrentActivityTaskPolls: knobs.pollers,
    stickyQueueScheduleToStartTimeout: knobs.stickyTimeoutSeconds === undefined ? undefined : `${knobs.stickyTimeoutSeconds} seconds`,
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** The worker process (`npm run worker`): config from the environment, polls until SIGINT/SIGTERM. */
export async function runWorkerProcess(telemetryOptions?: TelemetryOptions): Promise<void> {
  const { loadConfig } = await import('./runtime/config.ts');
  const { openServices } = await import('./runtime/services.ts');
  const { connectWorker, installWorkerRuntime, sdkMetricsTelemetry } = await import('./runtime/temporal.ts');
  const { createLogger } = await import('./runtime/log.ts');
  const { runUntilSignal } = await import('./runtime/lifecycle.ts');
  const config = await loadConfig();
  const log = createLogger(config.logLevel);
  installWorkerRuntime(log, telemetryOptions ?? (config.metrics.port === undefined ? undefined : await sdkMetricsTelemetry()));
  const services = await openServices(config);
  const { serveMetrics } = await import('./runtime/metrics.ts');
  const metricsServer = config.metrics.port === undefined ? null : await serveMetrics(config.metrics.host, config.metrics.port);
  if (metricsServer) log.info({ url: metricsServer.url }, 'worker metrics');
  const connection = await connectWorker(config.temporal.mode === 'external' ? config.temporal : { address: config.temporal.address });
  const workers = await createWorkers({ ...services, log }, connection);
  const { ensureSchedules } = await import('./runtime/schedules.ts');
  await ensureSchedules(services.temporal, config);
  log.info({ queues: config.worker.queues, taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, address: config.temporal.address }, 'worker polling');
  const running = workers.run();
  await runUntilSignal(running, async () => {
    workers.shutdown();
    await running.catch(() => undefined);
  });
  await connection.close();
  await metricsServer?.close();
  await services.close();
}

if (import.meta.main) await runWorkerProcess();
