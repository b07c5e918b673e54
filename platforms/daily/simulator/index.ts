import { randomInt, randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ObjectStorage } from '../../../storage/object-storage.ts';
import type { RateWindow, DailyRateLimitClass } from '../rate-limits.ts';
import { DailyCallModel, presentSessions } from './call-model.ts';
import type { CallModelSnapshot, JoinOptions, SimStats } from './call-model.ts';
import { createSimClock } from './clock.ts';
import type { SimClock, SimClockConfig } from './clock.ts';
import { createControlApi } from './control-api.ts';
import type { DailySimulatorControl, ParticipantRecordingRequest, SimStateView, SpeechInput } from './control.ts';
import { seededRandom } from './faults.ts';
import type { SimFaults } from './faults.ts';
import { DailySimError, errorResponse, listenOn, readBody, send, shutDown } from './http.ts';
import type { SimRequest } from './http.ts';
import { PendingWork } from './pending-work.ts';
import { createRestApi } from './rest-api.ts';
import { SpeechLibrary } from './speech.ts';
import { WebhookDispatcher } from './webhooks.ts';
import type { WebhookDelivery, WebhookRetryOptions, WebhooksSnapshot } from './webhooks.ts';

export interface DailySimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  apiKey: string;
  /** Daily domain name: first segment of every object key and of room URLs. */
  domain: string;
  /** Where recordings are written, as Daily writes into a room's recordings_bucket. */
  storage: ObjectStorage;
  clock?: SimClockConfig;
  webhookRetry?: WebhookRetryOptions;
  /** Daily's published limits unless overridden; `false` never answers 429. */
  rateLimits?: Partial<Record<DailyRateLimitClass, RateWindow>> | false;
  /** Grace before meeting.ended once the last participant left (Daily: up to 20 s). Default 2 s. */
  meetingEndedDelayMs?: number;
  /** Default `https://{domain}.daily.co`; rooms get `{roomUrlBase}/{name}`. */
  roomUrlBase?: string;
  /** Recordings whose media is encoded at once. Default 2. */
  mediaConcurrency?: number;
  faults?: SimFaults;
  /** Seeds the fault knobs' randomness so a run can be replayed. */
  seed?: number;
  log?: (message: string) => void;
  /**
   * A file to keep the simulator's state in — rooms, meetings and who is in them, recordings, webhooks and what
   * they have not delivered yet — with the participants' audio in `media/` beside it, saved before each answer and
   * after each timer or background job. A simulator started again on it takes up where the last one stopped or
   * was killed, as Daily goes on whatever happens to its customer. Default: none (memory, a temporary folder).
   */
  stateFile?: string;
}

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

export class DailySimulator implements DailySimulatorControl {
  readonly baseUrl: string;
  readonly controlUrl: string;
  readonly apiKey: string;
  readonly domain: string;
  readonly #model: DailyCallModel;
  readonly #clock: SimClock;
  readonly #speech: SpeechLibrary;
  readonly #webhooks: WebhookDispatcher;
  readonly #work: PendingWork;
  readonly #storage: ObjectStorage;
  readonly #close: () => Promise<void>;
  readonly #faults: { current: SimFaults };

  constructor(parts: {
    baseUrl: string;
    controlUrl: string;
    options: DailySimulatorOptions;
    clock: SimClock;
    model: DailyCallModel;
    speech: SpeechLibrary;
    webhooks: WebhookDispatcher;
    work: PendingWork;
    faults: { current: SimFaults };
    close: () => Promise<void>;
  }) {
    this.baseUrl = parts.baseUrl;
    this.controlUrl = parts.controlUrl;
    this.apiKey = parts.options.apiKey;
    this.domain = parts.options.domain;
    this.#storage = parts.options.storage;
    this.#clock = parts.clock;
    this.#model = parts.model;
    this.#speech = parts.speech;
    this.#webhooks = parts.webhooks;
    this.#work = parts.work;
    this.#faults = parts.faults;
    this.#close = parts.close;
  }

  get faults(): SimFaults {
    return this.#faults.current;
  }

