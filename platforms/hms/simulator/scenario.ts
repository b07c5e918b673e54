import { parseScenario, playScenario } from '../../daily/simulator/scenario.ts';
import type { DailyScenario, ScenarioPacing, ScenarioStep } from '../../daily/simulator/scenario.ts';
import type { HmsJoinOptions, HmsSimulatorControl } from './control.ts';

// The Daily simulator's meeting scripts (platforms/daily/simulator/scenarios/*.json) played in a 100ms room: a
// participant's `userId` is their user id, `userName` their name, `owner` the host role (else guest) unless the
// join options bring an app token; each join is a new peer, `rejoin` a leave and a join. 100ms records through its
// REST API, started by the server side, so a script's startRecording/stopRecording steps are handed to
// `options.recordingStep` when given and skipped otherwise; `end` has everyone leave (the session then closes).

export interface HmsScenarioOptions extends ScenarioPacing {
  /** Run in this 100ms room (e.g. the one our API created) instead of one named after the script's room. */
  roomId?: string;
  /** Extra join options per participant, e.g. an app token from our API. */
  joinOptions?: (who: string) => HmsJoinOptions | Promise<HmsJoinOptions>;
  /** What a script's recording step does here (e.g. ask our API); skipped without it. */
  recordingStep?: (step: ScenarioStep & { action: 'startRecording' | 'stopRecording' }) => Promise<void>;
}

export interface HmsScenarioResult {
  roomId: string;
  startedAtMs: number;
  /** Peer ids per script participant, one per join. */
  peers: Record<string, string[]>;
}

export async function runHmsScenario(sim: HmsSimulatorControl, scenario: DailyScenario, options: HmsScenarioOptions = {}): Promise<HmsScenarioResult> {
  const script = parseScenario(scenario);
  const roomId = options.roomId ?? (await sim.ensureRoom(script.room)).roomId;
  const present = new Map<string, string>();
  const peers: Record<string, string[]> = {};
  const peerOf = (who: string) => {
    const peerId = present.get(who);
    if (!peerId) throw new Error(`scenario: ${who} is not in the room`);
    return peerId;
  };
  const { startedAtMs } = await playScenario(sim, script, {
    join: async (who) => {
      const { userName, userId, owner, voice } = script.participants[who]!;
      const extra = (await options.joinOptions?.(who)) ?? {};
      const { peerId } = await sim.join(roomId, { name: userName, ...(userId && { userId }), role: owner ? 'host' : 'guest', ...(voice && { voice }), ...extra });
      present.set(who, peerId);
      (peers[who] ??= []).push(peerId);
    },
    leave: async (who) => {
      await sim.leave(peerOf(who));
      present.delete(who);
    },
    say: (who, speech) => sim.say(peerOf(who), speech),
    recording: async (step) => options.recordingStep?.(step),
    present: () => present.keys(),
  }, options);
  return { roomId, startedAtMs, peers };
}
