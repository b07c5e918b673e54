import type { SpeechInput } from '../../daily/simulator/control.ts';
import type { ApiFaultRule } from '../../daily/simulator/faults.ts';
import type { HmsWebhookConfig, HmsWebhookDelivery, HmsWebhookFaultRule } from './webhooks.ts';

// What a test, a demo or a browser page can do to a running 100ms simulator: act as peers (join with an app
// token or by name, speak, leave, as the browser SDK would), move virtual time, inject faults (a recording
// failing, webhooks dropped or delayed, REST calls refused) and look inside. The simulator implements it
// in-process; connectHmsSimulator() over the /_sim HTTP API for another process.

export interface HmsSimFaults {
  webhooks?: HmsWebhookFaultRule[];
  /** Routes as `METHOD /pattern`, e.g. `POST /recordings/room/:id/start`; default status 503. */
  api?: ApiFaultRule[];
}

export interface HmsJoinOptions {
  /** An app token (type "app") for this room: its user_id and role are the peer's. */
  token?: string;
  /** Without a token: the peer's name, user id and role (default "guest"). */
  name?: string;
  userId?: string;
  role?: string;
  metadata?: string;
  /** espeak-ng voice for `say`. */
  voice?: string;
}

export interface JoinedPeer {
  peerId: string;
  sessionId: string;
  roomId: string;
  role: string;
  userId: string;
}

export interface HmsSimStateView {
  clock: { mode: 'real' | 'virtual'; nowMs: number };
  rooms: Array<{ id: string; name: string; enabled: boolean; sessionId: string | null; present: Array<{ peerId: string; name: string; userId: string; role: string }> }>;
  recordings: Array<{ id: string; roomId: string; sessionId: string; status: string; beam: boolean; assets: Array<{ type: string; path: string; size: number }> }>;
  webhook: { url: string | null; headerNames: string[] };
}

export interface HmsSimStats {
  /** REST calls by `METHOD /pattern`, refused ones included. */
  apiCalls: Record<string, number>;
}

export interface HmsSimulatorControl {
  /** A room of that name, made as the dashboard makes one (the existing one when there is). */
  ensureRoom(name: string, templateId?: string): Promise<{ roomId: string }>;
  join(roomId: string, options: HmsJoinOptions): Promise<JoinedPeer>;
  /** Places speech on the peer's microphone at the timeline's current instant; time does not move. */
  say(peerId: string, speech: SpeechInput): Promise<{ atMs: number; durationMs: number }>;
  leave(peerId: string): Promise<void>;
  clock(): Promise<{ mode: 'real' | 'virtual'; nowMs: number }>;
  advance(ms: number): Promise<{ nowMs: number }>;
  setFaults(faults: HmsSimFaults): Promise<void>;
  failRecording(recordingId: string, message?: string): Promise<void>;
  /** The webhook's URL and its secret headers (as the dashboard's webhook settings). */
  configureWebhook(config: HmsWebhookConfig): Promise<void>;
  /** How long presigned links made from now on work. */
  setPresignedUrlTtl(seconds: number): Promise<void>;
  webhookDeliveries(): Promise<HmsWebhookDelivery[]>;
  stats(): Promise<HmsSimStats>;
  state(): Promise<HmsSimStateView>;
  /** Resolves once no media is being produced and no webhook is queued, in flight or awaiting retry. */
  whenIdle(): Promise<void>;
}

export type { SpeechInput };
