// The Whereby simulator's control API (platforms/whereby/simulator/control-api.ts), which the embedded mode proxies
// at /_sim/whereby on our own origin (only what participants do there: api/web-app.ts): the simulated call acts as
// the participants' `<whereby-embed>` would. A Whereby room is named by its path (the meeting's platform room name)
// and joined by its URL: the host link for the room's owner, the room URL for everyone else.
import { controlSender } from './simulator-control.ts';

export interface WherebySimMeetingState {
  roomName: string;
  present: Array<{ participantId: string; displayName: string; roleName: string }>;
  recording: boolean;
}

export function wherebySimulator(base: string) {
  // Whereby's error shape: {error}.
  const send = controlSender(base, (answer) => answer.error);
  const enc = encodeURIComponent;
  return {
    async meeting(roomName: string): Promise<WherebySimMeetingState | undefined> {
      const state = await send<{ meetings: WherebySimMeetingState[] }>('GET', '/state');
      return state.meetings.find((m) => m.roomName === roomName);
    },
    join: (options: { roomUrl: string; displayName: string; voice?: string }) => send<{ participantId: string; roleName: string }>('POST', '/join', options),
    leave: (participantId: string) => send<unknown>('POST', `/participants/${enc(participantId)}/leave`, {}),
    sayText: (participantId: string, text: string) => send<{ atMs: number; durationMs: number }>('POST', `/participants/${enc(participantId)}/say`, { text }),
    sayAudio: (participantId: string, audio: Blob) => send<{ atMs: number; durationMs: number }>('POST', `/participants/${enc(participantId)}/say`, audio),
  };
}
