// The embedded default for Daily: the Daily simulator as a real HTTP server on DAILY_SIMULATOR_PORT,
// writing recordings into our own storage, with our webhook endpoint registered on it exactly as an
// operator registers it on Daily (handshake included).
import { startDailySimulator, type DailySimulator } from '../platforms/daily/simulator/index.ts';
import { DailyClient } from '../platforms/daily/client.ts';
import { DAILY_EVENT_TYPES } from '../platforms/daily/events.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import type { Config } from './config.ts';

type SimulatorConfig = Extract<Config['daily'], { mode: 'simulator' }>;

export async function startEmbeddedDaily(daily: SimulatorConfig, storage: ObjectStorage, log: (message: string) => void): Promise<DailySimulator> {
  return startDailySimulator({
    host: '127.0.0.1',
    port: daily.port,
    apiKey: daily.apiKey,
    domain: daily.domain,
    storage,
    clock: { mode: 'real' },
    webhookRetry: { backoffBaseMs: 1000, maxBackoffMs: 60_000, timeoutMs: 10_000, maxTries: 5, failureThreshold: 3 },
    log,
  });
}

/** Registers (or re-registers) our webhook endpoint; Daily — and the simulator — first send the `{"test":"test"}` handshake. */
export async function registerDailyWebhook(daily: Config['daily'], webhookUrl: string): Promise<void> {
  const client = new DailyClient({ apiKey: daily.apiKey, baseUrl: daily.apiUrl });
  for (const existing of await client.listWebhooks()) {
    if (existing.url === webhookUrl) await client.deleteWebhook(existing.uuid);
  }
  await client.createWebhook({ url: webhookUrl, hmac: daily.webhookSecret, retryType: 'exponential', eventTypes: [...DAILY_EVENT_TYPES] });
}
