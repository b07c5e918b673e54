import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createSimClock } from '../../daily/simulator/clock.ts';
import type { SimClock, SimClockConfig } from '../../daily/simulator/clock.ts';
import { seededRandom } from '../../daily/simulator/faults.ts';
import { listenOn, readBody, send, shutDown } from '../../daily/simulator/http.ts';
import type { SimRequest } from '../../daily/simulator/http.ts';
import { PendingWork } from '../../daily/simulator/pending-work.ts';
import { SpeechLibrary } from '../../daily/simulator/speech.ts';
import { LocalFolderStorage, STORAGE_ROUTE_PREFIX } from '../../../storage/local-folder.ts';
import { HmsSimError, appTokenClaims, notFound } from './auth.ts';
import type { HmsApp } from './auth.ts';
import { createControlApi } from './control-api.ts';
import type { HmsJoinOptions, HmsSimFaults, HmsSimStateView, HmsSimStats, HmsSimulatorControl, JoinedPeer, SpeechInput } from './control.ts';
import { createRestApi } from './rest-api.ts';
import { RoomModel, hmsId, present } from './room-model.ts';
import type { HmsTemplate } from './room-model.ts';
import { HmsWebhookNotifier } from './webhooks.ts';
import type { HmsWebhookConfig, HmsWebhookDelivery, HmsWebhookRetryOptions } from './webhooks.ts';

export interface HmsSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The app's access key and secret (the dashboard's developer credentials). */
  accessKey: string;
  appSecret: string;
  /** The first is the default for new rooms. Default: one template with composite recording and no track recording. */
  templates?: Array<Partial<HmsTemplate> & { id?: string }>;
  webhook?: Partial<HmsWebhookConfig>;
  webhookRetry?: HmsWebhookRetryOptions;
  clock?: SimClockConfig;
  /** How long a recording is `starting` before it runs. Default 2 s. */
  recordingStartupMs?: number;
  /** How long presigned links work. Default 24 h, as 100ms's. */
  presignedUrlTtlSeconds?: number;
  faults?: HmsSimFaults;
  seed?: number;
  log?: (message: string) => void;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface SimulatorParts {
  app: HmsApp;
  clock: SimClock;
  model: RoomModel;
  webhooks: HmsWebhookNotifier;
  speech: SpeechLibrary;
  work: PendingWork;
  faults: { current: HmsSimFaults };
  presignedTtl: { seconds: number };
  calls: Record<string, number>;
  close: () => Promise<void>;
}

/** 100ms over HTTP on loopback: the REST API under /v2, presigned file links under /v1/storage, the control API under /_sim. */
export class HmsSimulator implements HmsSimulatorControl {
  /** What the adapter takes as its API base (100ms's https://api.100ms.live/v2). */
  readonly apiUrl: string;
  readonly controlUrl: string;
  readonly #parts: SimulatorParts;

  constructor(origin: string, parts: SimulatorParts) {
    this.apiUrl = `${origin}/v2`;
    this.controlUrl = `${origin}/_sim`;
    this.#parts = parts;
  }

  get faults(): HmsSimFaults {
    return this.#parts.faults.current;
  }

  /** The app's templates; the first is new rooms' default. */
  get templates(): HmsTemplate[] {
    return this.#parts.model.templates;
  }

