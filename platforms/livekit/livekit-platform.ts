import { CallNotHostedError } from '../platform.ts';
import type {
  CreateRoomInput,
  CreatedRoom,
  JoinTokenInput,
  ListRecordingsInput,
  MeetingParticipant,
  ParsedWebhook,
  Platform,
  PlatformRecording,
  PublishedTrack,
  RecordingControl,
  RecordingPage,
  StartRecordingResult,
  StopRecordingResult,
  TrackFacts,
  TrackRecorder,
  WebhookRequest,
  WebhookVerification,
} from '../platform.ts';
import { EgressStatus, TrackType } from 'livekit-server-sdk';
import type { EgressInfo, ParticipantInfo } from 'livekit-server-sdk';
import { LiveKitApiError, LiveKitClient } from './client.ts';
import type { LiveKitRecordingsBucket } from './client.ts';
import { parseLiveKitWebhook } from './events.ts';
import { describeLiveKitTrack, egressAsRecording, egressRecordingType } from './recordings.ts';
import { LiveKitWebhookRefused, LiveKitWebhookVerifier, judgeWebhookFreshness } from './webhooks.ts';
import type { LiveKitWebhookRefusal } from './webhooks.ts';

// LiveKit behind the seam, everything through livekit-server-sdk (LiveKitClient). A meeting is one LiveKit room
// session; the composite is a room-composite egress (MP4), and each published microphone is recorded on its own by
// a track egress (OGG/Opus): LiveKit is a per-track platform, the workflow starts a track recording per
// speaker-track.published. What LiveKit does not have, and what this adapter answers instead:
// - no per-room recordings bucket: the bucket (or Egress's own storage) is the platform's, in every egress request;
// - no maximum recording duration in the request: RecordingControl.maxDurationSeconds is ignored (Egress's
//   own session limit, if configured, ends one as LIMIT_REACHED → recording.error);
// - no participant history: getMeetingParticipants answers who is in the room now.

export interface LiveKitPlatformOptions {
  /** The server's URL for the server SDK (https://…, or ws://…, which the SDK turns into http). */
  url: string;
  /** The URL browsers' livekit-client connect to (ws:// or wss://). Default: `url` with http(s) turned into ws(s). */
  clientUrl?: string;
  apiKey: string;
  apiSecret: string;
  /** Where egresses write; absent: each output names no upload, and Egress writes to its own configured storage. */
  bucket?: LiveKitRecordingsBucket;
  /** How old a webhook's createdAt may be. Default 10 minutes (the token's 5 plus LiveKit's retries). */
  webhookToleranceSeconds?: number;
}

/** A room nobody joined closes after this (a join later reopens it: LiveKit creates rooms on join). */
const EMPTY_TIMEOUT_SECONDS = 300;
/** After the last participant left: long enough for the last one's reconnection to find the meeting going on. */
const DEPARTURE_TIMEOUT_SECONDS = 60;
/** Our recordings of a room are under this prefix in the bucket. */
const roomKeyPrefix = (roomName: string) => `livekit/${roomName}`;

const REASONS: Record<LiveKitWebhookRefusal, Extract<WebhookVerification, { ok: false }>['reason']> = {
  'missing-authorization': 'missing_signature',
  'unexpected-content-type': 'unexpected_content_type',
  'malformed-token': 'bad_signature',
  'bad-signature': 'bad_signature',
  'unknown-api-key': 'bad_signature',
  'malformed-body': 'bad_signature',
  expired: 'stale_timestamp',
  'not-yet-valid': 'stale_timestamp',
  'body-tampered': 'body_tampered',
};

const RECORDING: ReadonlySet<EgressStatus> = new Set([EgressStatus.EGRESS_STARTING, EgressStatus.EGRESS_ACTIVE]);

