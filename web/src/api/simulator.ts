// The Daily simulator's control API (platforms/daily/simulator/control-api.ts), which the embedded mode
// proxies at /_sim on our own origin: the simulated call acts as the participants' daily-js would.

export interface SimRoomState {
  name: string;
  meetingId: string | null;
  present: Array<{ sessionId: string; userName: string | null; userId: string | null; owner: boolean }>;
  activeRecordings: Array<{ recordingId: string; instanceId: string; type: string }>;
}

export class SimulatorError extends Error {
  override name = 'SimulatorError';
}

export function simulator(base: string) {
  async function send<T>(method: string, path: string, body?: BodyInit | object, contentType = 'application/json'): Promise<T> {
    const raw = body instanceof Blob || body instanceof ArrayBuffer;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': raw ? contentType : 'application/json' },
      body: body === undefined ? undefined : raw ? (body as BodyInit) : JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => ({}))) as T & { error?: string; info?: string };
    if (!response.ok) throw new SimulatorError(answer.info ?? answer.error ?? `simulator answered ${response.status}`);
    return answer;
  }
  return {
    async room(platformRoomName: string): Promise<SimRoomState | undefined> {
      const state = await send<{ rooms: SimRoomState[] }>('GET', '/state');
      return state.rooms.find((r) => r.name === platformRoomName);
    },
    join: (platformRoomName: string, options: { userName: string; token: string; voice?: string }) =>
      send<{ sessionId: string; meetingId: string }>('POST', `/rooms/${encodeURIComponent(platformRoomName)}/join`, options),
    leave: (sessionId: string) => send<unknown>('POST', `/sessions/${encodeURIComponent(sessionId)}/leave`, {}),
    sayText: (sessionId: string, text: string) => send<{ atMs: number; durationMs: number }>('POST', `/sessions/${encodeURIComponent(sessionId)}/say`, { text }),
    sayAudio: (sessionId: string, audio: Blob) =>
      send<{ atMs: number; durationMs: number }>('POST', `/sessions/${encodeURIComponent(sessionId)}/say`, audio, audio.type || 'audio/webm'),
    endCall: (platformRoomName: string) => send<unknown>('POST', `/rooms/${encodeURIComponent(platformRoomName)}/end`, {}),
  };
}

export type Simulator = ReturnType<typeof simulator>;

/** espeak-ng voices the simulator knows (platforms/daily/simulator/speech.ts), handed out in join order. */
export const SIMULATOR_VOICES = ['en-us', 'en-gb+f3', 'en-us+m3', 'en-gb-x-rp+f4', 'en+m1'] as const;
