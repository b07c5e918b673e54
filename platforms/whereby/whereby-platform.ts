import { PlatformApiError } from '../platform.ts';
import type {
  CreateRoomInput,
  CreatedRoom,
  ListRecordingsInput,
  MeetingParticipant,
  ParsedWebhook,
  Platform,
  PlatformRecording,
  RecordingPage,
  StartRecordingResult,
  StopRecordingResult,
  TrackFacts,
  WebhookRequest,
  WebhookVerification,
} from '../platform.ts';
import { WherebyApiError, WherebyClient } from './client.ts';
import type { WherebyRecording, WherebyS3Destination, WherebyStartTrigger } from './client.ts';
import { parseWherebyWebhook, roomNameOf } from './events.ts';
import { WHEREBY_SIGNATURE_HEADER } from './signature.ts';
import { WherebyWebhookVerifier } from './webhooks.ts';
import type { WherebyWebhookRefusal } from './webhooks.ts';

// Whereby behind the seam. A room of ours is one Whereby meeting (POST /meetings, ending at the room's expiry),
// whose cloud recording Whereby writes into our bucket (under `subfolder`, as `[room name]-[ISO start].mkv`). It is
// a composite-only platform: one mixed file, no per-speaker audio. What Whereby does not have, and what this
// adapter answers instead:
// - no REST start or stop of a recording: the meeting's startTrigger starts it (from the room's trigger), or a host
//   in the embed; startRecording/stopRecording throw WherebyNotSupportedError, a PlatformApiError with status 405,
//   which what is above the seam classifies as a refusal never retried (activities/errors.ts);
// - no join tokens: the room URL is the way in, the host URL (CreatedRoom.hostRoomUrl) the owner's; createJoinToken
//   answers '' (nothing to add to the URL);
// - no participant or presence API: getMeetingParticipants and hasOngoingMeeting throw WherebyNotSupportedError
//   (webhooks are the only source of who is in a room);
// - DELETE /meetings takes the meeting id, which the seam does not keep: this adapter remembers the ids of the
//   rooms it created; a room it does not know is left to end at its end date.

export interface WherebyRecordingsDestination {
  /** Our bucket; Whereby writes there with these keys (accessKey), or by assuming RecordingsBucket.assumeRoleArn. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** A folder in the bucket for Whereby's files. Default `whereby`. */
  subfolder?: string;
  /** Default mp4 (what browsers play); Whereby's own default is mkv. */
  fileFormat?: 'mkv' | 'mp4';
}

export interface WherebyPlatformOptions {
  apiKey: string;
  /** Default https://api.whereby.dev/v1. */
  baseUrl?: string;
  webhookSecret: string;
  destination?: WherebyRecordingsDestination;
  /** When the room does not say. Default `automatic-2nd-participant` (the system's default trigger). */
  defaultRecordingTrigger?: WherebyStartTrigger;
  /** How far a webhook's signed `t` may be from our clock. Default 300 s. */
  webhookToleranceSeconds?: number;
  /** Attempts on a 429, the first included (the client waits Retry-After in between). Default 3. */
  maxAttempts?: number;
  maxRetryAfterMs?: number;
}

/** Asked of Whereby something it has no API for; never worth retrying. */
export class WherebyNotSupportedError extends PlatformApiError {
  readonly retryable = false;
  constructor(what: string, instead: string) {
    super(`Whereby has no API to ${what}: ${instead}`, { status: 405, errorType: 'not-supported-by-whereby', info: instead });
    this.name = 'WherebyNotSupportedError';
  }
}

const REASONS: Record<WherebyWebhookRefusal, Extract<WebhookVerification, { ok: false }>['reason']> = {
  'missing-signature': 'missing_signature',
  'malformed-signature': 'bad_signature',
  'bad-signature': 'bad_signature',
  'stale-timestamp': 'stale_timestamp',
  'future-timestamp': 'stale_timestamp',
  replayed: 'replayed',
  'unexpected-content-type': 'unexpected_content_type',
};

const RECORDING_CONTROL = "the meeting's startTrigger starts its recording, or a host's embed (startRecording/stopRecording)";

export class WherebyPlatform implements Platform {
  readonly name = 'whereby';
  readonly roomModes = ['normal', 'group'] as const;
  readonly recordingCapabilities = { composite: true, perSpeakerAudio: 'none', startedBy: 'platform' } as const;
  readonly client: WherebyClient;
  readonly #options: WherebyPlatformOptions;
  readonly #verifier: WherebyWebhookVerifier;
  readonly #subfolder: string;
  /** Room name → Whereby meeting id, for the rooms this process created. */
  readonly #meetingIds = new Map<string, string>();

