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
  RecordingControl,
  RecordingPage,
  StartRecordingResult,
  StopRecordingResult,
  WebhookRequest,
  WebhookVerification,
  TrackFacts,
} from '../platform.ts';
import type { DailyRecording } from './api-schemas.ts';
import { DailyApiError, DailyClient } from './client.ts';
import type { DailyClientOptions } from './client.ts';
import { parseDailyWebhook } from './events.ts';
import { describeDailyTrack, inferRecordingType, normalizeDailyTracks, secondsToDate } from './recordings.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyDailySignature } from './signature.ts';

export interface DailyPlatformOptions extends DailyClientOptions {
  /** The webhook's base64 `hmac` secret. */
  webhookSecret: string;
  /** Accepted distance between X-Webhook-Timestamp and now. Default 5 minutes (Daily itself has no replay defence). */
  webhookToleranceSeconds?: number;
}

const PARTICIPANTS_PAGE_SIZE = 100;

export class DailyPlatform implements Platform {
  readonly name = 'daily';
  // Daily has no small/large room split like Whereby's group rooms: every room takes the same participants.
  readonly roomModes = ['normal'] as const;
  readonly recordingCapabilities = { composite: true, perSpeakerAudio: 'with-composite' } as const;
  readonly client: DailyClient;
  readonly #webhookSecret: string;
  readonly #toleranceMs: number;

  constructor(options: DailyPlatformOptions) {
    this.client = new DailyClient(options);
    this.#webhookSecret = options.webhookSecret;
    this.#toleranceMs = (options.webhookToleranceSeconds ?? 300) * 1000;
  }

  async createRoom(input: CreateRoomInput): Promise<CreatedRoom> {
    const { bucketName, bucketRegion, assumeRoleArn } = input.recordingsBucket;
    // enable_recording stays unset: both recordings are started over REST, and setting it would allow one at a time.
    const room = await this.client.createRoom({
      name: input.name,
      privacy: 'private',
      properties: {
        exp: Math.floor(input.expiresAt.getTime() / 1000),
        recordings_bucket: {
          bucket_name: bucketName,
          bucket_region: bucketRegion,
          ...(assumeRoleArn !== undefined && { assume_role_arn: assumeRoleArn }),
          allow_api_access: true,
        },
      },
    });
    return { platformRoomName: room.name, roomUrl: room.url };
  }

  async deleteRoom(name: string): Promise<void> {
    try {
      await this.client.deleteRoom(name);
    } catch (error) {
      if (!(error instanceof DailyApiError && error.status === 404)) throw error;
    }
  }

  createJoinToken(input: JoinTokenInput): Promise<string> {
    return this.client.createMeetingToken({
      room_name: input.roomName,
      user_name: input.userName,
      ...(input.userId !== undefined && { user_id: input.userId }),
      is_owner: input.isOwner,
      exp: Math.floor(input.expiresAt.getTime() / 1000),
    });
  }

  async startRecording(roomName: string, control: RecordingControl): Promise<StartRecordingResult> {
    try {
      await this.client.startRecording(roomName, {
        type: control.type, instanceId: control.instanceId, ...(control.maxDurationSeconds !== undefined && { maxDuration: control.maxDurationSeconds }),
      });
      return 'started';
    } catch (error) {
      if (!(error instanceof DailyApiError)) throw error;
      // Another participant's (or a retried) start got there first: the stream we want is running.
      if (error.info.includes('has an active stream')) return 'already-active';
      if (error.status === 404 && error.info.includes('does not seem to be hosting a call')) {
        throw new CallNotHostedError(roomName, { cause: error });
      }
      throw error;
    }
  }

  async stopRecording(roomName: string, control: RecordingControl): Promise<StopRecordingResult> {
    try {
      await this.client.stopRecording(roomName, { type: control.type, instanceId: control.instanceId });
      return 'stopped';
    } catch (error) {
      // 400 is Daily's documented "no recording is active"; 404 when it already stopped on its own (idle, room gone).
      if (error instanceof DailyApiError && (error.status === 404 || error.errorType === 'invalid-request-error')) {
        return 'not-active';
      }
      throw error;
    }
  }

