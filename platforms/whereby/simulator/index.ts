import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimClock } from '../../daily/simulator/clock.ts';
import type { SimClockConfig } from '../../daily/simulator/clock.ts';
import { seededRandom } from '../../daily/simulator/faults.ts';
import { listenOn, readBody, send, shutDown } from '../../daily/simulator/http.ts';
import type { SimRequest } from '../../daily/simulator/http.ts';
import { PendingWork } from '../../daily/simulator/pending-work.ts';
import { SpeechLibrary } from '../../daily/simulator/speech.ts';
import type { ObjectStorage } from '../../../storage/object-storage.ts';
import { createControlApi } from './control-api.ts';
import type { JoinInput, JoinedClient, SpeechInput, WherebySimFaults, WherebySimStateView, WherebySimStats, WherebySimulatorControl } from './control.ts';
import { WherebySimError } from './errors.ts';
import { MeetingModel } from './meetings.ts';
import type { LocalBucket } from './meetings.ts';
import { PointsRateLimiter } from './rate-limit.ts';
import { createRestApi } from './rest-api.ts';
import { WherebyWebhookNotifier } from './webhooks.ts';
import type { WherebyWebhookDelivery, WherebyWebhookRetryOptions } from './webhooks.ts';

export interface WherebySimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The organization's API key (Bearer). */
  apiKey: string;
  /** The webhook signing secret, used as UTF-8. */
  webhookSecret: string;
  webhookUrls?: string[];
  webhookRetry?: WherebyWebhookRetryOptions;
  /** Points per minute (Build 100, Grow 1000). Default 100. */
  rateLimitPoints?: number;
  /** The rate limit's window. Default a minute, as Whereby's; shorter in tests that wait it out. */
  rateLimitWindowMs?: number;
  /** Where "AWS S3" is here: s3 destinations' buckets are on this endpoint (path-style). */
  s3Endpoint?: string;
  s3Region?: string;
  /** The credentials behind each role a roleBased destination may name. */
  assumableRoles?: Record<string, { accessKeyId: string; secretAccessKey: string }>;
  /** Whereby's own storage, for `provider: "whereby"` destinations (access links are its signed URLs). */
  hostedStorage?: ObjectStorage;
  /** Buckets held in-process (the product's local folder on embedded defaults), by name, with the keys they accept. */
  localBuckets?: Record<string, LocalBucket>;
  clock?: SimClockConfig;
  faults?: WherebySimFaults;
  seed?: number;
  log?: (message: string) => void;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface SimulatorParts {
  clock: ReturnType<typeof createSimClock>;
  meetings: MeetingModel;
  webhooks: WherebyWebhookNotifier;
  speech: SpeechLibrary;
  work: PendingWork;
  faults: { current: WherebySimFaults };
  calls: Record<string, number>;
  close: () => Promise<void>;
}

/** Whereby over HTTP on loopback: its REST API under /v1, room URLs at /<room name>, the control API under /_sim. */
export class WherebySimulator implements WherebySimulatorControl {
  readonly url: string;
  /** What a client takes as Whereby's API base (https://api.whereby.dev/v1). */
  readonly apiUrl: string;
  readonly controlUrl: string;
  readonly #parts: SimulatorParts;

  constructor(url: string, parts: SimulatorParts) {
    this.url = url;
    this.apiUrl = `${url}/v1`;
    this.controlUrl = `${url}/_sim`;
    this.#parts = parts;
  }

  get faults(): WherebySimFaults {
    return this.#parts.faults.current;
  }

  async join(input: JoinInput): Promise<JoinedClient> {
    const client = this.#parts.meetings.join(input);
    return { participantId: client.participantId, roleName: client.roleName, meetingId: client.meetingId, roomName: client.roomName, roomSessionId: client.roomSessionId };
  }

  async say(participantId: string, speech: SpeechInput) {
    const client = this.#parts.meetings.present(participantId);
    const atMs = this.#parts.clock.now();
    const { speech: library } = this.#parts;
    const clip = 'text' in speech ? await library.speak(speech.text, client.voice) : 'wavPath' in speech ? await library.decodeFile(speech.wavPath) : await library.decode(speech.audio);
    const placed = this.#parts.meetings.say(participantId, clip, atMs);
    return { atMs: placed.atMs, durationMs: placed.durationMs };
  }

  async leave(participantId: string): Promise<void> {
    this.#parts.meetings.leave(participantId);
  }

  async startRecording(participantId: string): Promise<void> {
    this.#parts.meetings.startRecording(participantId);
  }

  async stopRecording(participantId: string): Promise<void> {
    this.#parts.meetings.stopRecording(participantId);
  }

