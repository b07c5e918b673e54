// The embedded default for LiveKit: the LiveKit simulator (server API over Twirp, Egress, signed webhooks) as a
// real HTTP server on loopback, its egresses writing into our own storage (outputs name no upload: Egress's own
// storage is ours), our webhook endpoint configured on it as an operator configures `webhook.urls` on LiveKit.
import { startLiveKitSimulator, type LiveKitSimulator } from '../platforms/livekit/simulator/index.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';

export interface EmbeddedLiveKitOptions {
  port: number;
  apiKey: string;
  apiSecret: string;
  /** Where egress files go: the product's own store (pass LiveKitPlatform no bucket). */
  storage: ObjectStorage;
  /** Our webhook route, e.g. http://127.0.0.1:3000/v1/webhooks/livekit. */
  webhookUrl: string;
  /** Unused as yet: the simulator keeps its rooms in memory only, so a meeting under way does not outlive a restart
   * (LiveKit's own rooms would). Taken so that callers need not change when it keeps state. */
  dataDir: string;
  log: (message: string) => void;
}

/** LiveKitPlatformOptions for it: `{ url: simulator.url, apiKey, apiSecret }` (no bucket, no clientUrl needed). */
export function startEmbeddedLiveKit(options: EmbeddedLiveKitOptions): Promise<LiveKitSimulator> {
  return startLiveKitSimulator({
    host: '127.0.0.1',
    port: options.port,
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    webhookUrls: [options.webhookUrl],
    // More patient than go-retryablehttp's defaults (4 retries, 1…30 s): about three minutes, so that a restart of
    // the product while a meeting goes on loses no event.
    webhookRetry: { retryWaitMinMs: 1_000, retryWaitMaxMs: 60_000, maxRetries: 8, timeoutMs: 10_000 },
    defaultStorage: options.storage,
    clock: { mode: 'real' },
    log: options.log,
  });
}
