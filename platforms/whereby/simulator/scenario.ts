import { parseScenario, playScenario } from '../../daily/simulator/scenario.ts';
import type { DailyScenario, ScenarioPacing, ScenarioStep } from '../../daily/simulator/scenario.ts';
import type { WherebySimulatorControl } from './control.ts';

// The Daily simulator's meeting scripts (platforms/daily/simulator/scenarios/*.json) played in a Whereby room: each
// participant opens the room URL their browser is given (`roomUrlOf`: the host link for the room's owner, from our
// API), `userName` is their display name and `userId` their externalId; each join is a new participant, `rejoin` a
// leave and a join. Whereby records by the room's startTrigger, so a script's startRecording/stopRecording steps are
// the embed's host controls: handed to `options.recordingStep` when given (e.g. the host's startRecording()) and
// skipped otherwise; `end` has everyone leave (the session then ends).

export interface WherebyScenarioOptions extends ScenarioPacing {
  /** The URL this participant's browser opens (the room URL, or the host link for the owner). */
  roomUrlOf: (who: string) => string | Promise<string>;
  /** What a script's recording step does here; skipped without it. */
  recordingStep?: (step: ScenarioStep & { action: 'startRecording' | 'stopRecording' }, participantId: string) => Promise<void>;
}

export interface WherebyScenarioResult {
  startedAtMs: number;
  /** Participant ids per script participant, one per join. */
  participants: Record<string, string[]>;
}

export async function runWherebyScenario(sim: WherebySimulatorControl, scenario: DailyScenario, options: WherebyScenarioOptions): Promise<WherebyScenarioResult> {
  const script = parseScenario(scenario);
  const present = new Map<string, string>();
  const participants: Record<string, string[]> = {};
  const idOf = (who: string) => {
    const participantId = present.get(who);
    if (!participantId) throw new Error(`scenario: ${who} is not in the room`);
    return participantId;
  };
  const { startedAtMs } = await playScenario(sim, script, {
    join: async (who) => {
      const { userName, userId, voice } = script.participants[who]!;
      const { participantId } = await sim.join({ roomUrl: await options.roomUrlOf(who), displayName: userName, ...(userId && { externalId: userId }), ...(voice && { voice }) });
      present.set(who, participantId);
      (participants[who] ??= []).push(participantId);
    },
    leave: async (who) => {
      await sim.leave(idOf(who));
      present.delete(who);
    },
    say: (who, speech) => sim.say(idOf(who), speech),
    recording: async (step) => options.recordingStep?.(step, idOf(step.who)),
    present: () => present.keys(),
  }, options);
  return { startedAtMs, participants };
}
