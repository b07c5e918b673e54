// `npm run demo`: one recorded meeting, end to end, against the product that `npm start` runs.
// It talks only over HTTP: to our API (as a browser would) and to the platform simulator's control API
// (as the participants' daily-js or livekit-client would). Recording starts through our meeting workflow:
// every participant's join is followed by POST /v1/meetings/:id/join and POST /v1/meetings/:id/recordings/start.
//
//   npm run demo                          3 people talk for ~40 s on Daily, then leave; waits until the workflow ends
//   npm run demo -- --platform livekit    the same meeting in a LiveKit room (the LiveKit simulator)
//   npm run demo -- --platform 100ms      the same meeting in a 100ms room (the 100ms simulator; PLATFORMS must name 100ms)
//   npm run demo -- --platform whereby    the same meeting in a Whereby room (the Whereby simulator; PLATFORMS must name whereby)
//   npm run demo -- --restart             the owner stops and restarts recording mid-meeting (two of each)
//   npm run demo -- --room weekly-sync    in this room (created if missing) instead of a new demo-<random>
//   npm run demo -- --api http://127.0.0.1:18080 --sim http://127.0.0.1:18090/_sim
//
// On LiveKit one identity is one participant (a second join with it replaces the first), and our API's join token
// names the signed-in user: so the owner joins as the demo's user and the others as the room's guests, each with
// a meeting token of their own (the room the demo makes allows anonymous participants). A LiveKit room closes
// 60 s after its last participant left; the owner ends the meeting through our API instead, as the host would.
// 100ms is held the same way (the owner with our app token, the host role; the others as guests). Without track
// recording 100ms records the composite only: its transcript is the mixed audio, one speaker, the whole room.
// Whereby too records the composite only, and by itself: the room's trigger starts its recorder at the platform
// (our API refuses to be asked), the owner opens the host link our join answers, the others the room URL; the
// meeting ends at Whereby when everyone has left.
//
// Defaults follow the same environment (and .env) as `npm start`: API_URL or PUBLIC_URL or API_HOST/API_PORT,
// DAILY_SIMULATOR_PORT, LIVEKIT_SIMULATOR_PORT, HMS_SIMULATOR_PORT, WHEREBY_SIMULATOR_PORT, TEMPORAL_UI_URL or TEMPORAL_UI_PORT, TEMPORAL_NAMESPACE.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readEnvironment } from '../runtime/config.ts';
import { connectDailySimulator } from '../platforms/daily/simulator/control-client.ts';
import { loadScenario, runScenario, type DailyScenario, type ScenarioStep } from '../platforms/daily/simulator/scenario.ts';
import { SIMULATOR_VOICES } from '../platforms/daily/simulator/speech.ts';
import { connectLiveKitSimulator } from '../platforms/livekit/simulator/control-client.ts';
import { runLiveKitScenario } from '../platforms/livekit/simulator/scenario.ts';
import { connectHmsSimulator } from '../platforms/hms/simulator/control-client.ts';
import { runHmsScenario } from '../platforms/hms/simulator/scenario.ts';
import { connectWherebySimulator } from '../platforms/whereby/simulator/control-client.ts';
import { runWherebyScenario } from '../platforms/whereby/simulator/scenario.ts';
import type { MeetingState, RecordingRequestResult } from '../meetings/messages.ts';

const DEFAULT_SCENARIO = path.join(import.meta.dirname, '..', 'platforms', 'daily', 'simulator', 'scenarios', 'three-person-demo.json');

const USAGE = `Usage: npm run demo -- [options]

Runs a recorded meeting against the running product (start it first with \`npm start\`).

  --platform NAME     daily (default), livekit, 100ms or whereby: where the meeting is held, in that platform's simulator
  --api URL           our API (default: API_URL, else http://127.0.0.1:<API_PORT or 8080>)
  --sim URL           the platform simulator's control API (default: http://127.0.0.1:<DAILY_SIMULATOR_PORT or 8090>/_sim
                      for Daily, http://127.0.0.1:<LIVEKIT_SIMULATOR_PORT or 8091>/_sim for LiveKit,
                      http://127.0.0.1:<HMS_SIMULATOR_PORT or 8093>/_sim for 100ms,
                      http://127.0.0.1:<WHEREBY_SIMULATOR_PORT or 8094>/_sim for Whereby)
  --temporal-ui URL   Temporal UI for the links (default: TEMPORAL_UI_URL, else http://127.0.0.1:<TEMPORAL_UI_PORT or 8233>)
  --api-key KEY       an API key to act with (default: API_KEY)
  --email EMAIL       or sign in as this user (default: FIRST_ADMIN_EMAIL, else admin@example.com)
  --password PASS     with this password (default: FIRST_ADMIN_PASSWORD; the first \`npm start\` prints a generated one)
  --room NAME         use this room (created if missing) instead of a new demo-<random> room; on LiveKit it must
                      allow anonymous participants (the owner's guests join as such)
  --scenario FILE     a meeting script, played on either platform (default: platforms/daily/simulator/scenarios/three-person-demo.json)
  --restart           the owner stops and restarts recording where the scenario says (stopRecording steps)
  --timeout SECONDS   how long to wait for the meeting workflow to end after everyone left (default 300)
  -h, --help          this text`;

