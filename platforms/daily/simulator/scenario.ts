import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { JoinOptions } from './call-model.ts';
import type { DailySimulatorControl, ParticipantRecordingRequest } from './control.ts';

/**
 * A meeting script: who joins, speaks, records and leaves, and when. `at` is in seconds from the
 * scenario's start on the simulator's timeline (virtual or real). Steps run in `at` order (ties in file order).
 *
 * {
 *   "room": "weekly-sync",                       // created if missing, with a recordings bucket
 *   "participants": {
 *     "alice": { "userName": "Alice", "userId": "user-alice", "owner": true, "voice": "en-us" },
 *     "bob":   { "userName": "Bob" }              // voice: the next distinct espeak-ng voice
 *   },
 *   "steps": [
 *     { "at": 0,  "action": "join", "who": "alice" },
 *     { "at": 1,  "action": "startRecording", "who": "alice", "type": "raw-tracks" },
 *     { "at": 2,  "action": "say", "who": "alice", "text": "Good morning everyone." },
 *     { "at": 9,  "action": "say", "who": "bob", "wav": "bob-hello.wav" },  // relative to the script's folder
 *     { "at": 30, "action": "stopRecording", "who": "alice", "type": "raw-tracks" },
 *     { "at": 40, "action": "rejoin", "who": "bob" },                       // leave + join: a new session
 *     { "at": 60, "action": "leave", "who": "bob" },
 *     { "at": 90, "action": "end" }                                           // everyone leaves, meeting ends
 *   ]
 * }
 *
 * startRecording/stopRecording take `type` (cloud | cloud-audio-only | raw-tracks) and optionally
 * `instanceId` (default: one UUID per type for the whole scenario). `who` is the participant whose
 * daily-js makes the call; a caller can route these steps elsewhere (through our API) with options.
 */
export interface DailyScenario {
  room: string;
  participants: Record<string, ScenarioParticipant>;
  steps: ScenarioStep[];
}

export interface ScenarioParticipant {
  userName: string;
  userId?: string;
  owner?: boolean;
  voice?: string;
}

type RecordingType = ParticipantRecordingRequest['type'];

export type ScenarioStep = { at: number } & (
  | { action: 'join' | 'leave' | 'rejoin'; who: string }
  | { action: 'say'; who: string; text: string }
  | { action: 'say'; who: string; wav: string }
  | { action: 'startRecording' | 'stopRecording'; who: string; type: RecordingType; instanceId?: string }
  | { action: 'end' }
);

const recordingType = z.enum(['cloud', 'cloud-audio-only', 'raw-tracks']);
const at = z.number().nonnegative();
const scenarioSchema = z.strictObject({
  room: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  participants: z.record(
    z.string(),
    z.strictObject({ userName: z.string(), userId: z.string().max(36).optional(), owner: z.boolean().optional(), voice: z.string().optional() }),
  ),
  steps: z.array(
    z.union([
      z.strictObject({ at, action: z.enum(['join', 'leave', 'rejoin']), who: z.string() }),
      z.strictObject({ at, action: z.literal('say'), who: z.string(), text: z.string().min(1) }),
      z.strictObject({ at, action: z.literal('say'), who: z.string(), wav: z.string().min(1) }),
      z.strictObject({ at, action: z.enum(['startRecording', 'stopRecording']), who: z.string(), type: recordingType, instanceId: z.uuid().optional() }),
      z.strictObject({ at, action: z.literal('end') }),
    ]),
  ),
}) satisfies z.ZodType<DailyScenario>;

/** What a scenario runner on any platform's simulator takes besides its own join and recording hooks. */
export interface ScenarioPacing {
  /** Folder that relative `wav` paths are resolved against. Default: the working directory. */
  baseDir?: string;
  /** Runs after every step: a place to wait for our product to react. */
  afterStep?: (step: ScenarioStep, index: number) => Promise<void>;
  /** Virtual clock: pace steps at this many simulated seconds per real second. Default: no pacing. */
  speed?: number;
  /** Virtual clock: simulated seconds to advance after the last step. Default 30. */
  tailSeconds?: number;
  /** Wait for media and webhooks to settle at the end. Default true. */
  waitForIdle?: boolean;
}

export interface RoutedRecordingRequest {
  type: RecordingType;
  instanceId: string;
  who: string;
  sessionId: string;
}

