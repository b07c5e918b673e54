import { readFile } from 'node:fs/promises';
import { controlCaller } from '../../daily/simulator/control-client.ts';
import type { SpeechInput } from '../../daily/simulator/control.ts';
import type { LiveKitSimulatorControl } from './control.ts';
import { TwirpError } from './twirp.ts';
import type { TwirpCode } from './twirp.ts';

/** Drives a LiveKit simulator running in another process through its /_sim control API. */
export function connectLiveKitSimulator(controlUrl: string): LiveKitSimulatorControl {
  const call = controlCaller(controlUrl, (_status, json: { code?: TwirpCode; msg?: string }) => new TwirpError(json.code ?? 'unknown', json.msg ?? ''));
  const done = async (promise: Promise<unknown>) => {
    await promise;
  };
  const enc = encodeURIComponent;
  return {
    join: (roomName, options) => call('POST', `/rooms/${enc(roomName)}/join`, options),
    publishAudio: (sid) => call('POST', `/participants/${enc(sid)}/publish`),
    unpublish: (trackSid) => done(call('POST', `/tracks/${enc(trackSid)}/unpublish`)),
    say: async (sid, speech: SpeechInput) => {
      // A WAV path names a file on this machine: send its bytes, the simulator may run elsewhere.
      const body = 'text' in speech ? { text: speech.text } : 'wavPath' in speech ? await readFile(speech.wavPath) : speech.audio;
      return call('POST', `/participants/${enc(sid)}/say`, body);
    },
    reconnect: (sid) => call('POST', `/participants/${enc(sid)}/reconnect`),
    leave: (sid) => done(call('POST', `/participants/${enc(sid)}/leave`)),
    clock: () => call('GET', '/clock'),
    advance: (ms) => call('POST', '/clock/advance', { ms }),
    setFaults: (faults) => done(call('PUT', '/faults', faults)),
    failEgress: (egressId, error) => done(call('POST', `/egress/${enc(egressId)}/fail`, { error })),
    limitEgress: (egressId) => done(call('POST', `/egress/${enc(egressId)}/limit`)),
    setWebhookUrls: (urls) => done(call('PUT', '/webhooks', { urls })),
    webhookDeliveries: () => call('GET', '/webhook-deliveries'),
    stats: () => call('GET', '/stats'),
    state: () => call('GET', '/state'),
    whenIdle: () => done(call('POST', '/idle')),
  };
}
