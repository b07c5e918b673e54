import { readFile } from 'node:fs/promises';
import type { JoinOptions, SimStats } from './call-model.ts';
import type { DailySimulatorControl, ParticipantRecordingRequest, SimStateView, SpeechInput } from './control.ts';
import type { SimFaults } from './faults.ts';
import { DailySimError } from './http.ts';
import type { WebhookDelivery } from './webhooks.ts';

/** Drives a simulator running in another process through its /_sim control API. */
export function connectDailySimulator(controlUrl: string): DailySimulatorControl {
  const call = controlCaller(controlUrl, (status, json: { error?: string; info?: string }) => new DailySimError(status, json.error ?? 'unknown-error', json.info ?? ''));
  const done = async (promise: Promise<unknown>) => {
    await promise;
  };
  const id = (sessionId: string) => `/sessions/${encodeURIComponent(sessionId)}`;
  return {
    ensureRoom: (roomName) => done(call('POST', '/rooms', { name: roomName })),
    join: (roomName, options: JoinOptions = {}) => call('POST', `/rooms/${encodeURIComponent(roomName)}/join`, options),
    leave: (sessionId) => done(call('POST', `${id(sessionId)}/leave`)),
    say: async (sessionId, speech: SpeechInput) => {
      // A WAV path names a file on this machine: send its bytes, the simulator may run elsewhere.
      const body = 'text' in speech ? { text: speech.text } : 'wavPath' in speech ? await readFile(speech.wavPath) : speech.audio;
      return call('POST', `${id(sessionId)}/say`, body);
    },
    startRecording: (sessionId, request: ParticipantRecordingRequest) => done(call('POST', `${id(sessionId)}/recordings/start`, request)),
    stopRecording: (sessionId, request: ParticipantRecordingRequest) => done(call('POST', `${id(sessionId)}/recordings/stop`, request)),
    endMeeting: (roomName) => done(call('POST', `/rooms/${encodeURIComponent(roomName)}/end`)),
    clock: () => call('GET', '/clock'),
    advance: (ms) => call('POST', '/clock/advance', { ms }),
    setFaults: (faults: SimFaults) => done(call('PUT', '/faults', faults)),
    failRecording: (instanceId, message) => done(call('POST', '/recordings/fail', { instanceId, message })),
    stats: () => call<SimStats>('GET', '/stats'),
    webhookDeliveries: () => call<WebhookDelivery[]>('GET', '/webhook-deliveries'),
    state: () => call<SimStateView>('GET', '/state'),
    whenIdle: () => done(call('POST', '/idle')),
  };
}

/** Calls a control API: JSON bodies, a Buffer sent as audio/wav; a non-2xx answer becomes `toError`'s error. */
export function controlCaller<E>(controlUrl: string, toError: (status: number, json: E) => Error) {
  const base = controlUrl.replace(/\/+$/, '');
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const isAudio = Buffer.isBuffer(body);
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': isAudio ? 'audio/wav' : 'application/json' },
      body: body === undefined ? undefined : isAudio ? new Uint8Array(body) : JSON.stringify(body),
    });
    const json = (await response.json()) as T & E;
    if (!response.ok) throw toError(response.status, json);
    return json;
  };
}
