import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressStatus } from '@livekit/protocol';
import { createSimClock } from '../../daily/simulator/clock.ts';
import type { SimClock, SimClockConfig } from '../../daily/simulator/clock.ts';
import { seededRandom } from '../../daily/simulator/faults.ts';
import { listenOn, readBody, send, shutDown } from '../../daily/simulator/http.ts';
import type { SimRequest } from '../../daily/simulator/http.ts';
import { PendingWork } from '../../daily/simulator/pending-work.ts';
import { SpeechLibrary } from '../../daily/simulator/speech.ts';
import type { ObjectStorage } from '../../../storage/object-storage.ts';
import { PlainHttpError, TwirpError, encodeResponse } from './twirp.ts';
import { requestGrants } from './auth.ts';
import { createControlApi } from './control-api.ts';
import type {
  JoinedParticipant,
  LiveKitJoinOptions,
  LiveKitSimFaults,
  LiveKitSimStateView,
  LiveKitSimStats,
  LiveKitSimulatorControl,
  SpeechInput,
} from './control.ts';
import { EgressService } from './egress.ts';
import { RoomModel, present } from './room-model.ts';
import type { SimParticipant } from './room-model.ts';
import { createServerApi } from './server-api.ts';
import { WebhookNotifier } from './webhooks.ts';
import type { WebhookDelivery, WebhookRetryOptions } from './webhooks.ts';

export interface LiveKitSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  apiKey: string;
  apiSecret: string;
  /** Where webhooks go (LiveKit's `webhook.urls`), signed with the API key and secret. */
  webhookUrls?: string[];
  webhookRetry?: WebhookRetryOptions;
  /** Egress's own storage, for outputs that name no upload (the product's store, say). */
  defaultStorage?: ObjectStorage;
  clock?: SimClockConfig;
  /** LiveKit's defaults: 300 s for a room nobody joined, 20 s after the last participant left. */
  emptyTimeoutSeconds?: number;
  departureTimeoutSeconds?: number;
  /** Egress session limit (LIMIT_REACHED after this long active); none by default. */
  egressMaxDurationMs?: number;
  /** Egress files encoded at once. Default 2. */
  mediaConcurrency?: number;
  faults?: LiveKitSimFaults;
  /** Webhook bodies with a space after each comma, as some LiveKit builds send them. Default: by the seed. */
  webhookSpaceAfterComma?: boolean;
  /** Seeds the fault knobs' randomness so a run can be replayed. */
  seed?: number;
  log?: (message: string) => void;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface SimulatorParts {
  clock: SimClock;
  rooms: RoomModel;
  egress: EgressService;
  webhooks: WebhookNotifier;
  speech: SpeechLibrary;
  work: PendingWork;
  faults: { current: LiveKitSimFaults };
  calls: Record<string, number>;
  keys: ReadonlyMap<string, string>;
  close: () => Promise<void>;
}

/** A LiveKit server with Egress, over HTTP on loopback: Twirp under /twirp, the control API under /_sim. */
export class LiveKitSimulator implements LiveKitSimulatorControl {
  /** What livekit-server-sdk's clients take as host. */
  readonly url: string;
  readonly controlUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly #parts: SimulatorParts;

  constructor(url: string, options: LiveKitSimulatorOptions, parts: SimulatorParts) {
    this.url = url;
    this.controlUrl = `${url}/_sim`;
    this.apiKey = options.apiKey;
    this.apiSecret = options.apiSecret;
    this.#parts = parts;
  }

  get faults(): LiveKitSimFaults {
    return this.#parts.faults.current;
  }

  async join(roomName: string, options: LiveKitJoinOptions): Promise<JoinedParticipant> {
    const who = options.token === undefined ? options : { ...options, ...(await this.#tokenIdentity(options.token, roomName)) };
    const participant = this.#parts.rooms.join(roomName, {
      identity: who.identity ?? '',
      ...(who.name !== undefined && { name: who.name }),
      ...(who.metadata !== undefined && { metadata: who.metadata }),
      ...(who.voice !== undefined && { voice: who.voice }),
    });
    const track = options.publishAudio === false ? null : this.#parts.rooms.publishAudio(participant.sid);
    return this.#joined(participant, track?.sid ?? null);
  }

