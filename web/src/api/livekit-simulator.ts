// The LiveKit simulator's control API (platforms/livekit/simulator/control-api.ts), which the embedded mode
// proxies at /_sim/livekit on our own origin (only what participants do there: api/web-app.ts): the simulated
// call acts as the participants' livekit-client would.
import { controlSender } from './simulator-control.ts';

export interface LiveKitSimRoomState {
  sid: string;
  name: string;
  present: Array<{ sid: string; identity: string; name: string; tracks: string[] }>;
}

/** A participant in the room, their microphone published. */
export interface LiveKitSimParticipant {
  participantSid: string;
  identity: string;
  trackSid: string | null;
}

export function liveKitSimulator(base: string) {
  // Twirp's error shape: {code, msg}.
  const send = controlSender(base, (answer) => answer.msg ?? answer.info ?? answer.code);
  const enc = encodeURIComponent;
  return {
    async room(platformRoomName: string): Promise<LiveKitSimRoomState | undefined> {
      const state = await send<{ rooms: LiveKitSimRoomState[] }>('GET', '/state');
      return state.rooms.find((r) => r.name === platformRoomName);
    },
    /** With a join token (its identity and name are the participant's), or as someone the simulator is told of. */
    join: (platformRoomName: string, options: { token: string; voice?: string } | { identity: string; name: string; voice?: string }) =>
      send<LiveKitSimParticipant>('POST', `/rooms/${enc(platformRoomName)}/join`, options),
    leave: (participantSid: string) => send<unknown>('POST', `/participants/${enc(participantSid)}/leave`, {}),
    sayText: (participantSid: string, text: string) => send<{ atMs: number; durationMs: number }>('POST', `/participants/${enc(participantSid)}/say`, { text }),
    sayAudio: (participantSid: string, audio: Blob) => send<{ atMs: number; durationMs: number }>('POST', `/participants/${enc(participantSid)}/say`, audio),
  };
}
