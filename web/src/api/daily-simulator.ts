// The Daily simulator's control API (platforms/daily/simulator/control-api.ts), which the embedded mode
// proxies at /_sim on our own origin: the simulated call acts as the participants' daily-js would.
import { controlSender } from './simulator-control.ts';

export interface DailySimRoomState {
  name: string;
  meetingId: string | null;
  present: Array<{ sessionId: string; userName: string | null; userId: string | null; owner: boolean }>;
  activeRecordings: Array<{ recordingId: string; instanceId: string; type: string }>;
}

export function dailySimulator(base: string) {
  const send = controlSender(base, (answer) => answer.info ?? answer.error);
  const enc = encodeURIComponent;
  return {
    async room(platformRoomName: string): Promise<DailySimRoomState | undefined> {
      const state = await send<{ rooms: DailySimRoomState[] }>('GET', '/state');
      return state.rooms.find((r) => r.name === platformRoomName);
    },
    join: (platformRoomName: string, options: { userName: string; token: string; voice?: string }) =>
      send<{ sessionId: string; meetingId: string }>('POST', `/rooms/${enc(platformRoomName)}/join`, options),
    leave: (sessionId: string) => send<unknown>('POST', `/sessions/${enc(sessionId)}/leave`, {}),
    sayText: (sessionId: string, text: string) => send<{ atMs: number; durationMs: number }>('POST', `/sessions/${enc(sessionId)}/say`, { text }),
    sayAudio: (sessionId: string, audio: Blob) => send<{ atMs: number; durationMs: number }>('POST', `/sessions/${enc(sessionId)}/say`, audio),
    endCall: (platformRoomName: string) => send<unknown>('POST', `/rooms/${enc(platformRoomName)}/end`, {}),
  };
}