export function liveKitClientUrl(url: string): string {
  return url.replace(/^http(s?):\/\//i, 'ws$1://');
}

export class LiveKitPlatform implements Platform, TrackRecorder {
  readonly name = 'livekit';
  // LiveKit has no small/large room split like Whereby's group rooms.
  readonly roomModes = ['normal'] as const;
  readonly recordingCapabilities = { composite: true, perSpeakerAudio: 'per-track' } as const;
  readonly trackRecorder: TrackRecorder = this;
  readonly client: LiveKitClient;
  readonly clientUrl: string;
  readonly #verifier: LiveKitWebhookVerifier;
  readonly #maxAgeSeconds: number | undefined;

  constructor(options: LiveKitPlatformOptions) {
    this.client = new LiveKitClient({ url: options.url, apiKey: options.apiKey, apiSecret: options.apiSecret }, options.bucket);
    this.clientUrl = options.clientUrl ?? liveKitClientUrl(options.url);
    this.#verifier = new LiveKitWebhookVerifier({ apiKey: options.apiKey, apiSecret: options.apiSecret });
    this.#maxAgeSeconds = options.webhookToleranceSeconds;
  }

  /** The room's recordings bucket is not LiveKit's to know: egresses name ours (LiveKitPlatformOptions.bucket). */
  async createRoom(input: CreateRoomInput): Promise<CreatedRoom> {
    const room = await this.client.createRoom({ name: input.name, emptyTimeoutSeconds: EMPTY_TIMEOUT_SECONDS, departureTimeoutSeconds: DEPARTURE_TIMEOUT_SECONDS });
    return { platformRoomName: room.name, roomUrl: this.clientUrl };
  }

  async deleteRoom(roomName: string): Promise<void> {
    try {
      await this.client.deleteRoom(roomName);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Nobody can join after expiresAt: the token ends then (LiveKit rooms have no expiry of their own). */
  createJoinToken(input: JoinTokenInput): Promise<string> {
    return this.client.joinToken({
      roomName: input.roomName,
      userName: input.userName,
      ...(input.userId !== undefined && { userId: input.userId }),
      isOwner: input.isOwner,
      expiresAt: input.expiresAt,
    });
  }

  /** The composite only (`cloud`); `maxDurationSeconds` is ignored: LiveKit's request has no such field. */
  async startRecording(roomName: string, control: RecordingControl): Promise<StartRecordingResult> {
    if (control.type !== 'cloud') {
      throw new Error(`LiveKit records each speaker with its own track egress (trackRecorder), not a ${control.type} recording of the room`);
    }
    // An egress of an empty room records nothing but waits; the workflow retries until someone is in it.
    const participants = await this.#participantsOrNull(roomName);
    if (!participants || participants.length === 0) throw new CallNotHostedError(roomName);
    if ((await this.#activeComposites(roomName)).length > 0) return 'already-active';
    try {
      await this.client.startCompositeEgress({ roomName, keyPrefix: roomKeyPrefix(roomName) });
    } catch (error) {
      // The room finished between the look and the start.
      if (isNotFound(error)) throw new CallNotHostedError(roomName, { cause: error });
      throw error;
    }
    return 'started';
  }

  async stopRecording(roomName: string, control: RecordingControl): Promise<StopRecordingResult> {
    if (control.type !== 'cloud') return 'not-active';
    const active = await this.#activeComposites(roomName);
    const stopped = await Promise.all(active.map((egress) => this.stopTrackRecording(egress.egressId)));
    return stopped.includes('stopped') ? 'stopped' : 'not-active';
  }

  async publishedAudioTracks(roomName: string): Promise<PublishedTrack[]> {
    const participants = (await this.#participantsOrNull(roomName)) ?? [];
    return participants.flatMap((p) => p.tracks.filter((t) => t.type === TrackType.AUDIO).map((t) => ({ trackId: t.sid, sessionId: p.sid })));
  }

  async startTrackRecording(roomName: string, track: PublishedTrack): Promise<{ recordingId: string }> {
    const egress = await this.client.startTrackEgress({ roomName, trackSid: track.trackId, participantSid: track.sessionId, keyPrefix: roomKeyPrefix(roomName) });
    return { recordingId: egress.egressId };
  }

  /** Also the composite's stop: an egress is an egress. */
  async stopTrackRecording(recordingId: string): Promise<StopRecordingResult> {
    try {
      await this.client.stopEgress(recordingId);
      return 'stopped';
    } catch (error) {
      // failed_precondition: it is ending or has ended (its track went away, the room finished).
      if (error instanceof LiveKitApiError && (error.code === 'failed_precondition' || error.code === 'not_found')) return 'not-active';
      throw error;
    }
  }

  /** Newest first, all of them: ListEgress has no page size, so there is never a next page. */
  async listRecordings(input: ListRecordingsInput = {}): Promise<RecordingPage> {
    const egresses = await this.client.listEgress(input.roomName);
    const recordings = egresses.map(egressAsRecording).sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
    return { recordings, hasMore: false };
  }

  async getRecording(recordingId: string): Promise<PlatformRecording | null> {
    try {
      const egress = await this.client.getEgress(recordingId);
      return egress ? egressAsRecording(egress) : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * LiveKit keeps no participant history: for the room (its name: that is what a LiveKit meeting is found by)
   * the sessions present now, while it is live, else none. Their durations run until now.
   */
  async getMeetingParticipants(roomName: string): Promise<MeetingParticipant[]> {
    const participants = (await this.#participantsOrNull(roomName)) ?? [];
    const now = Date.now();
    return participants.map((p) => {
      const joinedAt = new Date(p.joinedAtMs > 0n ? Number(p.joinedAtMs) : Number(p.joinedAt) * 1000);
      return {
        sessionId: p.sid,
        userId: p.identity || null,
        userName: p.name || null,
        joinedAt,
        durationSeconds: Math.max(0, Math.round((now - joinedAt.getTime()) / 1000)),
      };
    });
  }

  async hasOngoingMeeting(roomName: string): Promise<boolean> {
    return ((await this.#participantsOrNull(roomName))?.length ?? 0) > 0;
  }

  /**
   * The SDK's WebhookReceiver (signature, token times, body checksum), then the createdAt window. A duplicate (same
   * event id) is not refused here: the webhook table's unique event id catches it.
   */
  async verifyWebhook({ rawBody, headers, now }: WebhookRequest): Promise<WebhookVerification> {
    let event;
    try {
      event = await this.#verifier.verify({ rawBody, authorization: header(headers, 'authorization'), contentType: header(headers, 'content-type') });
    } catch (error) {
      if (!(error instanceof LiveKitWebhookRefused)) throw error;
      return { ok: false, reason: REASONS[error.refusal], detail: error.refusal };
    }
    const freshness = judgeWebhookFreshness(event, { now, seenEventIds: new Set() }, { ...(this.#maxAgeSeconds !== undefined && { maxAgeSeconds: this.#maxAgeSeconds }) });
    if (freshness === 'fresh' || freshness === 'duplicate') return { ok: true };
    return { ok: false, reason: 'stale_timestamp', detail: `${freshness}: created ${new Date(Number(event.createdAt) * 1000).toISOString()}` };
  }

  parseWebhook(rawBody: Buffer): ParsedWebhook {
    return parseLiveKitWebhook(rawBody);
  }

  describeTrack(key: string): TrackFacts | null {
    return describeLiveKitTrack(key);
  }

  /** Null when LiveKit has no such room (never created, or finished). */
  async #participantsOrNull(roomName: string): Promise<ParticipantInfo[] | null> {
    try {
      return await this.client.listParticipants(roomName);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Starting or recording; one ENDING (stopped, uploading) no longer counts: a new one may start beside it. */
  async #activeComposites(roomName: string): Promise<EgressInfo[]> {
    const active = await this.client.listEgress(roomName, { activeOnly: true });
    return active.filter((egress) => egressRecordingType(egress) === 'cloud' && RECORDING.has(egress.status));
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof LiveKitApiError && (error.code === 'not_found' || error.status === 404);
}

/** Node lowercases incoming header names; other callers may not. */
function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(entry) ? entry[0] : entry;
}
