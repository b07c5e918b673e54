// The one place that reads the environment. Parsed once at start-up; a bad value stops start-up with a
// message naming the variable. Every variable is documented in README.md ("Configuration").
import { parseEnv as parseDotEnv } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { PlatformRollout } from '../platforms/rollout.ts';
import type { TracingConfig } from './tracing.ts';
import { configuredSpeechEngine } from '../speech/index.ts';
import type { MailConfig } from '../delivery/email.ts';

/** The Zulip organization and the bot that posts there (its stream and topic are each room's). */
export interface ZulipServer { site: string; botEmail: string; apiKey: string }

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535);
const url = z.url({ message: 'must be a URL such as http://host:port' });
const hostPort = z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port, e.g. 127.0.0.1:7233');
const positiveInt = z.coerce.number({ message: 'must be a whole number' }).int().positive();
/** The platforms this code can run (db/entities.ts names them all). */
const RUNNABLE_PLATFORMS = ['daily', 'livekit', 'whereby', '100ms'] as const;
/** 100ms roles: a template's role names (letters, digits, - and _). */
const hmsRole = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a role name of the 100ms template (letters, digits, - and _)');
const platformName = z.enum(RUNNABLE_PLATFORMS, { message: `must be one of ${RUNNABLE_PLATFORMS.join(', ')}` });
const platformList = z
  .string()
  .transform((v) => v.split(',').map((name) => name.trim()))
  .pipe(z.array(platformName).min(1));