  async ensureRoom(roomName: string): Promise<void> {
    if (this.#model.rooms.has(roomName)) return;
    this.#model.createRoom({
      name: roomName,
      properties: { recordings_bucket: { bucket_name: this.#storage.bucket, bucket_region: 'local', allow_api_access: true } },
    });
  }

  async join(roomName: string, options: JoinOptions = {}) {
    const session = this.#model.join(roomName, options);
    return { sessionId: session.sessionId, meetingId: session.meetingId };
  }

  async leave(sessionId: string): Promise<void> {
    this.#model.leave(sessionId);
  }

  async say(sessionId: string, speech: SpeechInput) {
    const session = this.#model.presentSession(sessionId);
    // Speech starts when it was asked for, not once synthesis is done (which matters on a real clock).
    const atMs = this.#clock.now();
    const clip =
      'text' in speech
        ? await this.#speech.speak(speech.text, session.voice)
        : 'wavPath' in speech
          ? await this.#speech.decodeFile(speech.wavPath)
          : await this.#speech.decode(speech.audio);
    const placed = this.#model.say(sessionId, clip, atMs);
    return { atMs: placed.atMs, durationMs: placed.durationMs };
  }

  async startRecording(sessionId: string, request: ParticipantRecordingRequest): Promise<void> {
    const session = this.#model.presentSession(sessionId);
    this.#model.startRecording(session.roomName, request, sessionId);
  }

  async stopRecording(sessionId: string, request: ParticipantRecordingRequest): Promise<void> {
    const session = this.#model.presentSession(sessionId);
    this.#model.stopRecording(session.roomName, request);
  }

  async endMeeting(roomName: string): Promise<void> {
    this.#model.endMeeting(roomName);
  }

  async clock() {
    return { mode: this.#clock.mode, nowMs: this.#clock.now() };
  }

  async advance(ms: number) {
    this.#clock.advance(ms);
    return { nowMs: this.#clock.now() };
  }

  async setFaults(faults: SimFaults): Promise<void> {
    this.#faults.current = structuredClone(faults);
  }

  async failRecording(instanceId: string, message = 'simulated recording failure'): Promise<void> {
    this.#model.failRecording(instanceId, message);
  }

  async stats(): Promise<SimStats> {
    return structuredClone(this.#model.stats);
  }

  async webhookDeliveries(): Promise<WebhookDelivery[]> {
    return this.#webhooks.deliveries();
  }

  async state(): Promise<SimStateView> {
    return {
      clock: await this.clock(),
      rooms: [...this.#model.rooms.values()].map((room) => ({
        name: room.name,
        url: room.url,
        meetingId: room.meeting?.id ?? null,
        present: (room.meeting ? presentSessions(room.meeting) : []).map((s) => ({
          sessionId: s.sessionId,
          userName: s.userName,
          userId: s.userId,
          owner: s.owner,
        })),
        activeRecordings: this.#model
          .activeRecordings(room.name)
          .map((r) => ({ recordingId: r.id, instanceId: r.instanceId, type: r.type })),
      })),
      recordings: this.#model.recordings.map((r) => ({
        id: r.id,
        instanceId: r.instanceId,
        type: r.type,
        roomName: r.roomName,
        status: r.status,
        startedAtMs: r.startedAtMs,
        stoppedAtMs: r.stoppedAtMs,
        s3key: r.s3key,
      })),
      webhooks: this.#webhooks.list().map((w) => ({
        uuid: w.uuid,
        url: w.url,
        state: w.state,
        failedCount: w.failedCount,
        retryType: w.retryType,
      })),
    };
  }

  whenIdle(): Promise<void> {
    return this.#work.whenIdle();
  }

  /** Stops serving, cancels timers and pending webhook retries, waits for media in progress. */
  stop(): Promise<void> {
    return this.#close();
  }
}

