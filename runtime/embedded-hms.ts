// The embedded default for 100ms: the 100ms simulator (REST API /v2 with management tokens, beam and track recordings,
// webhooks with the secret header, presigned links that expire) as a real HTTP server on loopback, our webhook
// endpoint and its secret header configured on it as an operator configures the webhook on 100ms's dashboard.
// Like 100ms, it keeps the files in its own storage: the recording workflow copies them into ours.
import { startHmsSimulator, type HmsSimulator } from '../platforms/hms/simulator/index.ts';
import type { HmsConfig } from './config.ts';

export interface EmbeddedHmsOptions {
  config: Extract<HmsConfig, { mode: 'simulator' }>;
  /** Our webhook route, e.g. http://127.0.0.1:3000/v1/webhooks/100ms. */
  webhookUrl: string;
  /** Webhook retries: the simulator's default is 100ms's (1, 3, 10 s). */
  webhookRetryDelaysMs?: number[];
  log: (message: string) => void;
}

/** HmsPlatformOptions for it come from the same config (apiUrl, accessKey, appSecret, the webhook header). */
export function startEmbeddedHms(options: EmbeddedHmsOptions): Promise<HmsSimulator> {
  const { config } = options;
  return startHmsSimulator({
    host: '127.0.0.1',
    port: config.port,
    accessKey: config.accessKey,
    appSecret: config.appSecret,
    // The default template: composite recording, and each microphone too when HMS_TEMPLATE_RECORDS_TRACKS says so.
    templates: [{ name: 'default', compositeRecording: true, trackRecording: config.templateRecordsTracks }],
    webhook: { url: options.webhookUrl, headers: { [config.webhookHeader.name]: config.webhookHeader.value } },
    // More patient than 100ms's three retries, so that a restart of the product while a meeting goes on loses no event.
    webhookRetry: { delaysMs: options.webhookRetryDelaysMs ?? [1_000, 3_000, 10_000, 30_000, 60_000, 120_000] },
    clock: { mode: 'real' },
    log: options.log,
  });
}