class DemoError extends Error {
  override name = 'DemoError';
}

/** A wrong option: said with the usage, exit code 2. */
class UsageError extends DemoError {
  override name = 'UsageError';
}

const DEMO_PLATFORMS = ['daily', 'livekit', '100ms', 'whereby'] as const;
type DemoPlatform = (typeof DEMO_PLATFORMS)[number];

interface ApiErrorBody {
  error?: { code?: string; message?: string };
}

interface RoomView {
  name: string;
  platform: string;
  recordingTrigger: string;
  allowAnonymous: boolean;
}

interface MeetingView {
  id: string;
  roomName: string;
  platformRoomName: string;
  roomUrl: string | null;
  active: boolean;
  hasCloudRecording: boolean;
  workflowId: string;
}

interface HealthView {
  status: string;
  checks: Record<string, { ok: boolean; ms: number; error?: string; kind?: string }>;
}

const cliOptions = {
  platform: { type: 'string', default: 'daily' },
  api: { type: 'string' },
  sim: { type: 'string' },
  'temporal-ui': { type: 'string' },
  room: { type: 'string' },
  'api-key': { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  scenario: { type: 'string' },
  restart: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '300' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function options() {
  const env = readEnvironment();
  let parsed;
  try {
    parsed = parseArgs({ options: cliOptions, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const platform = values.platform as DemoPlatform;
  if (!DEMO_PLATFORMS.includes(platform)) throw new UsageError(`--platform must be one of ${DEMO_PLATFORMS.join(', ')} (got ${values.platform})\n\n${USAGE}`);
  const apiHost = !env.API_HOST || env.API_HOST === '0.0.0.0' ? '127.0.0.1' : env.API_HOST;
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout must be a number of seconds (got ${values.timeout})`);
  const trim = (url: string) => url.replace(/\/+$/, '');
  const simPort = { daily: env.DAILY_SIMULATOR_PORT || 8090, livekit: env.LIVEKIT_SIMULATOR_PORT || 8091, '100ms': env.HMS_SIMULATOR_PORT || 8093, whereby: env.WHEREBY_SIMULATOR_PORT || 8094 }[platform];
  return {
    platform,
    apiUrl: trim(values.api ?? env.API_URL ?? env.PUBLIC_URL ?? `http://${apiHost}:${env.API_PORT || 8080}`),
    simUrl: trim(values.sim ?? `http://127.0.0.1:${simPort}/_sim`),
    temporalUiUrl: trim(values['temporal-ui'] ?? env.TEMPORAL_UI_URL ?? `http://127.0.0.1:${env.TEMPORAL_UI_PORT || 8233}`),
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    room: values.room,
    apiKey: values['api-key'] ?? env.API_KEY,
    email: values.email ?? env.FIRST_ADMIN_EMAIL ?? 'admin@example.com',
    password: values.password ?? env.FIRST_ADMIN_PASSWORD,
    scenarioFile: path.resolve(values.scenario ?? DEFAULT_SCENARIO),
    restart: values.restart,
    timeoutMs: timeoutSeconds * 1000,
  };
}

type Options = ReturnType<typeof options>;

const reason = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
};

/** Our API: JSON in and out; any unexpected status becomes a DemoError naming the call. */
function apiClient(apiUrl: string, credentials: Record<string, string> = {}) {
  return async function call<T>(method: string, pathname: string, body?: unknown, accept: number[] = []): Promise<{ status: number; body: T; headers: Headers }> {
    let response: Response;
    try {
      response = await fetch(`${apiUrl}${pathname}`, {
        method,
        redirect: 'manual',
        headers: body === undefined ? credentials : { ...credentials, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new DemoError(`${method} ${apiUrl}${pathname} failed: ${reason(error)}`);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok && !accept.includes(response.status)) {
      const error = (parsed as ApiErrorBody | undefined)?.error;
      const detail = error ? `${error.code ?? 'error'}: ${error.message ?? ''}` : text.slice(0, 300);
      throw new DemoError(`${method} ${pathname} answered ${response.status} (${detail})`);
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
}

type Api = ReturnType<typeof apiClient>;

const started = Date.now();
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
const say = (line: string) => console.log(`${stamp()} ${line}`);

async function checkProduct(opts: Options): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${opts.apiUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new DemoError(
      `The API at ${opts.apiUrl} is unreachable (${reason(error)}).\n` +
        '  Start the product first with `npm start` (in another terminal), or point the demo at it with --api URL / API_URL.',
    );
  }
  let health: HealthView;
  try {
    health = (await response.json()) as HealthView;
  } catch {
    throw new DemoError(`${opts.apiUrl}/readyz answered ${response.status} but not with JSON: is that our API? (--api / API_URL)`);
  }
  const checks = Object.entries(health.checks ?? {}).map(([name, c]) => `${name}${c.kind ? ` (${c.kind})` : ''} ${c.ok ? `ok ${c.ms} ms` : `DOWN: ${c.error}`}`);
  if (!response.ok) throw new DemoError(`The product at ${opts.apiUrl} is up but unhealthy (${health.status}): ${checks.join(', ')}`);
  return checks.join(', ');
}

/** What a participant's browser hands the platform on joining: its join token from our API. */
interface CallHooks {
  roomName: string;
  baseDir: string;
  /** What our API's join answers this participant's browser: the platform's token and the URL to open. */
  join(who: string): Promise<{ token: string; roomUrl: string }>;
  recordingStep(action: 'startRecording' | 'stopRecording', who: string): Promise<void>;
  afterStep(step: ScenarioStep): Promise<void>;
}

/** The participants' side of the call, at one platform's simulator. */
interface CallSimulator {
  name: string;
  /** The variable that, when set, means the real platform (and no simulator) is used. */
  apiKeyVariable: string;
  /** One line on its state; throws when its control API does not answer. */
  describe(): Promise<string>;
  /** Plays the scenario; resolves with how many joins there were. */
  play(scenario: DailyScenario, hooks: CallHooks): Promise<number>;
  /** Everyone still in the room leaves. */
  empty(roomName: string): Promise<void>;
}

/** What both platforms' scenario players take alike; media and webhooks are not waited for (the workflow is). */
const commonScenarioOptions = (hooks: CallHooks) => ({
  roomName: hooks.roomName,
  baseDir: hooks.baseDir,
  waitForIdle: false,
  joinOptions: async (who: string) => ({ token: (await hooks.join(who)).token }),
  afterStep: hooks.afterStep,
});

function dailyCall(simUrl: string): CallSimulator {
  const sim = connectDailySimulator(simUrl);
  return {
    name: 'Daily',
    apiKeyVariable: 'DAILY_API_KEY',
    async describe() {
      const state = await sim.state();
      return `clock ${state.clock.mode}, ${state.rooms.length} room(s), ${state.webhooks.length} webhook(s) registered`;
    },
    async play(scenario, hooks) {
      const result = await runScenario(sim, scenario, {
        ...commonScenarioOptions(hooks),
        startRecording: ({ who }) => hooks.recordingStep('startRecording', who),
        stopRecording: ({ who }) => hooks.recordingStep('stopRecording', who),
      });
      return Object.values(result.sessions).flat().length;
    },
    empty: (roomName) => sim.endMeeting(roomName),
  };
}

function liveKitCall(simUrl: string): CallSimulator {
  const sim = connectLiveKitSimulator(simUrl);
  return {
    name: 'LiveKit',
    apiKeyVariable: 'LIVEKIT_API_KEY',
    async describe() {
      const state = await sim.state();
      return `clock ${state.clock.mode}, ${state.rooms.length} room(s), ${state.webhookUrls.length} webhook URL(s)`;
    },
    async play(scenario, hooks) {
      const result = await runLiveKitScenario(sim, scenario, {
        ...commonScenarioOptions(hooks),
        recordingStep: (step) => hooks.recordingStep(step.action, step.who),
      });
      return Object.values(result.participants).flat().length;
    },
    async empty(roomName) {
      const room = (await sim.state()).rooms.find((r) => r.name === roomName);
      for (const participant of room?.present ?? []) await sim.leave(participant.sid);
    },
  };
}

function hmsCall(simUrl: string): CallSimulator {
  const sim = connectHmsSimulator(simUrl);
  return {
    name: '100ms',
    apiKeyVariable: 'HMS_ACCESS_KEY',
    async describe() {
      const state = await sim.state();
      return `clock ${state.clock.mode}, ${state.rooms.length} room(s), webhook ${state.webhook.url ?? 'not configured'}`;
    },
    async play(scenario, hooks) {
      // A 100ms room is named by its id, which is the meeting's platform room name.
      const { roomName, ...common } = commonScenarioOptions(hooks);
      const result = await runHmsScenario(sim, scenario, { ...common, roomId: roomName, recordingStep: (step) => hooks.recordingStep(step.action, step.who) });
      return Object.values(result.peers).flat().length;
    },
    async empty(roomId) {
      const room = (await sim.state()).rooms.find((r) => r.id === roomId);
      for (const peer of room?.present ?? []) await sim.leave(peer.peerId);
    },
  };
}

function wherebyCall(simUrl: string): CallSimulator {
  const sim = connectWherebySimulator(simUrl);
  return {
    name: 'Whereby',
    apiKeyVariable: 'WHEREBY_API_KEY',
    async describe() {
      const state = await sim.state();
      return `clock ${state.clock.mode}, ${state.meetings.length} meeting(s), ${state.webhookUrls.length} webhook URL(s)`;
    },
    async play(scenario, hooks) {
      // The embed's host controls stand for a script's recording steps (--restart).
      const result = await runWherebyScenario(sim, scenario, {
        baseDir: hooks.baseDir,
        waitForIdle: false,
        afterStep: hooks.afterStep,
        roomUrlOf: async (who) => (await hooks.join(who)).roomUrl,
        recordingStep: (step, participantId) => (step.action === 'startRecording' ? sim.startRecording(participantId) : sim.stopRecording(participantId)),
      });
      return Object.values(result.participants).flat().length;
    },
    async empty(roomName) {
      const meeting = (await sim.state()).meetings.find((m) => m.roomName === roomName);
      for (const participant of meeting?.present ?? []) if (participant.roleName !== 'recorder') await sim.leave(participant.participantId);
    },
  };
}

/** Whereby records by itself, by the room's trigger (our API refuses to be asked to start or stop). */
const platformRecordsItself = (platform: DemoPlatform) => platform === 'whereby';

/** Where one identity is one participant (LiveKit), or a token names its user (100ms), the owner's guests join as
 * anonymous participants with meeting tokens of their own; on Daily everyone joins as the demo's user. */
const guestsJoinAnonymously = (platform: DemoPlatform) => platform !== 'daily';

async function checkSimulator(opts: Options, call: CallSimulator): Promise<string> {
  try {
    return await call.describe();
  } catch (error) {
    throw new DemoError(
      `The ${call.name} simulator's control API at ${opts.simUrl} is unreachable (${reason(error)}).\n` +
        `  The demo drives the simulator that \`npm start\` runs when ${call.apiKeyVariable} is unset; pass --sim URL if it listens elsewhere.`,
    );
  }
}

async function openRoom(opts: Options, api: Api): Promise<RoomView> {
  // On LiveKit the owner's guests join as anonymous participants (see the top of this file).
  const settings = { platform: opts.platform, recordingTrigger: 'automatic', ...(guestsJoinAnonymously(opts.platform) && { allowAnonymous: true }) };
  if (opts.room) {
    const found = await api<RoomView>('GET', `/v1/rooms/${encodeURIComponent(opts.room)}`, undefined, [404]);
    if (found.status !== 200) return (await api<RoomView>('POST', '/v1/rooms', { name: opts.room, ...settings })).body;
    const room = found.body;
    if (room.platform !== opts.platform) throw new DemoError(`room "${room.name}" is on ${room.platform}, not ${opts.platform}: pass --platform ${room.platform}, or another --room`);
    if (guestsJoinAnonymously(opts.platform) && !room.allowAnonymous) {
      throw new DemoError(`room "${room.name}" does not allow anonymous participants, and on ${opts.platform} the demo's other participants join as guests: allow them in its settings, or pass another --room`);
    }
    return room;
  }
  const name = `demo-${randomBytes(3).toString('hex')}`;
  return (await api<RoomView>('POST', '/v1/rooms', { name, ...settings })).body;
}

/** Without --restart the scenario's own recording steps go: recording follows the browsers' join requests. */
function prepareScenario(scenario: DailyScenario, restart: boolean): DailyScenario {
  const used = new Set(Object.values(scenario.participants).map((p) => p.voice).filter(Boolean));
  const spare = SIMULATOR_VOICES.filter((v) => !used.has(v));
  // Every join carries a token from our API with the same user id, so the simulator cannot tell the
  // speakers apart by id: give each one a distinct voice explicitly.
  const participants = Object.fromEntries(
    Object.entries(scenario.participants).map(([who, p], i) => [who, { ...p, voice: p.voice ?? spare[i % Math.max(1, spare.length)] ?? SIMULATOR_VOICES[0] }]),
  );
  const steps = restart ? scenario.steps : scenario.steps.filter((s) => s.action !== 'startRecording' && s.action !== 'stopRecording');
  return { ...scenario, participants, steps };
}

/** The demo acts as a user: with an API key, or signed in with email and password (a session cookie). */
async function signIn(opts: Options): Promise<Record<string, string>> {
  if (opts.apiKey) return { 'x-api-key': opts.apiKey };
  if (!opts.password) {
    throw new DemoError('The API needs to know who is asking: pass --api-key KEY (or set API_KEY), or --password with the password of ' +
      `${opts.email} (FIRST_ADMIN_PASSWORD, or the one the first \`npm start\` printed).`);
  }
  const login = await apiClient(opts.apiUrl)<{ user: { email: string } }>('POST', '/v1/auth/login', { email: opts.email, password: opts.password }, [401]);
  if (login.status === 401) throw new DemoError(`Signing in as ${opts.email} failed: wrong email or password (--email / --password).`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => /session=/.test(c));
  if (!cookie) throw new DemoError('Signed in, but the API set no session cookie');
  return { cookie };
}

function describeState(state: MeetingState): string {
  const recordings = state.recordings.map((r) => `${r.kind ?? '?'} ${r.status}`).join(', ') || 'none yet';
  return `workflow: phase ${state.phase}${state.endReason ? ` (${state.endReason})` : ''} · recording ${state.recording.status}` +
    `${state.recording.lastError ? ` (last error: ${state.recording.lastError})` : ''} · ${state.presentSessions.length} present · recordings: ${recordings}`;
}

async function main(): Promise<number> {
  const opts = options();
  const api = apiClient(opts.apiUrl, await signIn(opts));
  const call = { daily: dailyCall, livekit: liveKitCall, '100ms': hmsCall, whereby: wherebyCall }[opts.platform](opts.simUrl);

  console.log('Meeting recorder demo');
  console.log(`  API:        ${opts.apiUrl}  (${await checkProduct(opts)})`);
  console.log(`  Simulator:  ${call.name} at ${opts.simUrl}  (${await checkSimulator(opts, call)})`);
  const loaded = await loadScenario(opts.scenarioFile);
  const scenario = prepareScenario(loaded.scenario, opts.restart);
  const hasStops = loaded.scenario.steps.some((s) => s.action === 'stopRecording');
  const lastAt = Math.max(0, ...scenario.steps.map((s) => s.at));
  console.log(`  Scenario:   ${path.basename(opts.scenarioFile)}: ${Object.values(scenario.participants).map((p) => p.userName).join(', ')}, ~${Math.ceil(lastAt)} s` +
    `; recording restart ${opts.restart ? (hasStops ? 'on' : 'requested, but the scenario has no stopRecording step') : 'off (--restart to stop and restart mid-meeting)'}`);

  const room = await openRoom(opts, api);
  const created = await api<MeetingView>('POST', `/v1/rooms/${encodeURIComponent(room.name)}/meetings`, {});
  const meeting = created.body;
  const meetingPath = `/v1/meetings/${meeting.id}`;
  say(`room "${room.name}" on ${room.platform} (trigger ${room.recordingTrigger}); ${created.status === 201 ? 'new meeting' : "joined the room's active meeting"} ${meeting.id}`);
  say(`platform room ${meeting.platformRoomName} at ${meeting.roomUrl ?? '(no URL)'}`);
  if (platformRecordsItself(opts.platform)) say(`${call.name} records by itself: the room's trigger (${room.recordingTrigger}) has its recorder join the call`);
  if (!meeting.roomUrl) throw new DemoError(`meeting ${meeting.id} has no platform room yet (${opts.apiUrl}${meetingPath})`);

  // Follow the workflow's own view of the meeting throughout, printing each change.
  let latest: MeetingState | undefined;
  let lastLine = '';
  let pollError: string | undefined;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        latest = (await api<MeetingState>('GET', `${meetingPath}/state`)).body;
        pollError = undefined;
        const line = describeState(latest);
        if (line !== lastLine) say(line);
        lastLine = line;
        if (latest.phase === 'ended') return;
      } catch (error) {
        pollError = (error as Error).message;
      }
      await sleep(500);
    }
  })();

  // Each participant's browser, by its credentials: the demo's user, or on LiveKit a guest's meeting token.
  const nameOf = (who: string) => scenario.participants[who]?.userName ?? who;
  const owner = Object.entries(scenario.participants).find(([, p]) => p.owner)?.[0];
  // The one who joins as the demo's user, the room's owner (the others are guests on LiveKit).
  const host = owner ?? Object.keys(scenario.participants)[0];
  const guests = new Map<string, Api>();
  const browserOf = (who: string) => guests.get(who) ?? api;
  type JoinAnswer = { token: string; roomUrl: string; meetingToken: string | null };
  const join = async (who: string) => {
    if (!guestsJoinAnonymously(opts.platform) || who === host) {
      return (await api<JoinAnswer>('POST', `${meetingPath}/join`, { userName: nameOf(who) })).body;
    }
    // A guest's second join sends its meeting token, so it keeps its identity: one speaker, not two.
    const joined = await (guests.get(who) ?? apiClient(opts.apiUrl))<JoinAnswer>('POST', `${meetingPath}/join`, { userName: nameOf(who) });
    if (joined.body.meetingToken) guests.set(who, apiClient(opts.apiUrl, { authorization: `Bearer ${joined.body.meetingToken}` }));
    return joined.body;
  };

  // Recording control as the browsers do it: tracked from our API's answers.
  let control: RecordingRequestResult['status'] = 'idle';
  const requestRecording = async (who: string, manual: boolean, why: string) => {
    const answer = (await browserOf(who)<RecordingRequestResult>('POST', `${meetingPath}/recordings/start`, { manual })).body;
    control = answer.status;
    say(`${nameOf(who)}'s browser ${why} → ${answer.status}${answer.note ? ` (${answer.note})` : ''}`);
  };
  const recordingStep = async (action: 'startRecording' | 'stopRecording', who: string) => {
    if (action === 'startRecording') {
      if (control === 'recording') return; // one request starts both kinds; the join already asked
      await requestRecording(who, true, 'pressed start (owner, manual)');
      return;
    }
    if (control !== 'recording') return; // both kinds stop together
    const answer = (await browserOf(who)<RecordingRequestResult>('POST', `${meetingPath}/recordings/stop`)).body;
    control = answer.status;
    say(`${nameOf(who)}'s browser pressed stop (owner) → ${answer.status}${answer.note ? ` (${answer.note})` : ''}`);
  };
  const afterStep = async (step: ScenarioStep) => {
    switch (step.action) {
      case 'join':
      case 'rejoin': {
        say(`${nameOf(step.who)} ${step.action === 'join' ? 'joined' : 'rejoined'} ${meeting.platformRoomName}${guests.has(step.who) ? ' (as a guest)' : ''}`);
        if (platformRecordsItself(opts.platform)) break; // its recorder joins by the room's trigger, at the platform
        // With trigger "prompt" the owner's browser asks the host, who agrees: a manual start.
        const manual = room.recordingTrigger === 'prompt' && step.who === owner;
        await requestRecording(step.who, manual, 'asked to record on join');
        break;
      }
      case 'leave':
        say(`${nameOf(step.who)} left`);
        break;
      case 'say':
        say(`${nameOf(step.who)}: ${'text' in step ? `"${step.text}"` : `(audio ${step.wav})`}`);
        break;
      case 'end':
        say('everyone left: the meeting ends at the platform');
        break;
      default:
        break;
    }
  };

  let joins = 0;
  try {
    joins = await call.play(scenario, { roomName: meeting.platformRoomName, baseDir: loaded.baseDir, join, recordingStep, afterStep });
  } catch (error) {
    polling = false;
    // Leave nothing open: everyone leaves at the simulator, so the product sees the meeting end.
    await call.empty(meeting.platformRoomName).catch(() => undefined);
    await api('POST', `${meetingPath}/end`).catch(() => undefined);
    await poller;
    throw new DemoError(`the scenario failed: ${(error as Error).message}\n  (ended the meeting so it does not stay open)`);
  }
  if (opts.platform === 'livekit' || opts.platform === '100ms') {
    // LiveKit would close the room only after its departure timeout (60 s); the host ends it now (on 100ms too).
    // Whereby ends the room's session as the last one leaves: its recorder then leaves and the file is written.
    const ended = await api('POST', `${meetingPath}/end`, undefined, [409]);
    say(`${nameOf(host ?? '')}'s browser ended the meeting (host) → ${ended.status === 409 ? 'it had ended already' : 'ending'}`);
  }
  say(`scenario done (${joins} sessions); waiting for the meeting workflow to end (up to ${opts.timeoutMs / 1000} s)`);

  const deadline = Date.now() + opts.timeoutMs;
  const workflowUrl = `${opts.temporalUiUrl}/namespaces/${opts.namespace}/workflows/${encodeURIComponent(`meeting/${meeting.id}`)}`;
  while (latest?.phase !== 'ended') {
    if (Date.now() > deadline) {
      polling = false;
      await poller;
      throw new DemoError(
        `the meeting workflow did not reach phase "ended" within ${opts.timeoutMs / 1000} s ` +
          `(last seen: ${latest ? describeState(latest) : 'nothing'}${pollError ? `; last error: ${pollError}` : ''}).\n  Look at it: ${workflowUrl}`,
      );
    }
    await sleep(250);
  }
  polling = false;
  await poller;
  const final = latest;

  // The composed recording is stored by its own recording workflow, moments after the meeting's ends.
  let cloudLink: string | undefined;
  let cloudNote = '';
  if (final.recordings.some((r) => r.kind === 'cloud' && r.status === 'ready')) {
    const cloudDeadline = Math.min(deadline, Date.now() + 60_000);
    while (!(await api<MeetingView>('GET', meetingPath)).body.hasCloudRecording && Date.now() < cloudDeadline) await sleep(500);
    const link = await api<unknown>('GET', `${meetingPath}/cloud-recording`, undefined, [307, 404]);
    if (link.status === 307 && link.headers.get('location')) {
      cloudLink = new URL(link.headers.get('location')!, opts.apiUrl).toString();
      const video = await fetch(cloudLink).catch(() => undefined);
      const bytes = video?.ok ? (await video.arrayBuffer()).byteLength : 0;
      cloudNote = video?.ok ? `${video.headers.get('content-type')}, ${(bytes / 1024).toFixed(0)} KiB` : `the link answered ${video?.status ?? 'nothing'}`;
    } else {
      cloudNote = `GET ${meetingPath}/cloud-recording answered ${link.status}`;
    }
  }

  const endReasons: Record<string, string> = { platform: 'at the platform (everyone left)', api: 'through the API', 'end-date': 'at its end date' };
  const roomQuery = encodeURIComponent(`RoomName="${room.name}"`);
  const lines = [
    '',
    'Summary',
    `  Meeting:          ${meeting.id} in room "${room.name}" (platform room ${meeting.platformRoomName})`,
    `  Ended:            ${endReasons[final.endReason ?? ''] ?? final.endReason ?? '?'}; ${final.participantsSeen} participant join(s) seen`,
    `  API:              ${opts.apiUrl}${meetingPath}   (workflow state: ${opts.apiUrl}${meetingPath}/state)`,
    `  Workflow:         ${workflowUrl}`,
    `  Room's workflows: ${opts.temporalUiUrl}/namespaces/${opts.namespace}/workflows?query=${roomQuery}`,
    `  Recordings:       ${final.recordings.length === 0 ? 'none' : `${final.recordings.length} (id, kind, status in the meeting workflow; recording workflow)`}`,
    ...final.recordings.map((r) =>
      `    ${r.id}  ${(r.kind ?? '?').padEnd(10)} ${r.status}` +
        `${r.error ? `  (${r.error})` : ''}${r.status === 'ready' ? `\n      ${opts.temporalUiUrl}/namespaces/${opts.namespace}/workflows/${encodeURIComponent(`recording/${r.id}`)}` : ''}`),
    `  Cloud recording:  ${cloudLink ? `${cloudLink}\n                    (307 from ${opts.apiUrl}${meetingPath}/cloud-recording; ${cloudNote}; short-lived)` : cloudNote || 'none (no cloud recording is ready)'}`,
    '',
  ];
  console.log(lines.join('\n'));

  // Each raw-tracks recording becomes a transcript (on a composite-only platform, the composite): follow its
  // progress, then show it.
  const transcripts = [];
  const compositeOnly = (opts.platform === '100ms' || opts.platform === 'whereby') && !final.recordings.some((r) => r.kind === 'raw-tracks');
  for (const recording of final.recordings.filter((r) => r.kind === (compositeOnly ? 'cloud' : 'raw-tracks') && r.status === 'ready')) {
    transcripts.push(await followTranscript(api, opts, recording.id, deadline));
  }
  const failed = transcripts.filter((t) => t.status !== 'ended');

  const bad = final.recordings.filter((r) => r.status !== 'ready');
  if (final.recordings.length === 0) throw new DemoError('the meeting ended without any recording');
  if (bad.length > 0) throw new DemoError(`${bad.length} recording(s) did not become ready: ${bad.map((r) => `${r.kind ?? '?'} ${r.status}${r.error ? ` (${r.error})` : ''}`).join('; ')}`);
  if (!cloudLink) throw new DemoError(`no cloud recording link: ${cloudNote || 'no cloud recording is ready'}`);
  if (failed.length > 0) throw new DemoError(`${failed.length} transcript(s) did not end: ${failed.map((t) => `${t.id} ${t.status}${t.error ? ` (${t.error})` : ''}`).join('; ')}`);
  return 0;
}

interface TranscriptView {
  id: string;
  status: string;
  error: string | null;
  progress: { step: string; tracksDone: number; tracksTotal: number; percent: number } | null;
  title: string | null;
  shortSummary: string | null;
  actionItems: string[];
  topics: Array<{ title: string }>;
  participants: Array<{ name: string }>;
  segments: Array<{ speakerName: string; start: number; text: string }>;
  engines: { speech: string | null; summary: string | null; offline: boolean };
  audio: { url: string } | null;
  exports: Record<string, string>;
}

/** Waits for the recording's transcript to end, printing its progress, then prints it. */
async function followTranscript(api: Api, opts: Options, recordingId: string, deadline: number): Promise<TranscriptView> {
  let last = '';
  for (;;) {
    const list = (await api<{ items: Array<{ id: string }> }>('GET', `/v1/transcripts?recordingId=${encodeURIComponent(recordingId)}`)).body;
    const id = list.items[0]?.id;
    const t = id ? (await api<TranscriptView>('GET', `/v1/transcripts/${id}`)).body : undefined;
    const line = t ? `transcript ${t.id}: ${t.status}${t.progress ? ` · ${t.progress.step} · tracks ${t.progress.tracksDone}/${t.progress.tracksTotal} · ${t.progress.percent}%` : ''}` : `transcript of ${recordingId}: not started yet`;
    if (line !== last) console.log(`  ${line}`);
    last = line;
    if (t && (t.status === 'ended' || t.status === 'error')) {
      const mm = (seconds: number) => `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
      console.log([
        '',
        `Transcript ${t.id} (${t.status})`,
        `  Title:            ${t.title ?? '—'}`,
        `  Speakers:         ${t.participants.map((p) => p.name).join(', ')}`,
        `  Engines:          speech ${t.engines.speech}, summary ${t.engines.summary}${t.engines.summary === 'offline-extractive' ? '  (an extractive summary: SUMMARY_ENGINE writes one)' : ''}${t.engines.offline ? '; made on this machine alone' : ''}`,
        `  Summary:          ${t.shortSummary ?? '—'}`,
        `  Topics:           ${t.topics.map((topic) => topic.title).join('; ') || '—'}`,
        `  Action items:     ${t.actionItems.join('; ') || '—'}`,
        ...t.segments.slice(0, 8).map((s) => `    [${mm(s.start)}] ${s.speakerName}: ${s.text}`),
        ...(t.segments.length > 8 ? [`    … ${t.segments.length - 8} more turn(s)`] : []),
        `  Page:             ${opts.apiUrl}/transcripts/${t.id}`,
        `  API:              ${opts.apiUrl}/v1/transcripts/${t.id}`,
        `  Audio:            ${t.audio ? `${opts.apiUrl}${t.audio.url}` : '—'}`,
        `  Exports:          ${Object.values(t.exports).map((u) => `${opts.apiUrl}${u}`).join('\n                    ') || '—'}`,
        `  Workflow:         ${opts.temporalUiUrl}/namespaces/${opts.namespace}/workflows/${encodeURIComponent(`recording/${recordingId}`)}`,
        '',
      ].join('\n'));
      return t;
    }
    if (Date.now() > deadline) throw new DemoError(`the transcript of recording ${recordingId} did not end in time (last: ${line})`);
    await sleep(1000);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof DemoError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
