// The embedded default for Whereby: the Whereby simulator (REST API /v1 with the points rate limit, meetings with a
// cloud recording to our bucket, the recorder joining and leaving, Whereby-Signature webhooks) as a real HTTP server
// on loopback, our webhook endpoint set on it as an operator sets it in Whereby's dashboard. Like Whereby, it writes
// each recording into our bucket with the keys the meeting was created with: our S3 bucket when storage is S3, else
// our local folder, which accepts only the simulator's bucket keys (config.whereby.bucketKeys).
import { startWherebySimulator, type WherebySimulator } from '../platforms/whereby/simulator/index.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import type { Config, WherebyConfig } from './config.ts';

export interface EmbeddedWherebyOptions {
  config: Extract<WherebyConfig, { mode: 'simulator' }>;
  storageConfig: Config['storage'];
  storage: ObjectStorage;
  /** Our webhook route, e.g. http://127.0.0.1:3000/v1/webhooks/whereby. */
  webhookUrl: string;
  /** Webhook retries: more patient than Whereby's two by default, so a restart of the product loses no event. */
  webhookRetry?: { retries: number; backoffMs: number };
  log: (message: string) => void;
}

export function startEmbeddedWhereby(options: EmbeddedWherebyOptions): Promise<WherebySimulator> {
  const { config, storageConfig, storage } = options;
  return startWherebySimulator({
    host: '127.0.0.1',
    port: config.port,
    apiKey: config.apiKey,
    webhookSecret: config.webhookSecret,
    webhookUrls: [options.webhookUrl],
    webhookRetry: options.webhookRetry ?? { retries: 7, backoffMs: 1_000 },
    // Whereby's Grow plan: a busy deployment is not slowed by the Build plan's 100 points a minute.
    rateLimitPoints: 1000,
    ...(storageConfig.kind === 's3'
      ? { ...(storageConfig.endpoint && { s3Endpoint: storageConfig.endpoint }), s3Region: storageConfig.region }
      : { localBuckets: { [storage.bucket]: { storage, ...config.bucketKeys } } }),
    clock: { mode: 'real' },
    log: options.log,
  });
}