  constructor(options: WherebyPlatformOptions) {
    this.#options = options;
    this.client = new WherebyClient({
      apiKey: options.apiKey,
      ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.maxRetryAfterMs !== undefined && { maxRetryAfterMs: options.maxRetryAfterMs }),
    });
    this.#verifier = new WherebyWebhookVerifier({ secret: options.webhookSecret, ...(options.webhookToleranceSeconds !== undefined && { toleranceSeconds: options.webhookToleranceSeconds }) });
    this.#subfolder = (options.destination?.subfolder ?? 'whereby').replace(/^\/+|\/+$/g, '');
  }

  /** Where a recording's file is in our bucket. */
  objectKeyOf(filename: string): string {
    return this.#subfolder ? `${this.#subfolder}/${filename}` : filename;
  }

  async createRoom(input: CreateRoomInput): Promise<CreatedRoom> {
    const meeting = await this.client.createMeeting({
      endDate: input.expiresAt.toISOString(),
      roomNamePrefix: roomNamePrefix(input.name),
      roomNamePattern: 'uuid',
      roomMode: input.roomMode ?? 'normal',
      isLocked: input.isLocked ?? false,
      fields: ['hostRoomUrl', 'viewerRoomUrl'],
      recording: {
        type: 'cloud',
        destination: this.#destination(input.recordingsBucket),
        startTrigger: input.recordingTrigger ?? this.#options.defaultRecordingTrigger ?? 'automatic-2nd-participant',
      },
    });
    this.#meetingIds.set(meeting.roomName, meeting.meetingId);
    return { platformRoomName: meeting.roomName, roomUrl: meeting.roomUrl, ...(meeting.hostRoomUrl !== undefined && { hostRoomUrl: meeting.hostRoomUrl }) };
  }

  async deleteRoom(platformRoomName: string): Promise<void> {
    const meetingId = this.#meetingIds.get(platformRoomName);
    if (meetingId === undefined) return;
    try {
      await this.client.deleteMeeting(meetingId);
    } catch (error) {
      if (!(error instanceof WherebyApiError && error.status === 404)) throw error;
    }
    this.#meetingIds.delete(platformRoomName);
  }

  async createJoinToken(): Promise<string> {
    return '';
  }

  async startRecording(): Promise<StartRecordingResult> {
    throw new WherebyNotSupportedError('start a recording', RECORDING_CONTROL);
  }

  async stopRecording(): Promise<StopRecordingResult> {
    throw new WherebyNotSupportedError('stop a recording', RECORDING_CONTROL);
  }

  /** Newest first; Whereby lists finished recordings only. */
  async listRecordings(input: ListRecordingsInput = {}): Promise<RecordingPage> {
    const page = await this.client.listRecordings({
      ...(input.roomName !== undefined && { roomName: input.roomName }),
      ...(input.limit !== undefined && { limit: input.limit }),
      ...(input.startingAfter !== undefined && { cursor: input.startingAfter }),
      sortBy: 'startDate:desc',
    });
    const cursor = page.cursor ?? undefined;
    return { recordings: page.results.map((r) => this.#asRecording(r)), hasMore: cursor !== undefined, ...(cursor !== undefined && { nextCursor: cursor }) };
  }

  async getRecording(recordingId: string): Promise<PlatformRecording | null> {
    try {
      return this.#asRecording(await this.client.getRecording(recordingId));
    } catch (error) {
      if (error instanceof WherebyApiError && error.status === 404) return null;
      throw error;
    }
  }

  async getMeetingParticipants(): Promise<MeetingParticipant[]> {
    throw new WherebyNotSupportedError('list a meeting\'s participants', 'room.client.joined/left webhooks say who came');
  }

  async hasOngoingMeeting(): Promise<boolean> {
    throw new WherebyNotSupportedError('tell whether a room is in use', 'room.session.started/ended webhooks say so');
  }

  verifyWebhook({ rawBody, headers, now }: WebhookRequest): WebhookVerification {
    const verdict = this.#verifier.verify({ rawBody, signature: header(headers, WHEREBY_SIGNATURE_HEADER), contentType: header(headers, 'content-type'), now });
    if (verdict.ok) return { ok: true };
    return { ok: false, reason: REASONS[verdict.refusal], detail: `${verdict.refusal}: ${verdict.detail}` };
  }

  parseWebhook(rawBody: Buffer): ParsedWebhook {
    return parseWherebyWebhook(rawBody, (filename) => this.objectKeyOf(filename));
  }

  /** Whereby records no tracks. */
  describeTrack(): TrackFacts | null {
    return null;
  }

  #destination(bucket: CreateRoomInput['recordingsBucket']): WherebyS3Destination {
    const target = this.#subfolder ? `${bucket.bucketName}/${this.#subfolder}` : bucket.bucketName;
    const fileFormat = this.#options.destination?.fileFormat ?? 'mp4';
    if (bucket.assumeRoleArn) return { provider: 's3', authenticationType: 'roleBased', bucket: target, oidcRoleArn: bucket.assumeRoleArn, fileFormat };
    const { accessKeyId, secretAccessKey } = this.#options.destination ?? {};
    if (!accessKeyId || !secretAccessKey) throw new Error('Whereby needs the bucket\'s access keys (destination.accessKeyId/secretAccessKey) or a role to assume (assumeRoleArn)');
    return { provider: 's3', authenticationType: 'accessKey', bucket: target, accessKeyId, accessKeySecret: secretAccessKey, fileFormat };
  }

  #asRecording(recording: WherebyRecording): PlatformRecording {
    const startedAt = new Date(recording.startDate);
    const endedAt = recording.endDate ? new Date(recording.endDate) : null;
    return {
      id: recording.recordingId,
      roomName: roomNameOf(recording.filename) ?? '',
      startedAt,
      // Whereby lists a recording once its file is stored.
      status: 'finished',
      ...(endedAt && { durationSeconds: Math.max(0, Math.round((endedAt.getTime() - startedAt.getTime()) / 1000)) }),
      objectKey: this.objectKeyOf(recording.filename),
      meetingSessionId: recording.roomSessionId ?? null,
      type: 'cloud',
      tracks: null,
    };
  }
}

/** Our room's name as Whereby takes a prefix (lowercase letters, digits, dashes, at most 39), ending in a dash. */
export function roomNamePrefix(name: string): string {
  const slug = name.toLowerCase().replaceAll(/[^a-z0-9-]+/g, '-').replaceAll(/-+/g, '-').replace(/^-/, '').slice(0, 38).replace(/-$/, '');
  return slug ? `${slug}-` : '';
}

/** Node lowercases incoming header names; other callers may not. */
function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(entry) ? entry[0] : entry;
}
