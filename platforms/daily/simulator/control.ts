import type { JoinOptions, SimStats } from './call-model.ts';
import type { SimFaults } from './faults.ts';
import type { WebhookDelivery } from './webhooks.ts';

// What a test, a demo script or a browser page can do to a running simulator: act as participants in a
// call (join, leave, speak, start/stop recording as daily-js would), move virtual time, inject faults and
// look inside. The simulator object implements it in-process; connectDailySimulator() implements it over
// the /_sim HTTP API for another process. runScenario() works with either.

export type SpeechInput = { text: string } | { wavPath: string } | { audio: Buffer };

export interface ParticipantRecordingRequest {
  type: 'cloud' | 'cloud-audio-only' | 'raw-tracks';
  instanceId?: string;
}

export interface SimStateView {
  clock: { mode: 'real' | 'virtual'; nowMs: number };
  rooms: Array<{
    name: string;
    url: string;
    meetingId: string | null;
    present: Array<{ sessionId: string; userName: string | null; userId: string | null; owner: boolean }>;
    activeRecordings: Array<{ recordingId: string; instanceId: string; type: string }>;
  }>;
  recordings: Array<{
    id: string;
    instanceId: string;
    type: string;
    roomName: string;
    status: string;
    startedAtMs: number;
    stoppedAtMs: number | null;
    s3key: string;
  }>;
  webhooks: Array<{ uuid: string; url: string; state: string; failedCount: number; retryType: string }>;
}

export interface DailySimulatorControl {
  /** Creates the room (with a recordings bucket, so raw-tracks can start) unless it exists. */
  ensureRoom(roomName: string): Promise<void>;
  join(roomName: string, options?: JoinOptions): Promise<{ sessionId: string; meetingId: string }>;
  leave(sessionId: string): Promise<void>;
  /** Places the speech at the timeline's current instant; it does not move time. */
  say(sessionId: string, speech: SpeechInput): Promise<{ atMs: number; durationMs: number }>;
  /** As daily-js `startRecording()` from this participant: Daily's start semantics and errors. */
  startRecording(sessionId: string, request: ParticipantRecordingRequest): Promise<void>;
  stopRecording(sessionId: string, request: ParticipantRecordingRequest): Promise<void>;
  /** Everyone leaves now; the meeting ends without the reconnection grace. */
  endMeeting(roomName: string): Promise<void>;
  clock(): Promise<{ mode: 'real' | 'virtual'; nowMs: number }>;
  /** Virtual clocks only. */
  advance(ms: number): Promise<{ nowMs: number }>;
  setFaults(faults: SimFaults): Promise<void>;
  /** Fails the instance's running recording now (recording.error), or its next start. */
  failRecording(instanceId: string, message?: string): Promise<void>;
  stats(): Promise<SimStats>;
  webhookDeliveries(): Promise<WebhookDelivery[]>;
  state(): Promise<SimStateView>;
  /** Resolves once no media is being produced and no webhook is queued, in flight or awaiting retry. */
  whenIdle(): Promise<void>;
}