  async publishAudio(participantSid: string) {
    return { trackSid: this.#parts.rooms.publishAudio(participantSid).sid };
  }

  async unpublish(trackSid: string): Promise<void> {
    this.#parts.rooms.unpublish(trackSid);
  }

  async say(participantSid: string, speech: SpeechInput) {
    const participant = this.#parts.rooms.presentParticipant(participantSid);
    // Speech starts when it was asked for, not once synthesis is done (which matters on a real clock).
    const atMs = this.#parts.clock.now();
    const { speech: library } = this.#parts;
    const clip =
      'text' in speech
        ? await library.speak(speech.text, participant.voice)
        : 'wavPath' in speech
          ? await library.decodeFile(speech.wavPath)
          : await library.decode(speech.audio);
    const placed = this.#parts.rooms.say(participantSid, clip, atMs);
    return { atMs: placed.atMs, durationMs: placed.durationMs };
  }

  async reconnect(participantSid: string): Promise<JoinedParticipant> {
    const { rooms } = this.#parts;
    const old = rooms.presentParticipant(participantSid);
    const hadAudio = old.tracks.some((t) => t.unpublishedAtMs === null);
    // The client's full reconnect arrives while the server still holds the old connection: joining with the
    // same identity replaces it (DUPLICATE_IDENTITY).
    const participant = rooms.join(old.roomName, { identity: old.identity, name: old.name, metadata: old.metadata, voice: old.voice });
    const track = hadAudio ? rooms.publishAudio(participant.sid) : null;
    return this.#joined(participant, track?.sid ?? null);
  }

  async leave(participantSid: string): Promise<void> {
    this.#parts.rooms.leave(participantSid);
  }

  async clock() {
    return { mode: this.#parts.clock.mode, nowMs: this.#parts.clock.now() };
  }

  async advance(ms: number) {
    this.#parts.clock.advance(ms);
    return { nowMs: this.#parts.clock.now() };
  }

  async setFaults(faults: LiveKitSimFaults): Promise<void> {
    this.#parts.faults.current = structuredClone(faults);
  }

  async failEgress(egressId: string, error?: string): Promise<void> {
    this.#parts.egress.fail(egressId, error);
  }

  async limitEgress(egressId: string): Promise<void> {
    this.#parts.egress.limit(egressId);
  }

  async setWebhookUrls(urls: string[]): Promise<void> {
    this.#parts.webhooks.setUrls(urls);
  }

  async webhookDeliveries(): Promise<WebhookDelivery[]> {
    return this.#parts.webhooks.deliveries();
  }

  async stats(): Promise<LiveKitSimStats> {
    return { apiCalls: { ...this.#parts.calls } };
  }

  async state(): Promise<LiveKitSimStateView> {
    const { rooms, egress, webhooks } = this.#parts;
    return {
      clock: await this.clock(),
      rooms: [...rooms.rooms.values()].map((room) => ({
        sid: room.sid,
        name: room.name,
        present: present(room).map((p) => ({
          sid: p.sid,
          identity: p.identity,
          name: p.name,
          tracks: p.tracks.filter((t) => t.unpublishedAtMs === null).map((t) => t.sid),
        })),
      })),
      egresses: egress.egresses.map((e) => ({
        egressId: e.egressId,
        kind: e.kind,
        roomName: e.roomName,
        trackSid: e.trackSid,
        status: EgressStatus[e.status],
        filename: e.file?.filename ?? null,
      })),
      webhookUrls: webhooks.urls,
    };
  }

  whenIdle(): Promise<void> {
    return this.#parts.work.whenIdle();
  }

  /** Stops serving, cancels timers and pending webhook retries, waits for media in progress. */
  stop(): Promise<void> {
    return this.#parts.close();
  }

  #joined(participant: SimParticipant, trackSid: string | null): JoinedParticipant {
    const room = this.#parts.rooms.room(participant.roomName);
    return { participantSid: participant.sid, identity: participant.identity, roomSid: room.sid, trackSid };
  }

  async #tokenIdentity(token: string, roomName: string): Promise<{ identity: string; name?: string }> {
    let grants;
    try {
      grants = await requestGrants(`Bearer ${token}`, this.#parts.keys);
    } catch (error) {
      throw new TwirpError('unauthenticated', (error as Error).message);
    }
    if (!grants?.video?.roomJoin || grants.video.room !== roomName) throw new TwirpError('permission_denied', `the token does not let its holder join ${roomName}`);
    if (!grants.sub) throw new TwirpError('unauthenticated', 'the token has no identity');
    return { identity: grants.sub, ...(grants.name !== undefined && { name: grants.name }) };
  }
}

export async function startLiveKitSimulator(options: LiveKitSimulatorOptions): Promise<LiveKitSimulator> {
  const workDir = await mkdtemp(join(tmpdir(), 'livekit-sim-'));
  const clock = createSimClock(options.clock);
  const work = new PendingWork();
  const random = seededRandom(options.seed ?? randomInt(2 ** 31));
  const log = options.log ?? ((message: string) => console.warn(`[livekit-sim] ${message}`));
  const faults = { current: structuredClone(options.faults ?? {}) };
  const keys = new Map([[options.apiKey, options.apiSecret]]);
  const calls: Record<string, number> = {};
  const webhooks = new WebhookNotifier({
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    urls: options.webhookUrls ?? [],
    ...(options.webhookRetry && { retry: options.webhookRetry }),
    faults: () => faults.current.webhooks ?? [],
    random,
    work,
    spaceAfterComma: options.webhookSpaceAfterComma ?? random() < 0.5,
  });
  const rooms = new RoomModel({
    clock,
    webhooks,
    defaultEmptyTimeoutSeconds: options.emptyTimeoutSeconds ?? 300,
    defaultDepartureTimeoutSeconds: options.departureTimeoutSeconds ?? 20,
  });
  const egress = new EgressService({
    apiKey: options.apiKey,
    clock,
    rooms,
    webhooks,
    work,
    workDir,
    ...(options.defaultStorage && { defaultStorage: options.defaultStorage }),
    faults: () => faults.current.egress ?? [],
    random,
    ...(options.egressMaxDurationMs !== undefined && { maxDurationMs: options.egressMaxDurationMs }),
    mediaConcurrency: options.mediaConcurrency ?? 2,
    log,
  });
  rooms.setHooks({
    trackUnpublished: (track) => egress.trackUnpublished(track),
    roomFinished: (room) => egress.roomFinished(room),
    recording: (roomName) => egress.isRecording(roomName),
  });
  const twirp = createServerApi({ keys, rooms, egress, faults: () => faults.current.api ?? [], random, calls });
  let control: (request: SimRequest, response: ServerResponse) => Promise<void> = async () => {};

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const surface = url.pathname.startsWith('/twirp/') ? 'twirp' : url.pathname.startsWith('/_sim') ? 'control' : null;
    try {
      const request: SimRequest = {
        method: req.method ?? 'GET',
        path: surface === 'twirp' ? url.pathname.slice('/twirp'.length) : surface === 'control' ? url.pathname.slice('/_sim'.length) || '/' : url.pathname,
        params: {},
        query: url.searchParams,
        headers: req.headers,
        body: await readBody(req, MAX_BODY_BYTES),
      };
      if (surface === 'control') {
        await control(request, res);
        return;
      }
      if (surface === null) throw new TwirpError('bad_route', `no handler for path "${url.pathname}"`);
      const answer = await twirp(request);
      const encoded = encodeResponse(answer.message, answer.format);
      if (encoded.raw) res.writeHead(200, { 'content-type': encoded.contentType!, 'content-length': encoded.raw.length }).end(encoded.raw);
      else send(res, encoded);
    } catch (error) {
      if (error instanceof TwirpError) send(res, error.response());
      else if (error instanceof PlainHttpError) res.writeHead(error.status, { 'content-type': 'text/plain; charset=utf-8' }).end(error.message);
      else {
        log(`internal error on ${req.method} ${url.pathname}: ${(error as Error).stack ?? String(error)}`);
        send(res, new TwirpError('internal', (error as Error).message).response());
      }
    }
  });
  const origin = await listenOn(server, options.port, options.host);
  const close = async () => {
    await shutDown({ clock, webhooks, server, work });
    await rm(workDir, { recursive: true, force: true });
  };
  const simulator = new LiveKitSimulator(origin, options, {
    clock,
    rooms,
    egress,
    webhooks,
    speech: new SpeechLibrary(workDir),
    work,
    faults,
    calls,
    keys,
    close,
  });
  control = createControlApi(simulator);
  return simulator;
}

export type * from './control.ts';
export type { EgressFaultRule, EgressKind } from './egress.ts';
export type { LiveKitWebhookFaultRule, WebhookDelivery, WebhookRetryOptions } from './webhooks.ts';
export type { SimClockConfig } from '../../daily/simulator/clock.ts';
export { connectLiveKitSimulator } from './control-client.ts';
export { runLiveKitScenario } from './scenario.ts';
export type { LiveKitScenarioOptions, LiveKitScenarioResult } from './scenario.ts';
