import { readFile } from 'node:fs/promises';
import { controlCaller } from '../../daily/simulator/control-client.ts';
import type { SpeechInput } from '../../daily/simulator/control.ts';
import { HmsSimError } from './auth.ts';
import type { HmsSimulatorControl } from './control.ts';

/** Drives a 100ms simulator running in another process through its /_sim control API. */
export function connectHmsSimulator(controlUrl: string): HmsSimulatorControl {
  const call = controlCaller(controlUrl, (status, json: { message?: string; details?: string[] }) => new HmsSimError(status, json.message ?? '', json.details ?? []));
  const done = async (promise: Promise<unknown>) => {
    await promise;
  };
  const enc = encodeURIComponent;
  return {
    ensureRoom: (name, templateId) => call('POST', '/rooms', { name, ...(templateId && { templateId }) }),
    join: (roomId, options) => call('POST', `/rooms/${enc(roomId)}/join`, options),
    say: async (peerId, speech: SpeechInput) => {
      // A WAV path names a file on this machine: send its bytes, the simulator may run elsewhere.
      const body = 'text' in speech ? { text: speech.text } : 'wavPath' in speech ? await readFile(speech.wavPath) : speech.audio;
      return call('POST', `/peers/${enc(peerId)}/say`, body);
    },
    leave: (peerId) => done(call('POST', `/peers/${enc(peerId)}/leave`)),
    clock: () => call('GET', '/clock'),
    advance: (ms) => call('POST', '/clock/advance', { ms }),
    setFaults: (faults) => done(call('PUT', '/faults', faults)),
    failRecording: (recordingId, message) => done(call('POST', `/recordings/${enc(recordingId)}/fail`, { message })),
    configureWebhook: (config) => done(call('PUT', '/webhook', config)),
    setPresignedUrlTtl: (seconds) => done(call('PUT', '/presigned-url-ttl', { seconds })),
    webhookDeliveries: () => call('GET', '/webhook-deliveries'),
    stats: () => call('GET', '/stats'),
    state: () => call('GET', '/state'),
    whenIdle: () => done(call('POST', '/idle')),
  };
}
