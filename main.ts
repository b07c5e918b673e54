// `npm start`: the whole product on one machine. With nothing configured it runs on embedded defaults:
// a Temporal dev server (child process), PGlite, a local object store and (issue #3) the Daily simulator,
// with the API and the worker in this one process. Data lives in DATA_DIR (.data/) across restarts.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, ConfigError } from './runtime/config.ts';
import { openServices } from './runtime/services.ts';
import { firstAdminNotice } from './auth/bootstrap.ts';
import { startEmbeddedTemporal, connectWorker, installWorkerRuntime, sdkMetricsTelemetry, type EmbeddedTemporal } from './runtime/temporal.ts';
import { createLogger } from './runtime/log.ts';
import { runUntilSignal } from './runtime/lifecycle.ts';
import { startApiServer } from './api/server.ts';
import { createWorkers } from './worker.ts';
import { ensureSchedules } from './runtime/schedules.ts';
import { setUpWhisper } from './speech/whisper/engine.ts';
import { startEmbeddedDaily, registerDailyWebhook } from './runtime/embedded-daily.ts';
import type { DailySimulator } from './platforms/daily/simulator/index.ts';
import { startEmbeddedLiveKit } from './runtime/embedded-livekit.ts';
import type { LiveKitSimulator } from './platforms/livekit/simulator/index.ts';
import { startEmbeddedHms } from './runtime/embedded-hms.ts';
import type { HmsSimulator } from './platforms/hms/simulator/index.ts';
import { startEmbeddedWhereby } from './runtime/embedded-whereby.ts';
import type { WherebySimulator } from './platforms/whereby/simulator/index.ts';
import type { PlatformRollout } from './platforms/rollout.ts';
import type { RunnablePlatform } from './runtime/config.ts';