  async ensureRoom(name: string, templateId?: string): Promise<{ roomId: string }> {
    return { roomId: this.#parts.model.createRoom({ name, ...(templateId !== undefined && { templateId }) }).id };
  }

  async join(roomId: string, options: HmsJoinOptions): Promise<JoinedPeer> {
    const { model, app } = this.#parts;
    let who: { name: string; userId?: string; role: string };
    if (options.token !== undefined) {
      const claims = await appTokenClaims(options.token, app);
      if (claims.room_id !== roomId) throw new HmsSimError(403, `the token is for room ${claims.room_id}, not ${roomId}`);
      who = { name: options.name ?? claims.user_id, userId: claims.user_id, role: claims.role };
    } else {
      if (!options.name) throw new HmsSimError(400, 'name is required to join without a token');
      who = { name: options.name, ...(options.userId !== undefined && { userId: options.userId }), role: options.role ?? 'guest' };
    }
    const peer = model.join(roomId, { ...who, ...(options.metadata !== undefined && { metadata: options.metadata }), ...(options.voice !== undefined && { voice: options.voice }) });
    return { peerId: peer.id, sessionId: peer.sessionId, roomId, role: peer.role, userId: peer.userId };
  }

  async say(peerId: string, speech: SpeechInput) {
    const { model, speech: library, clock } = this.#parts;
    const peer = model.presentPeer(peerId);
    // Speech starts when it was asked for, not once synthesis is done (which matters on a real clock).
    const atMs = clock.now();
    const clip = 'text' in speech ? await library.speak(speech.text, peer.voice) : 'wavPath' in speech ? await library.decodeFile(speech.wavPath) : await library.decode(speech.audio);
    const placed = model.say(peerId, clip, atMs);
    return { atMs: placed.atMs, durationMs: placed.durationMs };
  }

  async leave(peerId: string): Promise<void> {
    this.#parts.model.leave(peerId);
  }

  async clock() {
    return { mode: this.#parts.clock.mode, nowMs: this.#parts.clock.now() };
  }

  async advance(ms: number) {
    this.#parts.clock.advance(ms);
    return { nowMs: this.#parts.clock.now() };
  }

  async setFaults(faults: HmsSimFaults): Promise<void> {
    this.#parts.faults.current = structuredClone(faults);
  }

  async failRecording(recordingId: string, message?: string): Promise<void> {
    this.#parts.model.failRecording(recordingId, message);
  }

  async configureWebhook(config: HmsWebhookConfig): Promise<void> {
    this.#parts.webhooks.configure(config);
  }

  async setPresignedUrlTtl(seconds: number): Promise<void> {
    this.#parts.presignedTtl.seconds = seconds;
  }

  async webhookDeliveries(): Promise<HmsWebhookDelivery[]> {
    return this.#parts.webhooks.deliveries();
  }

  async stats(): Promise<HmsSimStats> {
    return { apiCalls: { ...this.#parts.calls } };
  }

  async state(): Promise<HmsSimStateView> {
    const { model, webhooks } = this.#parts;
    const config = webhooks.config;
    return {
      clock: await this.clock(),
      rooms: [...model.rooms.values()].map((room) => {
        const session = model.activeSession(room.id);
        return {
          id: room.id,
          name: room.name,
          enabled: room.enabled,
          sessionId: session?.id ?? null,
          present: session ? present(session).map((p) => ({ peerId: p.id, name: p.name, userId: p.userId, role: p.role })) : [],
        };
      }),
      recordings: model.recordings.map((r) => ({
        id: r.id,
        roomId: r.roomId,
        sessionId: r.sessionId,
        status: r.status,
        beam: r.beamId !== null,
        assets: r.assets.map((a) => ({ type: a.type, path: model.recordingPath(a.key), size: a.size })),
      })),
      // The secret headers' values stay inside.
      webhook: { url: config.url, headerNames: Object.keys(config.headers) },
    };
  }

  whenIdle(): Promise<void> {
    return this.#parts.work.whenIdle();
  }

  /** Stops serving, cancels timers and pending webhook retries, waits for media in progress. */
  stop(): Promise<void> {
    return this.#parts.close();
  }
}

export async function startHmsSimulator(options: HmsSimulatorOptions): Promise<HmsSimulator> {
  const workDir = await mkdtemp(join(tmpdir(), 'hms-sim-'));
  const clock = createSimClock(options.clock);
  const work = new PendingWork();
  const random = seededRandom(options.seed ?? randomInt(2 ** 31));
  const log = options.log ?? ((message: string) => console.warn(`[hms-sim] ${message}`));
  const faults = { current: structuredClone(options.faults ?? {}) };
  const presignedTtl = { seconds: options.presignedUrlTtlSeconds ?? 86_400 };
  const app: HmsApp = { accessKey: options.accessKey, secret: options.appSecret };
  const calls: Record<string, number> = {};
  const templates: HmsTemplate[] = (options.templates?.length ? options.templates : [{}]).map((t, i) => ({
    id: t.id ?? hmsId(),
    name: t.name ?? `template-${i + 1}`,
    compositeRecording: t.compositeRecording ?? true,
    sfuRecording: t.sfuRecording ?? false,
    trackRecording: t.trackRecording ?? false,
  }));
  const webhooks = new HmsWebhookNotifier({
    appId: hmsId(),
    accountId: hmsId(),
    config: { url: options.webhook?.url ?? null, headers: options.webhook?.headers ?? {} },
    ...(options.webhookRetry && { retry: options.webhookRetry }),
    faults: () => faults.current.webhooks ?? [],
    random,
    work,
  });
  let storage: LocalFolderStorage | null = null;
  let rest: ((request: SimRequest) => Promise<{ status?: number; json: unknown } | { status: number; empty: true }>) | null = null;
  let control: ((request: SimRequest, response: ServerResponse) => Promise<void>) | null = null;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    try {
      if (url.pathname.startsWith(STORAGE_ROUTE_PREFIX)) {
        await servePresigned(storage!, req, res, url);
        return;
      }
      const surface = url.pathname.startsWith('/v2/') ? 'rest' : url.pathname.startsWith('/_sim') ? 'control' : null;
      const request: SimRequest = {
        method: req.method ?? 'GET',
        path: surface === 'rest' ? url.pathname.slice('/v2'.length) : surface === 'control' ? url.pathname.slice('/_sim'.length) || '/' : url.pathname,
        params: {},
        query: url.searchParams,
        headers: req.headers,
        body: await readBody(req, MAX_BODY_BYTES),
      };
      if (surface === 'control') await control!(request, res);
      else if (surface === 'rest') send(res, await rest!(request));
      else throw notFound(`no route for ${url.pathname}`);
    } catch (error) {
      if (error instanceof HmsSimError) send(res, error.response());
      else {
        log(`internal error on ${req.method} ${url.pathname}: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) send(res, new HmsSimError(500, 'internal server error').response());
        else res.destroy();
      }
    }
  });
  const origin = await listenOn(server, options.port, options.host);
  storage = new LocalFolderStorage({ rootDir: join(workDir, 'storage'), publicBaseUrl: origin, signingSecret: randomBytes(24).toString('base64url') });
  const model = new RoomModel({
    clock,
    webhooks,
    work,
    storage,
    bucketName: 'hms-simulated-recordings',
    workDir,
    templates,
    recordingStartupMs: options.recordingStartupMs ?? 2_000,
    presignedUrlTtlSeconds: () => presignedTtl.seconds,
    log,
  });
  rest = createRestApi({ app, model, faults: () => faults.current.api ?? [], random, calls });
  const close = async () => {
    await shutDown({ clock, webhooks, server, work });
    await rm(workDir, { recursive: true, force: true });
  };
  const simulator = new HmsSimulator(origin, { app, clock, model, webhooks, speech: new SpeechLibrary(workDir), work, faults, presignedTtl, calls, close });
  control = createControlApi(simulator);
  return simulator;
}

/**
 * A presigned link to a file in 100ms's storage: GET streams it; an expired or forged link is S3's 403
 * AccessDenied (the links 100ms hands out are S3 presigned URLs).
 */
async function servePresigned(storage: LocalFolderStorage, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const denied = (message: string) =>
    res.writeHead(403, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
  let key: string;
  try {
    key = decodeURIComponent(url.pathname.slice(STORAGE_ROUTE_PREFIX.length));
  } catch {
    return void denied('Invalid key');
  }
  const expires = Number(url.searchParams.get('expires'));
  const signature = url.searchParams.get('sig');
  if (url.searchParams.get('op') !== 'get' || !signature || !Number.isSafeInteger(expires)) return void denied('Query-string authentication requires the signature and expiry parameters');
  const verdict = storage.verifySignedRequest({ op: 'get', key, expires }, signature);
  if (verdict === 'signature_expired') return void denied('Request has expired');
  if (verdict !== 'valid') return void denied('The request signature we calculated does not match the signature you provided');
  const info = await storage.head(key);
  if (!info) return void res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
  res.writeHead(200, { 'content-type': info.contentType ?? 'application/octet-stream', 'content-length': info.size });
  if (req.method === 'HEAD') return void res.end();
  await pipeline((await storage.get(key)).body, res);
}

export type * from './control.ts';
export type { HmsTemplate } from './room-model.ts';
export type { HmsWebhookConfig, HmsWebhookDelivery, HmsWebhookFaultRule, HmsWebhookRetryOptions } from './webhooks.ts';
export { connectHmsSimulator } from './control-client.ts';
export { runHmsScenario } from './scenario.ts';
export type { HmsScenarioOptions, HmsScenarioResult } from './scenario.ts';
