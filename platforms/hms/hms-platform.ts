import { randomBytes } from 'node:crypto';
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
  RecordingCapabilities,
  RecordingControl,
  RecordingFileLink,
  RecordingFileRef,
  RecordingPage,
  StartRecordingResult,
  StopRecordingResult,
  TrackFacts,
  TrackRecorder,
  WebhookRequest,
  WebhookVerification,
} from '../platform.ts';
import { HmsApiError, HmsClient } from './client.ts';
import type { HmsClientOptions } from './client.ts';
import { parseHmsWebhook } from './events.ts';
import { describeHmsTrack, hmsAsRecording, hmsObjectKey, sfuRecordingId } from './recordings.ts';
import { verifyHmsWebhook } from './webhooks.ts';
import type { HmsWebhookRefusal } from './webhooks.ts';

// 100ms behind the seam, over its REST API (HmsClient). A meeting's room is a 100ms room (named by its id, what
// every call and webhook takes), a meeting one of its sessions, a participant session a peer. The composite is a
// beam recording started and stopped through the API (host-controlled: it needs a running session); where the
// room's template records each microphone (track recording), the platform is per-track. What 100ms does not have,
// and what this adapter answers instead:
// - rooms are never deleted: deleteRoom disables the room (nobody can join; a live session ends);
// - no recordings bucket in the request: 100ms writes into its own storage (or the dashboard's bucket) and every
//   recording.ready carries `download`, a presigned link that expires; recordingFileLink gets a fresh one when the
//   recording workflow copies the file into ours;
// - no maximum recording duration in the request: RecordingControl.maxDurationSeconds is ignored;
// - track recordings start and stop with their peer, by the template, not by a call: startTrackRecording names the
//   recording the template is making (its peer id), stopTrackRecording has nothing to stop.

export interface HmsPlatformOptions extends HmsClientOptions {
  /** The template new rooms are made from; absent: the app's default template. */
  templateId?: string;
  /** Whether that template records each peer's microphone (track recording): then per-speaker audio is per-track. */
  templateRecordsTracks: boolean;
  /** Roles of the template our app tokens give: the owner's and everyone else's. Default `host` and `guest`. */
  hostRole?: string;
  guestRole?: string;
  /** The page a beam records; absent: the template's own composite page. */
  meetingUrl?: string;
  /** The secret headers configured with the app's webhook at 100ms (at least one: 100ms signs nothing). */
  webhookHeaders: Record<string, string>;
  /** How old a webhook's timestamp may be. Default 5 minutes. */
  webhookToleranceSeconds?: number;
}

const REASONS: Record<HmsWebhookRefusal, Extract<WebhookVerification, { ok: false }>['reason']> = {
  'missing-secret-header': 'missing_signature',
  'wrong-secret-header': 'bad_signature',
  'unexpected-content-type': 'unexpected_content_type',
  'malformed-body': 'bad_signature',
  stale: 'stale_timestamp',
  'from-the-future': 'stale_timestamp',
};

export class HmsPlatform implements Platform {
  readonly name = '100ms';
  // 100ms has no small/large room split like Whereby's group rooms.
  readonly roomModes = ['normal'] as const;
  readonly recordingCapabilities: RecordingCapabilities;
  readonly trackRecorder?: TrackRecorder;
  readonly client: HmsClient;
  readonly #options: HmsPlatformOptions;
  readonly #hostRole: string;
  readonly #guestRole: string;

  constructor(options: HmsPlatformOptions) {
    if (Object.keys(options.webhookHeaders).length === 0) throw new Error('100ms signs no webhook: configure at least one secret webhook header');
    this.#options = options;
    this.#hostRole = options.hostRole ?? 'host';
    this.#guestRole = options.guestRole ?? 'guest';
    this.client = new HmsClient(options);
    this.recordingCapabilities = { composite: true, perSpeakerAudio: options.templateRecordsTracks ? 'per-track' : 'none' };
    if (options.templateRecordsTracks) this.trackRecorder = new TemplateTrackRecorder(this.client);
  }

