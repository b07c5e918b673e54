import { readFile } from 'node:fs/promises';
import { controlCaller } from '../../daily/simulator/control-client.ts';
import type { SpeechInput } from '../../daily/simulator/control.ts';
import type { WherebySimulatorControl } from './control.ts';
import { WherebySimError } from './errors.ts';

/** Drives a Whereby simulator running in another process through its /_sim control API. */
export function connectWherebySimulator(controlUrl: string): WherebySimulatorControl {
  const call = controlCaller(controlUrl, (status, json: { error?: string }) => new WherebySimError(status, json.error ?? ''));
  const done = async (promise: Promise<unknown>) => {
    await promise;
  };
  const participant = (id: string) => `/participants/${encodeURIComponent(id)}`;
  return {
    join: (input) => call('POST', '/join', input),
    say: async (id, speech: SpeechInput) => {
      // A WAV path names a file on this machine: send its bytes, the simulator may run elsewhere.
      const body = 'text' in speech ? { text: speech.text } : 'wavPath' in speech ? await readFile(speech.wavPath) : speech.audio;
      return call('POST', `${participant(id)}/say`, body);
    },
    leave: (id) => done(call('POST', `${participant(id)}/leave`)),
    startRecording: (id) => done(call('POST', `${participant(id)}/recording/start`)),
    stopRecording: (id) => done(call('POST', `${participant(id)}/recording/stop`)),
    clock: () => call('GET', '/clock'),
    advance: (ms) => call('POST', '/clock/advance', { ms }),
    setFaults: (faults) => done(call('PUT', '/faults', faults)),
    setWebhookUrls: (urls) => done(call('PUT', '/webhooks', { urls })),
    webhookDeliveries: () => call('GET', '/webhook-deliveries'),
    stats: () => call('GET', '/stats'),
    state: () => call('GET', '/state'),
    whenIdle: () => done(call('POST', '/idle')),
  };
}