  async listRecordings(input: ListRecordingsInput = {}): Promise<RecordingPage> {
    const limit = input.limit ?? 100;
    const page = await this.client.listRecordings({
      limit,
      ...(input.startingAfter !== undefined && { starting_after: input.startingAfter }),
      ...(input.roomName !== undefined && { room_name: input.roomName }),
    });
    const recordings = page.data.map(toPlatformRecording);
    // A full page may be the last one; the next call then returns an empty page.
    const hasMore = recordings.length === limit;
    const last = recordings.at(-1);
    return { recordings, hasMore, ...(hasMore && last && { nextCursor: last.id }) };
  }

  async getRecording(id: string): Promise<PlatformRecording | null> {
    try {
      return toPlatformRecording(await this.client.getRecording(id));
    } catch (error) {
      if (error instanceof DailyApiError && error.status === 404) return null;
      throw error;
    }
  }

  async hasOngoingMeeting(roomName: string): Promise<boolean> {
    const page = await this.client.listMeetings({ room: roomName, ongoing: true, limit: 1 });
    return page.data.some((meeting) => meeting.room === roomName && meeting.ongoing);
  }

  async getMeetingParticipants(meetingSessionId: string): Promise<MeetingParticipant[]> {
    const participants: MeetingParticipant[] = [];
    for (let cursor: string | undefined; ; ) {
      let page;
      try {
        page = await this.client.getMeetingParticipants(meetingSessionId, {
          limit: PARTICIPANTS_PAGE_SIZE,
          ...(cursor !== undefined && { joined_after: cursor }),
        });
      } catch (error) {
        // Daily's end of pagination is a 404, not an empty page.
        if (error instanceof DailyApiError && error.status === 404) return participants;
        throw error;
      }
      if (page.data.length === 0) return participants;
      for (const p of page.data) {
        participants.push({
          sessionId: p.participant_id,
          userId: p.user_id,
          userName: p.user_name,
          joinedAt: secondsToDate(p.join_time),
          durationSeconds: p.duration,
        });
      }
      cursor = page.data.at(-1)!.participant_id;
    }
  }

  verifyWebhook({ rawBody, headers, now }: WebhookRequest): WebhookVerification {
    const signature = header(headers, SIGNATURE_HEADER);
    const timestamp = header(headers, TIMESTAMP_HEADER);
    if (!signature || !timestamp) return { ok: false, reason: 'missing_signature' };
    const sentAtMs = Number(timestamp) * 1000;
    if (!/^\d+(\.\d+)?$/.test(timestamp) || Math.abs(now.getTime() - sentAtMs) > this.#toleranceMs) {
      return { ok: false, reason: 'stale_timestamp' };
    }
    const valid = verifyDailySignature({ secretBase64: this.#webhookSecret, timestamp, rawBody, signature });
    return valid ? { ok: true } : { ok: false, reason: 'bad_signature' };
  }

  parseWebhook(rawBody: Buffer): ParsedWebhook {
    return parseDailyWebhook(rawBody);
  }

  describeTrack(key: string): TrackFacts | null {
    return describeDailyTrack(key);
  }
}

function toPlatformRecording(recording: DailyRecording): PlatformRecording {
  const tracks = normalizeDailyTracks(recording.tracks);
  return {
    id: recording.id,
    roomName: recording.room_name,
    startedAt: secondsToDate(recording.start_ts),
    status: recording.status,
    ...(recording.duration != null && { durationSeconds: recording.duration }),
    objectKey: recording.s3key ?? '',
    meetingSessionId: recording.mtgSessionId ?? null,
    type: inferRecordingType(undefined, recording.tracks),
    tracks: tracks && tracks.length > 0 ? tracks : null,
    ...(recording.max_participants !== undefined && { maxParticipants: recording.max_participants }),
  };
}

/** Node lowercases incoming header names; other callers may not. */
function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(entry) ? entry[0] : entry;
}
