import type { SpeechInput } from '../../daily/simulator/control.ts';
import type { ApiFaultRule } from '../../daily/simulator/faults.ts';
import type { EgressFaultRule } from './egress.ts';
import type { JoinOptions } from './room-model.ts';
import type { LiveKitWebhookFaultRule, WebhookDelivery } from './webhooks.ts';

// What a test, a demo or a browser page can do to a running LiveKit simulator: act as participants (join,
// publish a microphone, speak, unpublish, reconnect, leave, as livekit-client would), move virtual time,
// inject faults and look inside. The simulator object implements it in-process; connectLiveKitSimulator()
// over the /_sim HTTP API for another process.


export interface LiveKitSimFaults {
  webhooks?: LiveKitWebhookFaultRule[];
  egress?: EgressFaultRule[];
  /** Routes as `Service/Method`, e.g. `Egress/StartTrackEgress`; status 500 answers Twirp `internal`, any other
   * (default 503) `unavailable`. */
  api?: ApiFaultRule[];
}

export interface LiveKitJoinOptions extends Partial<JoinOptions> {
  /** A join token (AccessToken with a roomJoin grant for this room): its identity and name are used. */
  token?: string;
  /** Publish a microphone at once (default true). */
  publishAudio?: boolean;
}

export interface JoinedParticipant {
  participantSid: string;
  identity: string;
  roomSid: string;
  /** The microphone's track sid, when published. */
  trackSid: string | null;
}

export interface LiveKitSimStateView {
  clock: { mode: 'real' | 'virtual'; nowMs: number };
  rooms: Array<{
    sid: string;
    name: string;
    present: Array<{ sid: string; identity: string; name: string; tracks: string[] }>;
  }>;
  egresses: Array<{ egressId: string; kind: string; roomName: string; trackSid: string | null; status: string; filename: string | null }>;
  webhookUrls: string[];
}

export interface LiveKitSimStats {
  /** Twirp calls by `Service/Method`, refused ones included. */
  apiCalls: Record<string, number>;
}

export interface LiveKitSimulatorControl {
  join(roomName: string, options: LiveKitJoinOptions): Promise<JoinedParticipant>;
  publishAudio(participantSid: string): Promise<{ trackSid: string }>;
  unpublish(trackSid: string): Promise<void>;
  /** Places speech on the participant's microphone at the timeline's current instant; time does not move. */
  say(participantSid: string, speech: SpeechInput): Promise<{ atMs: number; durationMs: number }>;
  /** A full reconnection: the participant joins again with the same identity (a new sid, the old one
   * replaced with DUPLICATE_IDENTITY), republishing their microphone. */
  reconnect(participantSid: string): Promise<JoinedParticipant>;
  leave(participantSid: string): Promise<void>;
  clock(): Promise<{ mode: 'real' | 'virtual'; nowMs: number }>;
  advance(ms: number): Promise<{ nowMs: number }>;
  setFaults(faults: LiveKitSimFaults): Promise<void>;
  failEgress(egressId: string, error?: string): Promise<void>;
  limitEgress(egressId: string): Promise<void>;
  setWebhookUrls(urls: string[]): Promise<void>;
  webhookDeliveries(): Promise<WebhookDelivery[]>;
  stats(): Promise<LiveKitSimStats>;
  state(): Promise<LiveKitSimStateView>;
  /** Resolves once no media is being produced and no webhook is queued, in flight or awaiting retry. */
  whenIdle(): Promise<void>;
}

export type { SpeechInput };