const envSchema = z.object({
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  METRICS_PORT: port.optional(),
  OPERATOR_WEBHOOK_URL: url.optional(),
  OPERATOR_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  OPERATOR_DIGEST_MINUTES: positiveInt.default(60),
  OPERATOR_DIGEST_EMAIL: z.email({ message: 'must be an email address' }).optional(),
  OPERATOR_DIGEST_ZULIP_STREAM: z.string().min(1).max(128).optional(),
  OPERATOR_DIGEST_ZULIP_TOPIC: z.string().min(1).max(128).default('meeting recorder digest'),
  // Delivery of finished transcripts (delivery/): mail over SMTP, and messages to a Zulip stream through its bot.
  SMTP_URL: z.url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.com:587' }).optional(),
  MAIL_FROM: z.string().min(3).optional(),
  SMTP_TLS_REJECT_UNAUTHORIZED: bool.default(true),
  ZULIP_SITE: z.url({ protocol: /^https?$/, message: 'must be the Zulip organization URL such as https://chat.example.com' }).optional(),
  ZULIP_BOT_EMAIL: z.email({ message: 'must be the bot\'s email address' }).optional(),
  ZULIP_API_KEY: z.string().min(1).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // OpenTelemetry's own variables (runtime/tracing.ts): traces go over OTLP/HTTP when either endpoint is set.
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('meeting-recorder'),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(8080),
  PUBLIC_URL: url.optional(),
  APP_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),

  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('meetings'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: url.optional(),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: positiveInt.default(10),

  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: url.optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),

  DAILY_API_KEY: z.string().min(1).optional(),
  DAILY_API_URL: url.default('https://api.daily.co/v1'),
  DAILY_WEBHOOK_SECRET: z.base64({ message: 'must be base64 (Daily webhook hmac)' }).min(16).optional(),
  DAILY_STORAGE_ROLE_ARN: z.string().min(1).optional(),
  DAILY_SIMULATOR_PORT: port.default(8090),
  DAILY_SIMULATOR_IN_BROWSER: bool.optional(),

  PLATFORMS: platformList.optional(),
  PLATFORM_ROLLOUT: bool.default(false),
  PLATFORM_LEGACY: platformName.optional(),
  PLATFORM_ROLLOUT_TARGET: platformName.optional(),
  PLATFORM_ROLLOUT_ROOMS: z.string().regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'must be a comma list of room names').optional(),
  PLATFORM_DEFAULT: platformName.optional(),
  LIVEKIT_URL: url.optional(),
  LIVEKIT_CLIENT_URL: z.url({ protocol: /^wss?|https?$/, message: 'must be a ws:// or wss:// URL' }).optional(),
  LIVEKIT_API_KEY: z.string().min(1).optional(),
  LIVEKIT_API_SECRET: z.string().min(32, 'must be at least 32 characters (LiveKit refuses shorter secrets)').optional(),
  LIVEKIT_SIMULATOR_PORT: port.default(8091),
  LIVEKIT_SIMULATOR_IN_BROWSER: bool.optional(),
  // Whereby (platforms/whereby/): its REST API key, and the secret it signs webhooks with (Whereby-Signature).
  WHEREBY_API_KEY: z.string().min(1).optional(),
  WHEREBY_API_URL: url.default('https://api.whereby.dev/v1'),
  WHEREBY_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters (the webhook signing secret from Whereby\'s dashboard)').optional(),
  WHEREBY_SIMULATOR_PORT: port.default(8094),
  // 100ms (platforms/hms/): the app's access key and secret, and the secret header its webhooks carry (100ms signs none).
  HMS_ACCESS_KEY: z.string().min(1).optional(),
  HMS_APP_SECRET: z.string().min(1).optional(),
  HMS_API_URL: url.default('https://api.100ms.live/v2'),
  HMS_WEBHOOK_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name such as x-webhook-secret').default('x-webhook-secret'),
  HMS_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters (the value of the secret header configured with the webhook at 100ms)').optional(),
  HMS_WEBHOOK_TOLERANCE_SECONDS: positiveInt.default(300),
  HMS_TEMPLATE_ID: z.string().regex(/^[0-9a-f]{24}$/, 'must be a 100ms template id (24 hex digits)').optional(),
  HMS_TEMPLATE_RECORDS_TRACKS: bool.default(false),
  HMS_HOST_ROLE: hmsRole.default('host'),
  HMS_GUEST_ROLE: hmsRole.default('guest'),
  HMS_SIMULATOR_PORT: port.default(8093),
  WEB_DIST_DIR: z.string().min(1).optional(),

  SPEECH_ENGINE: z.enum(['whisper', 'openai-compatible'], { message: 'must be whisper or openai-compatible (pocketsphinx was retired: whisper is the offline engine)' }).default('whisper'),
  SPEECH_PYTHON: z.string().min(1).optional(),
  SPEECH_MODEL_DIR: z.string().min(1).optional(),
  SPEECH_OTHER_MODEL_DIRS: z.string().min(1).optional(),
  SPEECH_DEVICE: z.enum(['cpu', 'cuda']).default('cpu'),
  SPEECH_COMPUTE_TYPE: z.enum(['default', 'auto', 'int8', 'int8_float32', 'int8_float16', 'int8_bfloat16', 'int16', 'float16', 'bfloat16', 'float32']).optional(),
  SPEECH_THREADS: positiveInt.optional(),
  SPEECH_BEAM_SIZE: z.coerce.number({ message: 'must be a whole number' }).int().min(1).max(10).default(5),
  SPEECH_API_URL: url.optional(),
  SPEECH_API_KEY: z.string().min(1).optional(),
  SPEECH_MODEL: z.string().min(1).default('whisper-1'),
  SPEECH_TIMEOUT_SECONDS: positiveInt.default(300),
  TRANSCRIPT_LANGUAGE: z.string().regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as en').default('en'),
  SUMMARY_ENGINE: z.enum(['offline', 'openai-compatible']).default('offline'),
  SUMMARY_API_URL: url.optional(),
  SUMMARY_API_KEY: z.string().min(1).optional(),
  SUMMARY_MODEL: z.string().min(1).default('gpt-4o-mini'),
  SUMMARY_TIMEOUT_SECONDS: positiveInt.default(120),
  WORKER_QUEUES: z.string().regex(/^(all|(meetings|audio|speech)(,(meetings|audio|speech))*)$/, 'must be "all" or a comma list of meetings, audio, speech').default('all'),
  AUDIO_CONCURRENCY: positiveInt.optional(),
  SPEECH_CONCURRENCY: positiveInt.optional(),
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt.optional(),
  WORKER_WORKFLOW_TASKS: positiveInt.optional(),
  WORKER_ACTIVITY_TASKS: positiveInt.optional(),
  WORKER_POLLERS: z.coerce.number({ message: 'must be a whole number' }).int().min(2, 'must be at least 2 (one sticky, one shared poll)').optional(),
  WORKER_STICKY_TIMEOUT_SECONDS: positiveInt.optional(),

  OUTGOING_WEBHOOKS_ALLOW_PRIVATE: bool.default(false),

  FIRST_ADMIN_EMAIL: z.email({ message: 'must be an email address' }).default('admin@example.com'),
  FIRST_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  OIDC_ISSUER: url.optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: url.optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
  OIDC_LINK_VERIFIED_EMAIL: bool.default(false),
  SESSION_IDLE_DAYS: positiveInt.default(14),
  WEB_ORIGINS: z.string().regex(/^(https?:\/\/[^\s,/]+)(,https?:\/\/[^\s,/]+)*$/, 'must be a comma list of origins such as https://app.example.com').optional(),
  LOGIN_RATE_LIMIT_PER_MINUTE: positiveInt.default(10),
  PUBLIC_RATE_LIMIT_PER_MINUTE: positiveInt.default(120),
  RECORDING_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).optional(),

  MEETING_DEFAULT_MINUTES: positiveInt.default(240),
  RECORDING_READY_TIMEOUT_SECONDS: positiveInt.default(900),
  MEETING_PRESENCE_SWEEP_SECONDS: positiveInt.default(60),
  RECORDING_MAX_DURATION_SECONDS: positiveInt.default(4 * 3600),
  MEETING_HISTORY_MAX_EVENTS: z.coerce.number().int().min(50, 'must be at least 50').max(50_000).default(2000),
  SIGNED_URL_TTL_SECONDS: positiveInt.default(900),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  /** The worker process's /metrics (runtime/metrics.ts), when METRICS_PORT is set; the API serves its own on its port. */
  metrics: { port?: number; host: string };
  /** The operators' digest (operations/health-report.ts) every `digestMinutes`, posted to `webhookUrl`; null: none is sent. */
  operatorDigest: { webhookUrl?: string; webhookSecret?: string; email?: string; zulip?: { stream: string; topic: string }; digestMinutes: number } | null;
  /** Where finished transcripts may be delivered (delivery/): null where the server is not configured for it. */
  delivery: { mail: MailConfig | null; zulip: ZulipServer | null };
  /** Traces over OTLP/HTTP (runtime/tracing.ts); null: tracing is off and nothing of it is installed. */
  tracing: TracingConfig | null;
  api: { host: string; port: number; publicUrl: string };
  /** Signs local storage URLs and session material. Generated and kept in the data folder when unset. */
  appSecret: string;
  temporal:
    | { mode: 'embedded'; address: string; namespace: string; taskQueue: string; cliPath?: string; uiPort: number; uiUrl: string; dbFile: string }
    | { mode: 'external'; address: string; namespace: string; taskQueue: string; tls: boolean; apiKey?: string; uiUrl?: string };
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgresql'; url: string; poolMax: number };
  storage:
    | { kind: 'local'; rootDir: string; publicBaseUrl: string; signingSecret: string }
    | { kind: 's3'; bucket: string; region: string; endpoint?: string; forcePathStyle: boolean; accessKeyId?: string; secretAccessKey?: string };
  /** Daily, or (embedded default) the Daily simulator started by `npm start`. */
  daily:
    | { mode: 'daily'; apiKey: string; apiUrl: string; webhookSecret: string; storageRoleArn?: string }
    | { mode: 'simulator'; apiKey: string; apiUrl: string; webhookSecret: string; port: number; domain: string };
  /** The platforms this deployment runs, side by side, and the rule that gives a new room its platform. */
  platforms: { enabled: RunnablePlatform[]; rollout: PlatformRollout };
  /** Whereby, or (no WHEREBY_API_KEY, whereby in PLATFORMS) the Whereby simulator started by `npm start`; null when
   * Whereby does not run here. */
  whereby: WherebyConfig | null;
  /** LiveKit with Egress, or (embedded default) the LiveKit simulator started by `npm start`. */
  livekit:
    | { mode: 'livekit'; url: string; clientUrl: string; apiKey: string; apiSecret: string }
    | { mode: 'simulator'; url: string; clientUrl: string; apiKey: string; apiSecret: string; port: number };
  /** 100ms, or (no HMS_ACCESS_KEY) the 100ms simulator started by `npm start` when 100ms is in PLATFORMS. */
  hms: HmsConfig;
  meetings: { defaultMinutes: number; recordingReadyTimeoutSeconds: number; presenceSweepSeconds: number; recordingMaxDurationSeconds: number; historyMaxEvents: number };
  transcription: {
    language: string;
    speech:
      | {
          engine: 'whisper';
          /** The environment's Python and the model folder; `managed`: both are the project's own (.venv), which `npm start` sets up. */
          python: string; modelDir: string; managed: boolean;
          device: 'cpu' | 'cuda'; computeType: string; threads: number; beamSize: number; timeoutSeconds: number;
        }
      | { engine: 'openai-compatible'; apiUrl: string; apiKey?: string; model: string; timeoutSeconds: number };
    /** The other engines a rerun of a recording may choose (SPEECH_OTHER_MODEL_DIRS; the SPEECH_API_URL service when
     * Whisper is the default), each named by its label, none the same as the default's. */
    otherSpeech: Array<Config['transcription']['speech']>;
    summary: { engine: 'offline' } | { engine: 'openai-compatible'; apiUrl: string; apiKey?: string; model: string; timeoutSeconds: number };
  };
  /** `meetingsQueue`: the base queue's knobs for scale (README "Scaling out"); unset ones keep the SDK's defaults. */
  worker: {
    queues: Array<'meetings' | 'audio' | 'speech'>; audioConcurrency: number; speechConcurrency: number;
    meetingsQueue: { maxCachedWorkflows?: number; workflowTasks?: number; activityTasks?: number; pollers?: number; stickyTimeoutSeconds?: number };
  };
  /** Rooms' webhook URLs may point at private or loopback addresses (development and tests only). */
  outgoingWebhooksAllowPrivate: boolean;
  signedUrlTtlSeconds: number;
  /**
   * The browser client: where its build is, and how its room page holds each platform's calls (for the platforms
   * run here): driving the platform's simulator (`simulatorControlUrl`, its control API: a simulated call), or,
   * when that is null, through the platform's own client (Daily Prebuilt; livekit-client connecting to `clientUrl`).
   */
  web: {
    distDir: string;
    calls: {
      daily?: { simulatorControlUrl: string | null };
      livekit?: { simulatorControlUrl: string | null; clientUrl: string };
      /** 100ms: only its embedded simulator (the page has no 100ms browser SDK yet). */
      '100ms'?: { simulatorControlUrl: string | null };
      /** Whereby: only its embedded simulator (the page has no `<whereby-embed>` yet). */
      whereby?: { simulatorControlUrl: string | null };
    };
  };
  auth: {
    firstAdmin: { email: string; password?: string };
    /** Bearer JWTs from an OpenID Connect provider; absent: only local accounts, API keys and meeting tokens. */
    oidc: { issuer: string; audience: string; jwksUri?: string; clientId?: string; clientSecret?: string; clockSkewSeconds: number; linkVerifiedEmail: boolean } | null;
    sessionIdleSeconds: number;
    /** Origins other than our own whose browsers may call the API with credentials (CORS). */
    webOrigins: string[];
    loginRateLimitPerMinute: number;
    publicRateLimitPerMinute: number;
  };
  /** Days a recording lives when its room sets none; undefined: kept until deleted. */
  defaultRetentionDays?: number;
}