export interface ScenarioOptions {
  /** Run in this room instead of the script's (e.g. the room our API created). */
  roomName?: string;
  /** Folder that relative `wav` paths are resolved against. Default: the working directory. */
  baseDir?: string;
  /** Extra join options per participant, e.g. a meeting token from our API. */
  joinOptions?: (who: string) => JoinOptions | Promise<JoinOptions>;
  /** Route recording starts elsewhere (e.g. our API) instead of the participant's daily-js call. */
  startRecording?: (request: RoutedRecordingRequest) => Promise<void>;
  stopRecording?: (request: RoutedRecordingRequest) => Promise<void>;
  /** Runs after every step: a place to wait for our product to react. */
  afterStep?: (step: ScenarioStep, index: number) => Promise<void>;
  /** Virtual clock: pace steps at this many simulated seconds per real second. Default: no pacing. */
  speed?: number;
  /** Virtual clock: simulated seconds to advance after the last step, past meeting.ended's grace. Default 30. */
  tailSeconds?: number;
  /** Wait for media and webhooks to settle at the end. Default true. */
  waitForIdle?: boolean;
}

export interface ScenarioResult {
  roomName: string;
  startedAtMs: number;
  /** Session ids per participant, one per join. */
  sessions: Record<string, string[]>;
  instanceIds: Record<RecordingType, string>;
}

