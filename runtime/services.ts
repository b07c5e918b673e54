// Wires the product's parts from the configuration: database, object storage and the Temporal client.
// The API process and the worker process both start from here.
import type { Client } from '@temporalio/client';
import { openDatabase, type Database } from '../db/orm.ts';
import { createObjectStorage } from '../storage/index.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { createPlatform, PlatformRegistry } from '../platforms/index.ts';
import type { Platform } from '../platforms/platform.ts';
import { connectClient, ensureSearchAttributes } from './temporal.ts';
import { startTracing, type Tracing } from './tracing.ts';
import type { Config } from './config.ts';
import { createOidcVerifier, type OidcVerifier } from '../auth/oidc.ts';
import { OidcSignIn } from '../auth/oidc-sign-in.ts';

export interface Services {
  config: Config;
  db: Database;
  storage: ObjectStorage;
  /** Every platform configured here, side by side (a simulator in the embedded mode, through the same client): a
   * meeting is run on the one it was created on; a room may name only these. */
  platforms: PlatformRegistry;
  temporal: Client;
  /** Verifies OIDC bearer tokens (keys fetched once and cached); null when no provider is configured. */
  oidc: OidcVerifier | null;
  /** Browser sign-in through the provider (authorization code + PKCE); null without OIDC_CLIENT_ID. */
  oidcSignIn: OidcSignIn | null;
  /** Traces (OTEL_EXPORTER_OTLP_ENDPOINT); null when off. */
  tracing: Tracing | null;
  close(): Promise<void>;
}

export async function openServices(config: Config): Promise<Services> {
  const db = await openDatabase(config.database);
  const storage = createObjectStorage(config.storage);
  const tracing = config.tracing ? startTracing(config.tracing) : null;
  const temporal = await connectClient({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    ...(config.temporal.mode === 'external' ? { tls: config.temporal.tls, apiKey: config.temporal.apiKey } : {}),
    ...(tracing && { interceptors: tracing.clientInterceptors }),
  });
  await ensureSearchAttributes(temporal, config.temporal.namespace);
  const platforms = new PlatformRegistry(config.platforms.enabled.map((name) => createConfiguredPlatform(config, name)), config.platforms.rollout);
  const { oidc } = config.auth;
  return {
    config,
    db,
    storage,
    platforms,
    temporal,
    tracing,
    oidc: oidc ? createOidcVerifier({ issuer: oidc.issuer, audience: oidc.audience, jwksUri: oidc.jwksUri, clockSkewSeconds: oidc.clockSkewSeconds }) : null,
    oidcSignIn: oidc?.clientId
      ? new OidcSignIn({
          issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret, clockSkewSeconds: oidc.clockSkewSeconds,
          redirectUri: `${config.api.publicUrl}/v1/auth/oidc/callback`, appSecret: config.appSecret,
        })
      : null,
    async close() {
      await tracing?.flush();
      await temporal.connection.close();
      await db.close();
    },
  };
}

function createConfiguredPlatform(config: Config, name: Config['platforms']['enabled'][number]): Platform {
  switch (name) {
    case 'daily':
      return createPlatform('daily', { apiKey: config.daily.apiKey, baseUrl: config.daily.apiUrl, webhookSecret: config.daily.webhookSecret });
    case 'livekit': {
      const { url, clientUrl, apiKey, apiSecret } = config.livekit;
      // Egress writes into our bucket; the simulator (embedded, local storage) writes into our store as its own storage.
      const s3 = config.storage.kind === 's3' ? config.storage : null;
      const bucket = s3 && s3.accessKeyId && s3.secretAccessKey
        ? { bucket: s3.bucket, region: s3.region, ...(s3.endpoint && { endpoint: s3.endpoint }), accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined;
      return createPlatform('livekit', { url, clientUrl, apiKey, apiSecret, ...(bucket && { bucket }) });
    }
    case 'whereby': {
      // Whereby writes its cloud recordings into our bucket with our S3 keys (platforms/whereby/whereby-platform.ts).
      // The embedded simulator with a local folder for storage is given keys of its own for it (embedded-whereby.ts).
      const whereby = config.whereby!;
      const { apiKey, apiUrl, webhookSecret } = whereby;
      const s3 = config.storage.kind === 's3' ? config.storage : null;
      const destination = s3?.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : !s3 && whereby.mode === 'simulator' ? whereby.bucketKeys : undefined;
      return createPlatform('whereby', { apiKey, baseUrl: apiUrl, webhookSecret, ...(destination && { destination }) });
    }
    case '100ms': {
      // 100ms (or its embedded simulator) keeps the files in its own storage: recordings are copied from its links.
      const { apiUrl, accessKey, appSecret, webhookHeader, webhookToleranceSeconds, templateId, templateRecordsTracks, hostRole, guestRole } = config.hms;
      return createPlatform('100ms', {
        apiUrl, accessKey, appSecret, webhookHeaders: { [webhookHeader.name]: webhookHeader.value }, webhookToleranceSeconds,
        ...(templateId && { templateId }), templateRecordsTracks, hostRole, guestRole,
      });
    }
  }
}