interface HmsCommon {
  apiUrl: string;
  accessKey: string;
  appSecret: string;
  /** The secret header 100ms sends with every webhook: its name and value (as configured with the webhook there). */
  webhookHeader: { name: string; value: string };
  webhookToleranceSeconds: number;
  templateId?: string;
  /** The template records each peer's microphone (per-track speakers); otherwise the composite is transcribed alone. */
  templateRecordsTracks: boolean;
  hostRole: string;
  guestRole: string;
}

export type WherebyConfig =
  | { mode: 'whereby'; apiKey: string; apiUrl: string; webhookSecret: string }
  /** `bucketKeys`: the access keys the simulator is given for our bucket when our storage is a local folder (with S3,
   * Whereby is given S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY as in production). */
  | { mode: 'simulator'; apiKey: string; apiUrl: string; webhookSecret: string; port: number; bucketKeys: { accessKeyId: string; secretAccessKey: string } };

export type HmsConfig = (HmsCommon & { mode: 'hms' }) | (HmsCommon & { mode: 'simulator'; port: number });

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (if present) under the real environment, which wins. */
export function readEnvironment(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  const fromFile = existsSync(file) ? parseDotEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

export function parseConfig(raw: Record<string, string | undefined>, secrets: { appSecret: () => string } = { appSecret: defaultAppSecret }): Config {
  // Empty strings count as unset, as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])] ?? null)})`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://${e.API_HOST === '0.0.0.0' ? '127.0.0.1' : e.API_HOST}:${e.API_PORT}`).replace(/\/$/, '');
  const s3Keys = [e.S3_ACCESS_KEY_ID, e.S3_SECRET_ACCESS_KEY].filter(Boolean).length;
  if (s3Keys === 1) throw new ConfigError('Invalid configuration:\n  S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  const appSecret = e.APP_SECRET ?? secrets.appSecret();
  const speechConcurrency = e.SPEECH_CONCURRENCY ?? Math.max(1, availableParallelism());
  if (e.DAILY_API_KEY && !e.DAILY_WEBHOOK_SECRET) throw new ConfigError('Invalid configuration:\n  DAILY_WEBHOOK_SECRET is required with DAILY_API_KEY (the webhook hmac, base64)');
  const platforms = platformsConfig(e);
  const livekit = liveKitConfig(e, appSecret);
  const hms = hmsConfig(e, appSecret);
  const whereby = wherebyConfig(e, appSecret, platforms.enabled);

  return {
    dataDir,
    logLevel: e.LOG_LEVEL,
    tracing: tracingConfig(e),
    metrics: { ...(e.METRICS_PORT !== undefined && { port: e.METRICS_PORT }), host: e.METRICS_HOST },
    operatorDigest: e.OPERATOR_WEBHOOK_URL || e.OPERATOR_DIGEST_EMAIL || e.OPERATOR_DIGEST_ZULIP_STREAM
      ? {
          ...(e.OPERATOR_WEBHOOK_URL && { webhookUrl: e.OPERATOR_WEBHOOK_URL }), ...(e.OPERATOR_WEBHOOK_SECRET && { webhookSecret: e.OPERATOR_WEBHOOK_SECRET }),
          ...(e.OPERATOR_DIGEST_EMAIL && { email: e.OPERATOR_DIGEST_EMAIL }),
          ...(e.OPERATOR_DIGEST_ZULIP_STREAM && { zulip: { stream: e.OPERATOR_DIGEST_ZULIP_STREAM, topic: e.OPERATOR_DIGEST_ZULIP_TOPIC } }),
          digestMinutes: e.OPERATOR_DIGEST_MINUTES,
        }
      : null,
    delivery: deliveryConfig(e, publicUrl),
    api: { host: e.API_HOST, port: e.API_PORT, publicUrl },
    appSecret,
    temporal: e.TEMPORAL_ADDRESS
      ? { mode: 'external', address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE, tls: e.TEMPORAL_TLS, apiKey: e.TEMPORAL_API_KEY, uiUrl: e.TEMPORAL_UI_URL }
      : {
          mode: 'embedded',
          address: `127.0.0.1:${e.TEMPORAL_PORT}`,
          namespace: e.TEMPORAL_NAMESPACE,
          taskQueue: e.TEMPORAL_TASK_QUEUE,
          cliPath: e.TEMPORAL_CLI_PATH,
          uiPort: e.TEMPORAL_UI_PORT,
          uiUrl: e.TEMPORAL_UI_URL ?? `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`,
          dbFile: path.join(dataDir, 'temporal.db'),
        },
    database: e.DATABASE_URL ? { kind: 'postgresql', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX } : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    storage: e.S3_BUCKET
      ? { kind: 's3', bucket: e.S3_BUCKET, region: e.S3_REGION, endpoint: e.S3_ENDPOINT, forcePathStyle: e.S3_FORCE_PATH_STYLE, accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
      : { kind: 'local', rootDir: path.join(dataDir, 'objects'), publicBaseUrl: publicUrl, signingSecret: appSecret },
    daily: dailyConfig(e, appSecret),
    platforms,
    livekit,
    hms,
    whereby,
    meetings: { defaultMinutes: e.MEETING_DEFAULT_MINUTES, recordingReadyTimeoutSeconds: e.RECORDING_READY_TIMEOUT_SECONDS, presenceSweepSeconds: e.MEETING_PRESENCE_SWEEP_SECONDS, recordingMaxDurationSeconds: e.RECORDING_MAX_DURATION_SECONDS, historyMaxEvents: e.MEETING_HISTORY_MAX_EVENTS },
    signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
    web: {
      distDir: path.resolve(e.WEB_DIST_DIR ?? path.join(import.meta.dirname, '..', 'web', 'dist')),
      calls: webCalls(e, livekit, hms, whereby, platforms.enabled),
    },
    transcription: {
      language: e.TRANSCRIPT_LANGUAGE,
      ...speechConfigs(e, speechConcurrency),
      summary: e.SUMMARY_ENGINE === 'offline'
        ? { engine: 'offline' }
        : { engine: 'openai-compatible', apiUrl: required(e.SUMMARY_API_URL, 'SUMMARY_API_URL', 'SUMMARY_ENGINE=openai-compatible'), apiKey: e.SUMMARY_API_KEY, model: e.SUMMARY_MODEL, timeoutSeconds: e.SUMMARY_TIMEOUT_SECONDS },
    },
    outgoingWebhooksAllowPrivate: e.OUTGOING_WEBHOOKS_ALLOW_PRIVATE,
    auth: {
      firstAdmin: { email: e.FIRST_ADMIN_EMAIL, ...(e.FIRST_ADMIN_PASSWORD ? { password: e.FIRST_ADMIN_PASSWORD } : {}) },
      oidc: e.OIDC_ISSUER
        ? {
            issuer: e.OIDC_ISSUER,
            audience: required(e.OIDC_AUDIENCE, 'OIDC_AUDIENCE', 'OIDC_ISSUER'),
            jwksUri: e.OIDC_JWKS_URL,
            clientId: e.OIDC_CLIENT_ID,
            clientSecret: e.OIDC_CLIENT_SECRET,
            clockSkewSeconds: e.OIDC_CLOCK_SKEW_SECONDS,
            linkVerifiedEmail: e.OIDC_LINK_VERIFIED_EMAIL,
          }
        : null,
      sessionIdleSeconds: e.SESSION_IDLE_DAYS * 86_400,
      webOrigins: e.WEB_ORIGINS ? e.WEB_ORIGINS.split(',') : [],
      loginRateLimitPerMinute: e.LOGIN_RATE_LIMIT_PER_MINUTE,
      publicRateLimitPerMinute: e.PUBLIC_RATE_LIMIT_PER_MINUTE,
    },
    ...(e.RECORDING_RETENTION_DAYS ? { defaultRetentionDays: e.RECORDING_RETENTION_DAYS } : {}),
    worker: {
      queues: e.WORKER_QUEUES === 'all' ? ['meetings', 'audio', 'speech'] : (e.WORKER_QUEUES.split(',') as Array<'meetings' | 'audio' | 'speech'>),
      audioConcurrency: e.AUDIO_CONCURRENCY ?? Math.max(1, availableParallelism()),
      speechConcurrency,
      meetingsQueue: {
        maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS, workflowTasks: e.WORKER_WORKFLOW_TASKS, activityTasks: e.WORKER_ACTIVITY_TASKS,
        pollers: e.WORKER_POLLERS, stickyTimeoutSeconds: e.WORKER_STICKY_TIMEOUT_SECONDS,
      },
    },
  };
}

function deliveryConfig(e: Env, publicUrl: string): Config['delivery'] {
  if (e.OPERATOR_DIGEST_EMAIL && !e.SMTP_URL) throw new ConfigError('Invalid configuration:\n  OPERATOR_DIGEST_EMAIL needs SMTP_URL (the mail server the digest is sent through)');
  const zulipSet = [e.ZULIP_SITE, e.ZULIP_BOT_EMAIL, e.ZULIP_API_KEY].filter(Boolean).length;
  if (e.OPERATOR_DIGEST_ZULIP_STREAM && zulipSet < 3) throw new ConfigError('Invalid configuration:\n  OPERATOR_DIGEST_ZULIP_STREAM needs ZULIP_SITE, ZULIP_BOT_EMAIL and ZULIP_API_KEY (the bot the digest is posted as)');
  if (zulipSet > 0 && zulipSet < 3) throw new ConfigError('Invalid configuration:\n  ZULIP_SITE, ZULIP_BOT_EMAIL and ZULIP_API_KEY must be set together (the organization, its bot and the bot\'s API key)');
  return {
    mail: e.SMTP_URL ? { url: e.SMTP_URL, from: e.MAIL_FROM ?? `Meeting notes <notes@${new URL(publicUrl).hostname}>`, requireValidCertificate: e.SMTP_TLS_REJECT_UNAUTHORIZED } : null,
    zulip: e.ZULIP_SITE && e.ZULIP_BOT_EMAIL && e.ZULIP_API_KEY ? { site: e.ZULIP_SITE.replace(/\/$/, ''), botEmail: e.ZULIP_BOT_EMAIL, apiKey: e.ZULIP_API_KEY } : null,
  };
}

function required(value: string | undefined, name: string, because: string): string {
  if (!value) throw new ConfigError(`Invalid configuration:\n  ${name} is required with ${because}`);
  return value;
}

/**
 * The default speech engine (SPEECH_ENGINE) and the others a rerun may choose: each folder of SPEECH_OTHER_MODEL_DIRS
 * (another Whisper model on this machine, in a process of its own started when first asked for) and, when Whisper is
 * the default, the SPEECH_API_URL service. Two engines with one label are refused: a transcript names its engine by it.
 */
function speechConfigs(e: Env, concurrency: number): Pick<Config['transcription'], 'speech' | 'otherSpeech'> {
  const service = (apiUrl: string): Config['transcription']['speech'] => ({ engine: 'openai-compatible', apiUrl, apiKey: e.SPEECH_API_KEY, model: e.SPEECH_MODEL, timeoutSeconds: e.SPEECH_TIMEOUT_SECONDS });
  const speech = e.SPEECH_ENGINE === 'whisper' ? whisperConfig(e, concurrency, e.SPEECH_MODEL_DIR) : service(required(e.SPEECH_API_URL, 'SPEECH_API_URL', 'SPEECH_ENGINE=openai-compatible'));
  const otherSpeech = [
    ...(e.SPEECH_OTHER_MODEL_DIRS ?? '').split(',').map((dir) => dir.trim()).filter(Boolean).map((dir) => ({ ...whisperConfig(e, concurrency, dir), managed: false })),
    ...(e.SPEECH_ENGINE === 'whisper' && e.SPEECH_API_URL ? [service(e.SPEECH_API_URL)] : []),
  ];
  const labels = new Set([configuredSpeechEngine(speech)]);
  for (const other of otherSpeech) {
    const label = configuredSpeechEngine(other);
    if (labels.has(label)) throw new ConfigError(`Invalid configuration:\n  SPEECH_OTHER_MODEL_DIRS: two speech engines would both be named ${label} (a model folder's name names its engine); give each model folder its own name`);
    labels.add(label);
  }
  return { speech, otherSpeech };
}

/** The project's own Python environment, made by speech/whisper/setup.py. */
const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');
export const PROJECT_VENV = path.join(PROJECT_ROOT, '.venv');

/**
 * Whisper on this machine. Its CPU threads × SPEECH_CONCURRENCY never exceed the cores: by default each of the
 * SPEECH_CONCURRENCY recognitions gets cores ÷ SPEECH_CONCURRENCY threads, and a setting beyond the cores is refused.
 */
function whisperConfig(e: Env, concurrency: number, modelFolder: string | undefined): Config['transcription']['speech'] {
  const cores = Math.max(1, availableParallelism());
  const threads = e.SPEECH_THREADS ?? Math.max(1, Math.floor(cores / concurrency));
  const servesSpeech = e.WORKER_QUEUES === 'all' || e.WORKER_QUEUES.split(',').includes('speech');
  if (servesSpeech && e.SPEECH_DEVICE === 'cpu' && threads * concurrency > cores) {
    throw new ConfigError(`Invalid configuration:\n  SPEECH_THREADS × SPEECH_CONCURRENCY = ${threads} × ${concurrency} exceeds the ${cores} CPU cores here; lower one of them (whisper on the CPU)`);
  }
  const python = path.resolve(e.SPEECH_PYTHON ?? path.join(PROJECT_VENV, 'bin', 'python'));
  const modelDir = path.resolve(modelFolder ?? path.join(PROJECT_VENV, 'models', 'whisper-base'));
  return {
    engine: 'whisper', python, modelDir, managed: !e.SPEECH_PYTHON && !e.SPEECH_MODEL_DIR,
    device: e.SPEECH_DEVICE, computeType: e.SPEECH_COMPUTE_TYPE ?? (e.SPEECH_DEVICE === 'cuda' ? 'float16' : 'int8'),
    threads, beamSize: e.SPEECH_BEAM_SIZE, timeoutSeconds: e.SPEECH_TIMEOUT_SECONDS,
  };
}

function dailyConfig(e: Env, appSecret: string): Config['daily'] {
  if (e.DAILY_API_KEY) {
    return { mode: 'daily', apiKey: e.DAILY_API_KEY, apiUrl: e.DAILY_API_URL, webhookSecret: e.DAILY_WEBHOOK_SECRET!, storageRoleArn: e.DAILY_STORAGE_ROLE_ARN };
  }
  // The simulator's credentials derive from the app secret: stable across restarts, never configured by hand.
  const derive = (purpose: string) => createHmac('sha256', appSecret).update(purpose).digest();
  return {
    mode: 'simulator',
    apiKey: derive('daily-simulator-api-key').toString('hex'),
    webhookSecret: derive('daily-simulator-webhook-hmac').toString('base64'),
    apiUrl: `http://127.0.0.1:${e.DAILY_SIMULATOR_PORT}/v1`,
    port: e.DAILY_SIMULATOR_PORT,
    domain: 'sim',
  };
}

export type RunnablePlatform = (typeof RUNNABLE_PLATFORMS)[number];

/**
 * PLATFORMS lists what runs here (default: daily, and livekit too on embedded defaults, where both are simulated);
 * the rollout rule (platforms/rollout.ts) may name only those.
 */
function platformsConfig(e: Env): Config['platforms'] {
  const embedded = !e.DAILY_API_KEY && !e.LIVEKIT_API_KEY;
  const keyed = [...(e.WHEREBY_API_KEY ? ['whereby' as const] : []), ...(e.HMS_ACCESS_KEY ? ['100ms' as const] : [])];
  const enabled = e.PLATFORMS ?? (embedded
    ? ['daily', 'livekit', ...keyed]
    : [...(e.DAILY_API_KEY ? ['daily' as const] : []), ...(e.LIVEKIT_API_KEY ? ['livekit' as const] : []), ...keyed]);
  const legacy = e.PLATFORM_LEGACY ?? enabled[0]!;
  const rollout: PlatformRollout = {
    enabled: e.PLATFORM_ROLLOUT,
    legacy,
    target: e.PLATFORM_ROLLOUT_TARGET ?? legacy,
    rooms: e.PLATFORM_ROLLOUT_ROOMS ? e.PLATFORM_ROLLOUT_ROOMS.split(',') : [],
    default: e.PLATFORM_DEFAULT ?? legacy,
  };
  if (e.PLATFORM_ROLLOUT && !e.PLATFORM_ROLLOUT_TARGET) throw new ConfigError('Invalid configuration:\n  PLATFORM_ROLLOUT_TARGET is required with PLATFORM_ROLLOUT=true (the platform the listed rooms move to)');
  const named = [['PLATFORM_LEGACY', rollout.legacy], ['PLATFORM_ROLLOUT_TARGET', rollout.target], ['PLATFORM_DEFAULT', rollout.default]] as const;
  for (const [variable, name] of named) {
    if (!enabled.includes(name as RunnablePlatform)) throw new ConfigError(`Invalid configuration:\n  ${variable}: ${name} is not among PLATFORMS (${enabled.join(', ')})`);
  }
  if (enabled.includes('livekit') && e.LIVEKIT_API_KEY && (!e.LIVEKIT_URL || !e.LIVEKIT_API_SECRET)) {
    throw new ConfigError('Invalid configuration:\n  LIVEKIT_URL and LIVEKIT_API_SECRET are required with LIVEKIT_API_KEY');
  }
  if (e.WHEREBY_API_KEY && !e.WHEREBY_WEBHOOK_SECRET) throw new ConfigError('Invalid configuration:\n  WHEREBY_WEBHOOK_SECRET is required with WHEREBY_API_KEY (the secret Whereby signs webhooks with)');
  if (!e.WHEREBY_API_KEY && e.WHEREBY_WEBHOOK_SECRET) throw new ConfigError('Invalid configuration:\n  WHEREBY_API_KEY is required with WHEREBY_WEBHOOK_SECRET (without both, the embedded Whereby simulator runs)');
  if (e.HMS_ACCESS_KEY && (!e.HMS_APP_SECRET || !e.HMS_WEBHOOK_SECRET)) {
    throw new ConfigError('Invalid configuration:\n  HMS_APP_SECRET and HMS_WEBHOOK_SECRET are required with HMS_ACCESS_KEY (the app secret, and the value of the secret webhook header configured at 100ms)');
  }
  if (!e.HMS_ACCESS_KEY && e.HMS_APP_SECRET) throw new ConfigError('Invalid configuration:\n  HMS_ACCESS_KEY is required with HMS_APP_SECRET (without both, the embedded 100ms simulator runs)');
  return { enabled, rollout };
}

function hmsConfig(e: Env, appSecret: string): HmsConfig {
  const common = {
    webhookToleranceSeconds: e.HMS_WEBHOOK_TOLERANCE_SECONDS,
    ...(e.HMS_TEMPLATE_ID && { templateId: e.HMS_TEMPLATE_ID }),
    templateRecordsTracks: e.HMS_TEMPLATE_RECORDS_TRACKS,
    hostRole: e.HMS_HOST_ROLE,
    guestRole: e.HMS_GUEST_ROLE,
  };
  if (e.HMS_ACCESS_KEY && e.HMS_APP_SECRET && e.HMS_WEBHOOK_SECRET) {
    return { mode: 'hms', apiUrl: e.HMS_API_URL, accessKey: e.HMS_ACCESS_KEY, appSecret: e.HMS_APP_SECRET, webhookHeader: { name: e.HMS_WEBHOOK_HEADER, value: e.HMS_WEBHOOK_SECRET }, ...common };
  }
  // As for the other simulators: credentials derived from the app secret, stable across restarts. Its templates are
  // its own: the default one is used (no template id).
  const derive = (purpose: string) => createHmac('sha256', appSecret).update(purpose).digest('hex');
  const { templateId: _templateId, ...simulated } = common;
  return {
    mode: 'simulator', apiUrl: `http://127.0.0.1:${e.HMS_SIMULATOR_PORT}/v2`, accessKey: derive('hms-simulator-access-key').slice(0, 24), appSecret: derive('hms-simulator-app-secret'),
    webhookHeader: { name: e.HMS_WEBHOOK_HEADER, value: derive('hms-simulator-webhook-secret') }, port: e.HMS_SIMULATOR_PORT, ...simulated,
  };
}

function wherebyConfig(e: Env, appSecret: string, enabled: readonly RunnablePlatform[]): WherebyConfig | null {
  if (e.WHEREBY_API_KEY && e.WHEREBY_WEBHOOK_SECRET) return { mode: 'whereby', apiKey: e.WHEREBY_API_KEY, apiUrl: e.WHEREBY_API_URL, webhookSecret: e.WHEREBY_WEBHOOK_SECRET };
  if (!enabled.includes('whereby')) return null;
  // As for the other simulators: credentials derived from the app secret, stable across restarts.
  const derive = (purpose: string) => createHmac('sha256', appSecret).update(purpose).digest('hex');
  return {
    mode: 'simulator', apiKey: derive('whereby-simulator-api-key'), apiUrl: `http://127.0.0.1:${e.WHEREBY_SIMULATOR_PORT}/v1`, webhookSecret: derive('whereby-simulator-webhook-secret'),
    port: e.WHEREBY_SIMULATOR_PORT, bucketKeys: { accessKeyId: `AKIA${derive('whereby-simulator-bucket-key').slice(0, 16).toUpperCase()}`, secretAccessKey: derive('whereby-simulator-bucket-secret') },
  };
}

function liveKitConfig(e: Env, appSecret: string): Config['livekit'] {
  if (e.LIVEKIT_API_KEY && e.LIVEKIT_URL && e.LIVEKIT_API_SECRET) {
    const clientUrl = e.LIVEKIT_CLIENT_URL ?? e.LIVEKIT_URL.replace(/^http/, 'ws');
    return { mode: 'livekit', url: e.LIVEKIT_URL, clientUrl, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET };
  }
  // As for Daily's simulator: credentials derived from the app secret, stable across restarts.
  const derive = (purpose: string) => createHmac('sha256', appSecret).update(purpose).digest('hex');
  const url = `http://127.0.0.1:${e.LIVEKIT_SIMULATOR_PORT}`;
  return { mode: 'simulator', url, clientUrl: url.replace(/^http/, 'ws'), apiKey: `API${derive('livekit-simulator-api-key').slice(0, 12)}`, apiSecret: derive('livekit-simulator-api-secret'), port: e.LIVEKIT_SIMULATOR_PORT };
}

/**
 * An embedded simulator is driven from the page by default; a DAILY_API_URL or LIVEKIT_URL that is a simulator can
 * opt in (…_SIMULATOR_IN_BROWSER=true), and an embedded one opt out (false: the page uses the platform's own client).
 */
function webCalls(e: Env, livekit: Config['livekit'], hms: HmsConfig, whereby: WherebyConfig | null, enabled: readonly RunnablePlatform[]): Config['web']['calls'] {
  const calls: Config['web']['calls'] = {};
  if (enabled.includes('daily')) {
    const simulated = e.DAILY_SIMULATOR_IN_BROWSER ?? !e.DAILY_API_KEY;
    const origin = e.DAILY_API_KEY ? new URL(e.DAILY_API_URL).origin : `http://127.0.0.1:${e.DAILY_SIMULATOR_PORT}`;
    calls.daily = { simulatorControlUrl: simulated ? `${origin}/_sim` : null };
  }
  if (enabled.includes('livekit')) {
    const simulated = e.LIVEKIT_SIMULATOR_IN_BROWSER ?? livekit.mode === 'simulator';
    const origin = new URL(livekit.url.replace(/^ws/, 'http')).origin;
    calls.livekit = { simulatorControlUrl: simulated ? `${origin}/_sim` : null, clientUrl: livekit.clientUrl };
  }
  if (enabled.includes('100ms')) calls['100ms'] = { simulatorControlUrl: hms.mode === 'simulator' ? `http://127.0.0.1:${hms.port}/_sim` : null };
  if (whereby && enabled.includes('whereby')) calls.whereby = { simulatorControlUrl: whereby.mode === 'simulator' ? `http://127.0.0.1:${whereby.port}/_sim` : null };
  return calls;
}

/** Embedded mode: one random secret per data folder, kept across restarts so signed links stay valid. */
function defaultAppSecret(): string {
  throw new ConfigError('APP_SECRET is required here (loadConfig generates one in the data folder)');
}

export async function loadConfig(raw = readEnvironment()): Promise<Config> {
  const { mkdir, readFile, writeFile } = await import('node:fs/promises');
  const { randomBytes } = await import('node:crypto');
  const dataDir = path.resolve(raw.DATA_DIR || '.data');
  const secretFile = path.join(dataDir, 'app-secret');
  let generated: string | undefined;
  if (!raw.APP_SECRET) {
    await mkdir(dataDir, { recursive: true });
    generated = await readFile(secretFile, 'utf8').catch(() => undefined);
    if (!generated) {
      generated = randomBytes(32).toString('base64url');
      await writeFile(secretFile, generated, { mode: 0o600 });
    }
  }
  return parseConfig(raw, { appSecret: () => generated! });
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the traces URL itself; OTEL_EXPORTER_OTLP_ENDPOINT the base the signal's path is added to (OTLP's rule). */
function tracingConfig(e: Env): TracingConfig | null {
  const tracesUrl = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  return tracesUrl ? { tracesUrl, serviceName: e.OTEL_SERVICE_NAME } : null;
}