  /** 100ms's create is an upsert by name: a name used before answers that room (the meeting's names are unique). */
  async createRoom(input: CreateRoomInput): Promise<CreatedRoom> {
    const room = await this.client.createRoom({ name: input.name, ...(this.#options.templateId && { templateId: this.#options.templateId }) });
    // The browser SDK joins with the app token alone: a 100ms room has no URL of its own.
    return { platformRoomName: room.id, roomUrl: `100ms:${room.id}` };
  }

  async deleteRoom(roomId: string): Promise<void> {
    try {
      await this.client.setRoomEnabled(roomId, false);
    } catch (error) {
      if (!(error instanceof HmsApiError && error.status === 404)) throw error;
    }
  }

  /** An app token; the owner gets the host role (who may start and stop the recording from the browser). */
  createJoinToken(input: JoinTokenInput): Promise<string> {
    return this.client.appToken({
      roomId: input.roomName,
      userId: input.userId ?? `guest-${randomBytes(6).toString('hex')}`,
      role: input.isOwner ? this.#hostRole : this.#guestRole,
      expiresAt: input.expiresAt,
    });
  }

  /** The composite (`cloud`): a beam recording. 409 (one is running) is `already-active`; nobody in the room is CallNotHostedError. */
  async startRecording(roomId: string, control: RecordingControl): Promise<StartRecordingResult> {
    if (control.type !== 'cloud') throw new Error(`100ms records each speaker by its template's track recording, not a ${control.type} recording of the room`);
    try {
      await this.client.startRecording(roomId, { ...(this.#options.meetingUrl && { meetingUrl: this.#options.meetingUrl }) });
      return 'started';
    } catch (error) {
      if (error instanceof HmsApiError && error.status === 409) return 'already-active';
      if (error instanceof HmsApiError && error.status === 404 && (await this.#roomExists(roomId))) throw new CallNotHostedError(roomId, { cause: error });
      throw error;
    }
  }

  async stopRecording(roomId: string, control: RecordingControl): Promise<StopRecordingResult> {
    if (control.type !== 'cloud') return 'not-active';
    try {
      const stopped = await this.client.stopRoomRecordings(roomId);
      return stopped.length > 0 ? 'stopped' : 'not-active';
    } catch (error) {
      if (error instanceof HmsApiError && error.status === 404) return 'not-active';
      throw error;
    }
  }

  /** Newest first, a page at a time (100ms's `start` cursor). */
  async listRecordings(input: ListRecordingsInput = {}): Promise<RecordingPage> {
    const page = await this.client.listRecordings({ ...(input.roomName && { roomId: input.roomName }), ...(input.limit && { limit: input.limit }), ...(input.startingAfter && { start: input.startingAfter }) });
    return { recordings: page.data.map(hmsAsRecording), hasMore: page.last !== '', ...(page.last && { nextCursor: page.last }) };
  }

  /** A beam recording by its id; an SFU or track recording's id (see recordings.ts) is not one the API can get. */
  async getRecording(recordingId: string): Promise<PlatformRecording | null> {
    if (recordingId.startsWith(sfuRecordingId(''))) return null;
    try {
      return hmsAsRecording(await this.client.getRecording(recordingId));
    } catch (error) {
      if (error instanceof HmsApiError && (error.status === 404 || error.status === 400)) return null;
      throw error;
    }
  }

  /** The session's peers, each join its own, from 100ms's session history. */
  async getMeetingParticipants(sessionId: string): Promise<MeetingParticipant[]> {
    const session = await this.client.getSession(sessionId);
    const now = Date.now();
    return Object.values(session.peers).map((peer) => {
      const joinedAt = new Date(peer.joined_at);
      const leftAt = peer.left_at ? new Date(peer.left_at).getTime() : now;
      return { sessionId: peer.id, userId: peer.user_id || null, userName: peer.name || null, joinedAt, durationSeconds: Math.max(0, Math.round((leftAt - joinedAt.getTime()) / 1000)) };
    });
  }

  async hasOngoingMeeting(roomId: string): Promise<boolean> {
    const active = await this.client.activeRoom(roomId);
    return active !== null && Object.keys(active.session.peers).length > 0;
  }

  verifyWebhook({ rawBody, headers, now }: WebhookRequest): WebhookVerification {
    const verdict = verifyHmsWebhook(
      { rawBody, headers, now },
      { secretHeaders: this.#options.webhookHeaders, ...(this.#options.webhookToleranceSeconds !== undefined && { maxAgeSeconds: this.#options.webhookToleranceSeconds }) },
    );
    return verdict.ok ? { ok: true } : { ok: false, reason: REASONS[verdict.refusal], detail: `${verdict.refusal}: ${verdict.detail}` };
  }

  parseWebhook(rawBody: Buffer): ParsedWebhook {
    return parseHmsWebhook(rawBody, { hostRole: this.#hostRole });
  }

  describeTrack(key: string): TrackFacts | null {
    return describeHmsTrack(key);
  }

  /** The asset of that key among the room's recordings (a track recording's id is its peer's, not one the API
   * gets), and a fresh presigned link to it from /v2/recording-assets/<id>/presigned-url. */
  async recordingFileLink(file: RecordingFileRef): Promise<RecordingFileLink | null> {
    let start: string | undefined;
    do {
      const page = await this.client.listRecordings({ roomId: file.platformRoomName, limit: 100, ...(start && { start }) });
      const asset = page.data.flatMap((r) => r.recording_assets ?? []).find((a) => hmsObjectKey(a.path) === file.key);
      if (asset) {
        const link = await this.client.assetDownloadUrl(asset.id);
        return { url: link.url, expiresAt: new Date(Date.now() + link.expiry * 1000), ...(asset.size > 0 && { size: asset.size }) };
      }
      start = page.last || undefined;
    } while (start);
    return null;
  }

  async #roomExists(roomId: string): Promise<boolean> {
    try {
      await this.client.getRoom(roomId);
      return true;
    } catch (error) {
      if (error instanceof HmsApiError && error.status === 404) return false;
      throw error;
    }
  }
}

/** The template records every peer's microphone from join to leave; a peer's track recording is named by the peer. */
class TemplateTrackRecorder implements TrackRecorder {
  readonly #client: HmsClient;

  constructor(client: HmsClient) {
    this.#client = client;
  }

  async publishedAudioTracks(roomId: string): Promise<PublishedTrack[]> {
    const active = await this.#client.activeRoom(roomId);
    return active ? Object.values(active.session.peers).map((peer) => ({ trackId: peer.id, sessionId: peer.id })) : [];
  }

  async startTrackRecording(_roomId: string, track: PublishedTrack): Promise<{ recordingId: string }> {
    return { recordingId: track.sessionId };
  }

  /** The template stops it as the peer leaves. */
  async stopTrackRecording(): Promise<StopRecordingResult> {
    return 'not-active';
  }
}