  async clock() {
    return { mode: this.#parts.clock.mode, nowMs: this.#parts.clock.now() };
  }

  async advance(ms: number) {
    this.#parts.clock.advance(ms);
    return { nowMs: this.#parts.clock.now() };
  }

  async setFaults(faults: WherebySimFaults): Promise<void> {
    this.#parts.faults.current = structuredClone(faults);
  }

  async setWebhookUrls(urls: string[]): Promise<void> {
    this.#parts.webhooks.setUrls(urls);
  }

  async webhookDeliveries(): Promise<WherebyWebhookDelivery[]> {
    return this.#parts.webhooks.deliveries();
  }

  async stats(): Promise<WherebySimStats> {
    return { apiCalls: { ...this.#parts.calls } };
  }

  async state(): Promise<WherebySimStateView> {
    const { meetings, webhooks } = this.#parts;
    return {
      clock: await this.clock(),
      meetings: [...meetings.meetings.values()]
        .filter((m) => !m.deleted)
        .map((m) => ({
          meetingId: m.meetingId,
          roomName: m.roomName,
          endDate: m.endDate,
          startTrigger: m.recording.startTrigger,
          recordingType: m.recording.type,
          present: (m.session?.clients ?? []).map((c) => ({ participantId: c.participantId, displayName: c.displayName, roleName: c.roleName })),
          recording: m.session?.recorder != null,
        })),
      recordings: meetings.recordings.filter((r) => !r.deleted).map((r) => ({ recordingId: r.recordingId, roomName: r.roomName, filename: r.filename, key: r.key, status: r.status })),
      webhookUrls: webhooks.urls,
    };
  }

  whenIdle(): Promise<void> {
    return this.#parts.work.whenIdle();
  }

  /** Stops serving, cancels pending webhook retries, waits for media in progress. */
  stop(): Promise<void> {
    return this.#parts.close();
  }
}

export async function startWherebySimulator(options: WherebySimulatorOptions): Promise<WherebySimulator> {
  const workDir = await mkdtemp(join(tmpdir(), 'whereby-sim-'));
  const clock = createSimClock(options.clock);
  const work = new PendingWork();
  const random = seededRandom(options.seed ?? randomInt(2 ** 31));
  const log = options.log ?? ((message: string) => console.warn(`[whereby-sim] ${message}`));
  const faults = { current: structuredClone(options.faults ?? {}) };
  const calls: Record<string, number> = {};
  const webhooks = new WherebyWebhookNotifier({
    secret: options.webhookSecret,
    urls: options.webhookUrls ?? [],
    ...(options.webhookRetry && { retry: options.webhookRetry }),
    faults: () => faults.current.webhooks ?? [],
    random,
    work,
  });
  let rest: ((request: SimRequest) => ReturnType<ReturnType<typeof createRestApi>>) | null = null;
  let control: (request: SimRequest, response: ServerResponse) => Promise<void> = async () => {};

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const surface = url.pathname.startsWith('/v1/') ? 'rest' : url.pathname.startsWith('/_sim') ? 'control' : null;
    try {
      const request: SimRequest = {
        method: req.method ?? 'GET',
        path: surface === 'rest' ? url.pathname.slice('/v1'.length) : surface === 'control' ? url.pathname.slice('/_sim'.length) || '/' : url.pathname,
        params: {},
        query: url.searchParams,
        headers: req.headers,
        body: await readBody(req, MAX_BODY_BYTES),
      };
      if (surface === 'control') return await control(request, res);
      if (surface === null) {
        // A room URL opened in a browser: the simulated room has no page of its own.
        send(res, new WherebySimError(404, 'The simulator serves no room page: join through /_sim/join').response());
        return;
      }
      const answer = await rest!(request);
      send(res, answer.response, answer.headers);
    } catch (error) {
      if (error instanceof WherebySimError) send(res, error.response());
      else {
        log(`internal error on ${req.method} ${url.pathname}: ${(error as Error).stack ?? String(error)}`);
        send(res, new WherebySimError(500, 'Internal Server Error').response());
      }
    }
  });
  const origin = await listenOn(server, options.port, options.host);
  const meetings = new MeetingModel({
    origin,
    clock,
    webhooks,
    work,
    workDir,
    ...(options.s3Endpoint !== undefined && { s3Endpoint: options.s3Endpoint }),
    s3Region: options.s3Region ?? 'us-east-1',
    assumableRoles: options.assumableRoles ?? {},
    ...(options.hostedStorage && { hostedStorage: options.hostedStorage }),
    localBuckets: options.localBuckets ?? {},
    log,
  });
  rest = createRestApi({ apiKey: options.apiKey, meetings, limiter: new PointsRateLimiter(options.rateLimitPoints ?? 100, options.rateLimitWindowMs), faults: () => faults.current.api ?? [], random, calls });
  const close = async () => {
    await shutDown({ clock, webhooks, server, work });
    await rm(workDir, { recursive: true, force: true });
  };
  const simulator = new WherebySimulator(origin, { clock, meetings, webhooks, speech: new SpeechLibrary(workDir), work, faults, calls, close });
  control = createControlApi(simulator);
  return simulator;
}

export type * from './control.ts';
export type { StartTrigger, RoleName, LocalBucket } from './meetings.ts';
export type { WherebyWebhookDelivery, WherebyWebhookFaultRule, WherebyWebhookRetryOptions, WherebyEventType } from './webhooks.ts';
export { connectWherebySimulator } from './control-client.ts';
