// The 100ms simulator's control API (platforms/hms/simulator/control-api.ts), which the embedded mode proxies at
// /_sim/100ms on our own origin (only what peers do there: api/web-app.ts): the simulated call acts as the
// participants' 100ms browser SDK would. A 100ms room is named by its id (the meeting's platform room name).
import { controlSender } from './simulator-control.ts';

export interface HmsSimRoomState {
  id: string;
  name: string;
  present: Array<{ peerId: string; name: string; userId: string; role: string }>;
}

export function hmsSimulator(base: string) {
  // 100ms's error shape: {code, message, details}.
  const send = controlSender(base, (answer) => answer.message);
  const enc = encodeURIComponent;
  return {
    async room(roomId: string): Promise<HmsSimRoomState | undefined> {
      const state = await send<{ rooms: HmsSimRoomState[] }>('GET', '/state');
      return state.rooms.find((r) => r.id === roomId);
    },
    /** With an app token (its user id and role are the peer's), or by name as a guest. */
    join: (roomId: string, options: { token: string; name?: string; voice?: string } | { name: string; userId: string; role: string; voice?: string }) =>
      send<{ peerId: string; sessionId: string }>('POST', `/rooms/${enc(roomId)}/join`, options),
    leave: (peerId: string) => send<unknown>('POST', `/peers/${enc(peerId)}/leave`, {}),
    sayText: (peerId: string, text: string) => send<{ atMs: number; durationMs: number }>('POST', `/peers/${enc(peerId)}/say`, { text }),
    sayAudio: (peerId: string, audio: Blob) => send<{ atMs: number; durationMs: number }>('POST', `/peers/${enc(peerId)}/say`, audio),
  };
}
