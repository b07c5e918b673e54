import { resolve } from 'node:path';
import { afterLastStep, orderedSteps, parseScenario, untilStep } from '../../daily/simulator/scenario.ts';
import type { DailyScenario, ScenarioStep } from '../../daily/simulator/scenario.ts';
import type { LiveKitJoinOptions, LiveKitSimulatorControl } from './control.ts';

// The Daily simulator's meeting scripts (platforms/daily/simulator/scenarios/*.json) played in a LiveKit
// room: a participant's `userId` is their identity (else the script's key), `userName` their name; `join`
// also publishes their microphone; `rejoin` is a full reconnection (same identity, a new participant);
// `end` has everyone leave (the room then finishes after its departure timeout). LiveKit records through
// Egress, started by the server side, so a script's startRecording/stopRecording steps are handed to
// `options.recordingStep` when given and skipped otherwise.

export interface LiveKitScenarioOptions {
  /** Run in this room instead of the script's (e.g. the room our API created). */
  roomName?: string;
  /** Folder that relative `wav` paths are resolved against. Default: the working directory. */
  baseDir?: string;
  /** Extra join options per participant, e.g. a join token from our API. */
  joinOptions?: (who: string) => LiveKitJoinOptions | Promise<LiveKitJoinOptions>;
  /** What a script's recording step does here (e.g. ask our API); skipped without it. */
  recordingStep?: (step: ScenarioStep & { action: 'startRecording' | 'stopRecording' }) => Promise<void>;
  /** Runs after every step: a place to wait for our product to react. */
  afterStep?: (step: ScenarioStep, index: number) => Promise<void>;
  /** Virtual clock: pace steps at this many simulated seconds per real second. Default: no pacing. */
  speed?: number;
  /** Virtual clock: simulated seconds to advance after the last step, past the departure timeout. Default 30. */
  tailSeconds?: number;
  /** Wait for media and webhooks to settle at the end. Default true. */
  waitForIdle?: boolean;
}

export interface LiveKitScenarioResult {
  roomName: string;
  startedAtMs: number;
  /** Participant sids per script participant, one per join. */
  participants: Record<string, string[]>;
  /** Microphone track sids per script participant, one per join. */
  tracks: Record<string, string[]>;
}

export async function runLiveKitScenario(
  sim: LiveKitSimulatorControl,
  scenario: DailyScenario,
  options: LiveKitScenarioOptions = {},
): Promise<LiveKitScenarioResult> {
  const script = parseScenario(scenario);
  const roomName = options.roomName ?? script.room;
  const clock = await sim.clock();
  const run = { mode: clock.mode, startedAtMs: clock.nowMs, wallStart: Date.now(), ...(options.speed && { speed: options.speed }) };
  const present = new Map<string, string>();
  const result: LiveKitScenarioResult = { roomName, startedAtMs: clock.nowMs, participants: {}, tracks: {} };
  const record = (who: string, joined: { participantSid: string; trackSid: string | null }) => {
    present.set(who, joined.participantSid);
    (result.participants[who] ??= []).push(joined.participantSid);
    if (joined.trackSid) (result.tracks[who] ??= []).push(joined.trackSid);
  };
  const sidOf = (who: string) => {
    const sid = present.get(who);
    if (!sid) throw new Error(`scenario: ${who} is not in the room`);
    return sid;
  };

  const join = async (who: string) => {
    const { userName, userId, voice } = script.participants[who]!;
    const extra = (await options.joinOptions?.(who)) ?? {};
    record(who, await sim.join(roomName, { identity: userId ?? who, name: userName, ...(voice && { voice }), ...extra }));
  };

  for (const { step, index } of orderedSteps(script.steps)) {
    await untilStep(sim, run, step.at);
    switch (step.action) {
      case 'join':
        await join(step.who);
        break;
      case 'rejoin':
        if (present.has(step.who)) record(step.who, await sim.reconnect(sidOf(step.who)));
        else await join(step.who);
        break;
      case 'leave':
        await sim.leave(sidOf(step.who));
        present.delete(step.who);
        break;
      case 'say':
        await sim.say(sidOf(step.who), 'text' in step ? { text: step.text } : { wavPath: resolve(options.baseDir ?? '.', step.wav) });
        break;
      case 'startRecording':
      case 'stopRecording':
        await options.recordingStep?.(step);
        break;
      case 'end':
        for (const sid of present.values()) await sim.leave(sid);
        present.clear();
        break;
    }
    await options.afterStep?.(step, index);
  }
  await afterLastStep(sim, clock.mode, options);
  return result;
}