export async function startDailySimulator(options: DailySimulatorOptions): Promise<DailySimulator> {
  const { stateFile } = options;
  const workDir = stateFile ? join(dirname(stateFile), 'media') : await mkdtemp(join(tmpdir(), 'daily-sim-'));
  const saved = stateFile ? await readSimulatorState(stateFile) : null;
  if (stateFile) await mkdir(workDir, { recursive: true });
  // Set once the parts exist; everything that changes state is followed by it (see stateFile).
  let save: () => void = () => undefined;
  const clock = afterEachTimer(createSimClock(options.clock), () => save());
  const work = new PendingWork(() => save());
  const random = seededRandom(options.seed ?? randomInt(2 ** 31));
  const domainId = saved?.domainId ?? randomUUID();
  const log = options.log ?? ((message: string) => console.warn(`[daily-sim] ${message}`));
  const faultKnobs = { current: structuredClone(options.faults ?? {}) };
  const faults = () => faultKnobs.current;
  const webhooks = new WebhookDispatcher({
    domainId,
    clock,
    ...(options.webhookRetry && { retry: options.webhookRetry }),
    faults,
    random,
    work,
  });
  const model = new DailyCallModel({
    domain: options.domain,
    domainId,
    apiKey: options.apiKey,
    roomUrlBase: options.roomUrlBase ?? `https://${options.domain}.daily.co`,
    clock,
    storage: options.storage,
    workDir,
    webhooks,
    work,
    faults,
    random,
    meetingEndedDelayMs: options.meetingEndedDelayMs ?? 2_000,
    mediaConcurrency: options.mediaConcurrency ?? 2,
    log,
  });
  if (saved) {
    webhooks.restore(saved.webhooks);
    model.restore(saved.model);
    await removeUnusedAudio(model, workDir);
  }
  if (stateFile) save = () => writeSimulatorState(stateFile, { version: 1, domainId, model: model.snapshot(), webhooks: webhooks.snapshot() });
  save();
  const rest = createRestApi({
    apiKey: options.apiKey,
    domainId,
    model,
    webhooks,
    clock,
    faults,
    random,
    rateLimits: options.rateLimits ?? {},
  });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const surface = url.pathname.startsWith('/v1/') || url.pathname === '/v1' ? 'rest' : url.pathname.startsWith('/_sim') ? 'control' : null;
    try {
      if (surface === null) throw new DailySimError(404, 'not-found', `${url.pathname} is not served here`);
      const prefix = surface === 'rest' ? '/v1' : '/_sim';
      const request: SimRequest = {
        method: req.method ?? 'GET',
        path: url.pathname.slice(prefix.length) || '/',
        params: {},
        query: url.searchParams,
        headers: req.headers,
        body: await readBody(req, MAX_UPLOAD_BYTES),
      };
      if (surface === 'rest') {
        const answer = await rest(request);
        save();
        send(res, answer);
      } else {
        await control(request, res);
      }
    } catch (error) {
      save();
      if (error instanceof DailySimError) send(res, errorResponse(error));
      else {
        log(`internal error on ${req.method} ${url.pathname}: ${(error as Error).stack ?? String(error)}`);
        send(res, { status: 500, json: { error: 'server-error', info: (error as Error).message } });
      }
    }
  });
  const origin = await listenOn(server, options.port, options.host);

  const close = async () => {
    await shutDown({ clock, webhooks, server, work });
    if (stateFile) save();
    else await rm(workDir, { recursive: true, force: true });
  };
  const simulator = new DailySimulator({
    baseUrl: `${origin}/v1`,
    controlUrl: `${origin}/_sim`,
    options,
    clock,
    model,
    speech: new SpeechLibrary(workDir),
    webhooks,
    work,
    faults: faultKnobs,
    close,
  });
  // The request handler above runs only after these are set: the server has had no request yet.
  const control = createControlApi(simulator, () => save());
  return simulator;
}

interface SimulatorState {
  version: 1;
  domainId: string;
  model: CallModelSnapshot;
  webhooks: WebhooksSnapshot;
}

async function readSimulatorState(file: string): Promise<SimulatorState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const state = JSON.parse(text) as SimulatorState;
  if (state.version !== 1) throw new Error(`${file}: a Daily simulator state of version ${String(state.version)}, not 1`);
  return state;
}

/** Synchronous and atomic (a new file renamed over the old): an answer is sent only once its state is on disk. */
function writeSimulatorState(file: string, state: SimulatorState): void {
  const next = `${file}.next`;
  writeFileSync(next, JSON.stringify(state));
  renameSync(next, file);
}

/**
 * The participants' audio is needed until their meeting's recordings are written; what only finished meetings
 * used goes (at start, when no synthesized clip is shared yet), so the state folder does not grow with every call.
 */
async function removeUnusedAudio(model: DailyCallModel, workDir: string): Promise<void> {
  const writing = new Set(model.recordings.filter((r) => r.status === 'in-progress').map((r) => r.meetingId));
  const needed = new Set(
    [...model.meetings.values()]
      .filter((meeting) => meeting.endedAtMs === null || writing.has(meeting.id))
      .flatMap((meeting) => meeting.sessions.flatMap((session) => session.speech.map((clip) => basename(clip.pcmPath)))),
  );
  for (const file of await readdir(workDir)) {
    if (!needed.has(file)) await rm(join(workDir, file), { force: true });
  }
}

/** The clock, with `then` run after every timer it fires (a meeting's end, a recording's maximum duration). */
function afterEachTimer(clock: SimClock, then: () => void): SimClock {
  return {
    get mode() {
      return clock.mode;
    },
    now: () => clock.now(),
    at: (atMs, fn) => clock.at(atMs, () => {
      fn();
      then();
    }),
    advance: (ms) => clock.advance(ms),
    dispose: () => clock.dispose(),
  };
}

export type { DailySimulatorControl, ParticipantRecordingRequest, SimStateView, SpeechInput } from './control.ts';
export type { JoinOptions, SimStats } from './call-model.ts';
export type { SimClockConfig } from './clock.ts';
export type { SimFaults, WebhookFaultRule, ApiFaultRule } from './faults.ts';
export type { WebhookDelivery, WebhookRetryOptions } from './webhooks.ts';
export { DailySimError } from './http.ts';
export { connectDailySimulator } from './control-client.ts';
export { loadScenario, parseScenario, runScenario } from './scenario.ts';
export type { DailyScenario, RoutedRecordingRequest, ScenarioOptions, ScenarioParticipant, ScenarioResult, ScenarioStep } from './scenario.ts';
