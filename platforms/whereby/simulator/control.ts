import type { SpeechInput } from '../../daily/simulator/control.ts';
import type { ApiFaultRule } from '../../daily/simulator/faults.ts';
import type { JoinInput, RoleName } from './meetings.ts';
import type { WherebyWebhookDelivery, WherebyWebhookFaultRule } from './webhooks.ts';

// What a test, a demo or a browser page can do to a running Whereby simulator: act as participants of the embed
// (join by a room URL, speak, start or stop the recording as a host, leave), move virtual time, inject faults and
// look inside. The simulator implements it in-process; connectWherebySimulator() over /_sim for another process.

export interface WherebySimFaults {
  webhooks?: WherebyWebhookFaultRule[];
  /** Route keys as `POST /meetings`, `GET /recordings/:id`; answers `status` (default 503). */
  api?: ApiFaultRule[];
}

export interface JoinedClient {
  participantId: string;
  roleName: RoleName;
  meetingId: string;
  roomName: string;
  roomSessionId: string;
}

export interface WherebySimStateView {
  clock: { mode: 'real' | 'virtual'; nowMs: number };
  meetings: Array<{
    meetingId: string;
    roomName: string;
    endDate: string;
    startTrigger: string;
    recordingType: string;
    present: Array<{ participantId: string; displayName: string; roleName: RoleName }>;
    recording: boolean;
  }>;
  recordings: Array<{ recordingId: string; roomName: string; filename: string; key: string; status: string }>;
  webhookUrls: string[];
}

export interface WherebySimStats {
  /** REST calls per route key, refused ones included. */
  apiCalls: Record<string, number>;
}

export interface WherebySimulatorControl {
  join(input: JoinInput): Promise<JoinedClient>;
  /** Places speech on the participant's microphone at the timeline's current instant; time does not move. */
  say(participantId: string, speech: SpeechInput): Promise<{ atMs: number; durationMs: number }>;
  leave(participantId: string): Promise<void>;
  /** The embed's startRecording(), by a host. */
  startRecording(participantId: string): Promise<void>;
  stopRecording(participantId: string): Promise<void>;
  clock(): Promise<{ mode: 'real' | 'virtual'; nowMs: number }>;
  advance(ms: number): Promise<{ nowMs: number }>;
  setFaults(faults: WherebySimFaults): Promise<void>;
  setWebhookUrls(urls: string[]): Promise<void>;
  webhookDeliveries(): Promise<WherebyWebhookDelivery[]>;
  stats(): Promise<WherebySimStats>;
  state(): Promise<WherebySimStateView>;
  /** Resolves once no media is being written and no webhook is queued, in flight or awaiting retry. */
  whenIdle(): Promise<void>;
}

export type { JoinInput, SpeechInput };
