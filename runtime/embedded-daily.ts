// The embedded default for Daily: the Daily simulator as a real HTTP server on DAILY_SIMULATOR_PORT,
// writing recordings into our own storage, with our webhook endpoint registered on it exactly as an
// operator registers it on Daily (handshake included).
import path from 'node:path';
import { startDailySimulator, type DailySimulator } from '../platforms/daily/simulator/index.ts';
import { DailyClient } from '../platforms/daily/client.ts';
import { DAILY_EVENT_TYPES } from '../platforms/daily/events.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import type { Config } from './config.ts';

type SimulatorConfig = Extract<Config['daily'], { mode: 'simulator' }>;

/**
 * Its state is kept in `<data dir>/daily-simulator/` (see DailySimulatorOptions.stateFile): a meeting under way
 * when the product stops or is killed goes on after the next start with its rooms, participants and recordings,
 * and its undelivered webhooks are sent again — as with Daily, which does not stop with us.
 */
export async function startEmbeddedDaily(daily: SimulatorConfig, storage: ObjectStorage, dataDir: string, log: (message: string) => void): Promise<DailySimulator> {
  return startDailySimulator({
    stateFile: path.join(dataDir, 'daily-simulator', 'state.json'),
    host: '127.0.0.1',
    port: daily.port,
    apiKey: daily.apiKey,
    domain: daily.domain,
    storage,
    clock: { mode: 'real' },
    // Retries over about two minutes: a restart of the product loses nothing.
    webhookRetry: { backoffBaseMs: 1000, maxBackoffMs: 60_000, timeoutMs: 10_000, maxTries: 8, failureThreshold: 3 },
    log,
  });
}

/**
 * Registers our webhook endpoint, or updates the one already registered for its URL (which also re-activates
 * it, and keeps the messages it still has to deliver to us); Daily — and the simulator — first send the
 * `{"test":"test"}` handshake.
 */
export async function registerDailyWebhook(daily: Config['daily'], webhookUrl: string): Promise<void> {
  const client = new DailyClient({ apiKey: daily.apiKey, baseUrl: daily.apiUrl });
  const settings = { url: webhookUrl, hmac: daily.webhookSecret, retryType: 'exponential' as const, eventTypes: [...DAILY_EVENT_TYPES] };
  const existing = (await client.listWebhooks()).find((webhook) => webhook.url === webhookUrl);
  if (existing) await client.updateWebhook(existing.uuid, settings);
  else await client.createWebhook(settings);
}