async function main() {
  const started = performance.now();
  const config = await loadConfig();
  const log = createLogger(config.logLevel);
  installWorkerRuntime(log, await sdkMetricsTelemetry());
  // Offline speech needs its Python environment and model: made in .venv on the first start, checked after that.
  const { speech } = config.transcription;
  if (speech.engine === 'whisper' && speech.managed && config.worker.queues.includes('speech')) await setUpWhisper();

  let embeddedTemporal: EmbeddedTemporal | undefined;
  if (config.temporal.mode === 'embedded') {
    log.info({ address: config.temporal.address, db: config.temporal.dbFile }, 'starting the Temporal dev server');
    embeddedTemporal = await startEmbeddedTemporal(config.temporal, (level, message, fields) => log[level](fields ?? {}, message));
  }
  const services = await openServices(config);
  const runs = (name: RunnablePlatform) => config.platforms.enabled.includes(name);
  const webhookUrlOf = (platform: RunnablePlatform) => `${config.api.publicUrl}/v1/webhooks/${platform}`;
  let simulator: DailySimulator | undefined;
  if (runs('daily') && config.daily.mode === 'simulator') simulator = await startEmbeddedDaily(config.daily, services.storage, config.dataDir, (line) => log.debug(line));
  let liveKitSimulator: LiveKitSimulator | undefined;
  if (runs('livekit') && config.livekit.mode === 'simulator') {
    const { port, apiKey, apiSecret } = config.livekit;
    liveKitSimulator = await startEmbeddedLiveKit({ port, apiKey, apiSecret, storage: services.storage, webhookUrl: webhookUrlOf('livekit'), dataDir: config.dataDir, log: (line) => log.debug(line) });
  }
  let hmsSimulator: HmsSimulator | undefined;
  if (runs('100ms') && config.hms.mode === 'simulator') {
    hmsSimulator = await startEmbeddedHms({ config: config.hms, webhookUrl: webhookUrlOf('100ms'), log: (line) => log.debug(line) });
  }
  let wherebySimulator: WherebySimulator | undefined;
  if (runs('whereby') && config.whereby?.mode === 'simulator') {
    wherebySimulator = await startEmbeddedWhereby({ config: config.whereby, storageConfig: config.storage, storage: services.storage, webhookUrl: webhookUrlOf('whereby'), log: (line) => log.debug(line) });
  }
  const api = await startApiServer(services, log);
  if (simulator) await registerDailyWebhook(config.daily, webhookUrlOf('daily'));
  const connection = await connectWorker(config.temporal.mode === 'external' ? config.temporal : { address: config.temporal.address });
  const workers = await createWorkers({ ...services, log }, connection);
  const running = workers.run();
  await ensureSchedules(services.temporal, config);

  const uiUrl = config.temporal.uiUrl;
  console.log([
    '',
    `  Meeting recorder is up (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    `  Open:         ${config.api.publicUrl}   in a browser (sign in, create a room, hold a simulated call)`,
    `  API:          ${config.api.publicUrl}/v1   (document: ${config.api.publicUrl}/v1/docs; ready: ${config.api.publicUrl}/readyz)`,
    `  Temporal UI:  ${uiUrl ? `${uiUrl}/namespaces/${config.temporal.namespace}/workflows` : '(set TEMPORAL_UI_URL to print it)'}`,
    `  Database:     ${config.database.kind === 'pglite' ? `PGlite in ${config.database.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
    `  Storage:      ${config.storage.kind === 'local' ? `local folder ${config.storage.rootDir}` : `S3 bucket ${config.storage.bucket}`}`,
    `  Speech:       ${speech.engine === 'whisper' ? `Whisper ${path.basename(speech.modelDir)} on this machine (${speech.device}, ${speech.computeType}; ${config.worker.speechConcurrency} at once × ${speech.threads} thread${speech.threads > 1 ? 's' : ''})` : `${speech.apiUrl} (${speech.model})`}`,
    ...(runs('daily') ? [`  Daily:        ${simulator ? `simulator at ${simulator.baseUrl} (control: ${simulator.controlUrl}); try \`npm run demo\`` : `${config.daily.apiUrl}, webhooks to ${webhookUrlOf('daily')}`}`] : []),
    ...(runs('livekit') ? [`  LiveKit:      ${liveKitSimulator ? `simulator at ${liveKitSimulator.url} (control: ${liveKitSimulator.url}/_sim); try \`npm run demo -- --platform livekit\`` : `${config.livekit.url}, webhooks to ${webhookUrlOf('livekit')} (set it in LiveKit's webhook.urls)`}`] : []),
    ...(runs('100ms') ? [`  100ms:        ${hmsSimulator ? `simulator at ${hmsSimulator.apiUrl} (control: ${hmsSimulator.controlUrl}); try \`npm run demo -- --platform 100ms\`` : `${config.hms.apiUrl}, webhooks to ${webhookUrlOf('100ms')} (set it on 100ms's dashboard with the ${config.hms.webhookHeader.name} header)`}`] : []),
    ...(runs('whereby') ? [`  Whereby:      ${wherebySimulator ? `simulator at ${wherebySimulator.apiUrl} (control: ${wherebySimulator.controlUrl}); try \`npm run demo -- --platform whereby\`` : `${config.whereby!.apiUrl}, webhooks to ${webhookUrlOf('whereby')} (set it as the webhook URL in Whereby's dashboard)`}`] : []),
    `  New rooms:    ${rolloutSummary(config.platforms.rollout)}`,
    ...firstAdminNotice(api.firstAdmin),
    '  Stop with Ctrl+C (a second Ctrl+C stops at once); data is kept for the next start.',
    '',
  ].join('\n'));

  await runUntilSignal(running, async () => {
    log.info('shutting down');
    // Each part in turn; one that fails to stop is logged and the others still stop.
    const step = async (what: string, stop: () => Promise<unknown> | undefined) => {
      const at = performance.now();
      try {
        await stop();
        log.debug({ ms: Math.round(performance.now() - at) }, `stopped ${what}`);
      } catch (error) {
        log.warn({ error: (error as Error).message }, `could not stop ${what}`);
      }
    };
    // A worker whose server is unreachable cannot finish its polls: after 3 s it is left to end with the process.
    await step('the worker', () => (workers.shutdown(), Promise.race([running.catch(() => undefined), sleep(3_000).then(() => {
      log.warn('the worker did not stop within 3 s (is Temporal reachable?); stopping the rest');
    })])));
    await step('the API', () => api.close());
    await step('the Daily simulator', () => simulator?.stop());
    await step('the LiveKit simulator', () => liveKitSimulator?.stop());
    await step('the 100ms simulator', () => hmsSimulator?.stop());
    await step('the Whereby simulator', () => wherebySimulator?.stop());
    await step("the worker's connection", () => connection.close());
    await step('the database and clients', () => services.close());
    await step('the Temporal dev server', () => embeddedTemporal?.stop());
  }, { onForce: (reason) => log.warn(reason) });
  // Stopped: nothing of ours is left to finish (a library's idle handle must not keep the process, and its ports, up).
  process.exit(0);
}

/** The rollout rule in a line (platforms/rollout.ts). */
function rolloutSummary(rule: PlatformRollout): string {
  if (!rule.enabled) return `on ${rule.legacy} unless their owner chooses (PLATFORM_ROLLOUT off)`;
  return `${rule.rooms.length ? `${rule.rooms.join(', ')} on ${rule.target}, ` : ''}others on ${rule.default} unless their owner chooses (PLATFORM_ROLLOUT on)`;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error(error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