export function parseScenario(json: unknown): DailyScenario {
  const parsed = scenarioSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid Daily scenario:\n${z.prettifyError(parsed.error)}`);
  for (const step of parsed.data.steps) {
    if ('who' in step && !(step.who in parsed.data.participants)) throw new Error(`invalid Daily scenario: unknown participant ${step.who}`);
  }
  return parsed.data as DailyScenario;
}

/** Reads a scenario file; relative `wav` paths then resolve against its folder. */
export async function loadScenario(path: string): Promise<{ scenario: DailyScenario; baseDir: string }> {
  return { scenario: parseScenario(JSON.parse(await readFile(path, 'utf8'))), baseDir: dirname(resolve(path)) };
}

/** Steps in `at` order, ties in file order. */
export function orderedSteps<T extends { at: number }>(steps: readonly T[]): Array<{ step: T; index: number }> {
  return steps.map((step, index) => ({ step, index })).sort((a, b) => a.step.at - b.step.at || a.index - b.index);
}

/**
 * Waits until a step is due `at` seconds after the start: a virtual clock is advanced to it (paced at
 * `speed` simulated seconds per real second when given), a real one is waited for.
 */
export async function untilStep(
  sim: { clock(): Promise<{ nowMs: number }>; advance(ms: number): Promise<unknown> },
  run: { mode: 'real' | 'virtual'; startedAtMs: number; wallStart: number; speed?: number },
  at: number,
): Promise<void> {
  if (run.mode === 'real') {
    await sleep(Math.max(0, run.wallStart + at * 1000 - Date.now()));
    return;
  }
  const dueMs = run.startedAtMs + at * 1000;
  const { nowMs } = await sim.clock();
  if (run.speed) await sleep(Math.max(0, run.wallStart + at * (1000 / run.speed) - Date.now()));
  if (dueMs > nowMs) await sim.advance(dueMs - nowMs);
}

export async function runScenario(
  sim: DailySimulatorControl,
  scenario: DailyScenario,
  options: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const script = parseScenario(scenario);
  const roomName = options.roomName ?? script.room;
  await sim.ensureRoom(roomName);
  const clock = await sim.clock();
  const startedAtMs = clock.nowMs;
  const wallStart = Date.now();
  const present = new Map<string, string>();
  const result: ScenarioResult = {
    roomName,
    startedAtMs,
    sessions: {},
    instanceIds: { cloud: randomUUID(), 'cloud-audio-only': randomUUID(), 'raw-tracks': randomUUID() },
  };
  const sessionOf = (who: string) => {
    const sessionId = present.get(who);
    if (!sessionId) throw new Error(`scenario: ${who} is not in the call`);
    return sessionId;
  };
  const join = async (who: string) => {
    const { userName, userId, owner, voice } = script.participants[who]!;
    const extra = (await options.joinOptions?.(who)) ?? {};
    const { sessionId } = await sim.join(roomName, { userName, ...(userId && { userId }), owner: owner ?? false, ...(voice && { voice }), ...extra });
    present.set(who, sessionId);
    (result.sessions[who] ??= []).push(sessionId);
  };
  const leave = async (who: string) => {
    await sim.leave(sessionOf(who));
    present.delete(who);
  };

  for (const { step, index } of orderedSteps(script.steps)) {
    await untilStep(sim, { mode: clock.mode, startedAtMs, wallStart, ...(options.speed && { speed: options.speed }) }, step.at);
    switch (step.action) {
      case 'join':
        await join(step.who);
        break;
      case 'leave':
        await leave(step.who);
        break;
      case 'rejoin':
        if (present.has(step.who)) await leave(step.who);
        await join(step.who);
        break;
      case 'say':
        await sim.say(sessionOf(step.who), 'text' in step ? { text: step.text } : { wavPath: resolve(options.baseDir ?? '.', step.wav) });
        break;
      case 'startRecording':
      case 'stopRecording': {
        const request = { type: step.type, instanceId: step.instanceId ?? result.instanceIds[step.type] };
        const routed = step.action === 'startRecording' ? options.startRecording : options.stopRecording;
        const sessionId = sessionOf(step.who);
        if (routed) await routed({ ...request, who: step.who, sessionId });
        else if (step.action === 'startRecording') await sim.startRecording(sessionId, request);
        else await sim.stopRecording(sessionId, request);
        break;
      }
      case 'end':
        await sim.endMeeting(roomName);
        present.clear();
        break;
    }
    await options.afterStep?.(step, index);
  }
  await afterLastStep(sim, clock.mode, options);
  return result;
}

/** What one platform's simulator does for each kind of step; `rejoin` and `end` are made of these. */
export interface ScenarioActions {
  join(who: string): Promise<void>;
  leave(who: string): Promise<void>;
  /** A full reconnection; absent: a leave (when present) and a join. */
  rejoin?(who: string): Promise<void>;
  say(who: string, speech: { text: string } | { wavPath: string }): Promise<unknown>;
  recording(step: ScenarioStep & { action: 'startRecording' | 'stopRecording' }): Promise<void>;
  /** Who is in the room now, by script key. */
  present(): Iterable<string>;
}

/** Plays a parsed script's steps in `at` order on a simulator's clock with one platform's actions, then its tail. */
export async function playScenario(
  sim: { clock(): Promise<{ mode: 'real' | 'virtual'; nowMs: number }>; advance(ms: number): Promise<unknown>; whenIdle(): Promise<void> },
  script: DailyScenario,
  actions: ScenarioActions,
  options: ScenarioPacing,
): Promise<{ startedAtMs: number }> {
  const clock = await sim.clock();
  const run = { mode: clock.mode, startedAtMs: clock.nowMs, wallStart: Date.now(), ...(options.speed && { speed: options.speed }) };
  const isPresent = (who: string) => [...actions.present()].includes(who);
  for (const { step, index } of orderedSteps(script.steps)) {
    await untilStep(sim, run, step.at);
    switch (step.action) {
      case 'join':
        await actions.join(step.who);
        break;
      case 'rejoin':
        if (actions.rejoin && isPresent(step.who)) await actions.rejoin(step.who);
        else {
          if (isPresent(step.who)) await actions.leave(step.who);
          await actions.join(step.who);
        }
        break;
      case 'leave':
        await actions.leave(step.who);
        break;
      case 'say':
        await actions.say(step.who, 'text' in step ? { text: step.text } : { wavPath: resolve(options.baseDir ?? '.', step.wav) });
        break;
      case 'startRecording':
      case 'stopRecording':
        await actions.recording(step);
        break;
      case 'end':
        for (const who of [...actions.present()]) await actions.leave(who);
        break;
    }
    await options.afterStep?.(step, index);
  }
  await afterLastStep(sim, clock.mode, options);
  return { startedAtMs: clock.nowMs };
}

/** A virtual clock moves `tailSeconds` (default 30) past the last step; then media and webhooks settle unless told not to. */
export async function afterLastStep(
  sim: { advance(ms: number): Promise<unknown>; whenIdle(): Promise<void> },
  mode: 'real' | 'virtual',
  options: { tailSeconds?: number; waitForIdle?: boolean },
): Promise<void> {
  if (mode === 'virtual') await sim.advance((options.tailSeconds ?? 30) * 1000);
  if (options.waitForIdle ?? true) await sim.whenIdle();
}
