import { randomBytes } from 'node:crypto';
import {
  AccessToken,
  DirectFileOutput,
  EgressClient,
  EncodedFileOutput,
  EncodedFileType,
  RoomServiceClient,
  S3Upload,
  TwirpError,
} from 'livekit-server-sdk';
import type { EgressInfo, ParticipantInfo, Room } from 'livekit-server-sdk';
import { PlatformApiError } from '../platform.ts';
import { participantMetadata } from './events.ts';
import { liveKitRecordingKeys } from './recordings.ts';

// LiveKit's server API through its own SDK (RoomServiceClient, EgressClient, AccessToken): no HTTP of ours.
// Every failure comes out as a LiveKitApiError that says once whether retrying can help.
//
// Where recordings go: see liveKitRecordingKeys (recordings.ts).
export { liveKitRecordingKeys };

export interface LiveKitCredentials {
  /** The server's URL (https://… or ws://…; the SDK turns ws into http). */
  url: string;
  apiKey: string;
  apiSecret: string;
}

/** The product's bucket, which Egress writes into with these credentials. Without one, each output names no
 * upload and Egress writes into the storage it is configured with (its own `storage` setting). */
export interface LiveKitRecordingsBucket {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint; addressed path-style. */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Twirp codes (and transport failures) where the same call may succeed later. */
const RETRYABLE_CODES = new Set(['unavailable', 'internal', 'resource_exhausted', 'deadline_exceeded', 'unknown', 'canceled']);

/** A PlatformApiError, so that what is above the seam classifies it (a 4xx refusal is final). `status` is 0 when
 * LiveKit did not answer at all (connection refused, reset). */
export class LiveKitApiError extends PlatformApiError {
  /** Twirp's code, when LiveKit answered with one (a refused token is plain 401 text). */
  readonly code: string | undefined;
  readonly retryable: boolean;
  constructor(operation: string, cause: unknown) {
    const twirp = cause instanceof TwirpError ? cause : undefined;
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`LiveKit ${operation} failed${twirp?.code ? ` (${twirp.code})` : twirp?.status ? ` (${twirp.status})` : ''}: ${detail}`, {
      status: twirp?.status ?? 0,
      errorType: twirp?.code ?? (twirp ? 'http' : 'no-answer'),
      info: detail,
    });
    this.cause = cause;
    this.name = 'LiveKitApiError';
    this.code = twirp?.code;
    this.retryable = twirp === undefined ? true : isRetryable(twirp);
  }
}

/** invalid_argument, not_found, permission_denied, unauthenticated and other 4xx are final; 5xx, 429 and no answer are not. */
function isRetryable(error: TwirpError): boolean {
  if (error.code) return RETRYABLE_CODES.has(error.code);
  return error.status === undefined || error.status >= 500 || error.status === 429 || error.status === 408;
}

export interface CreateLiveKitRoom {
  name: string;
  /** Closes a room nobody joined after this long. */
  emptyTimeoutSeconds: number;
  /** Closes the room this long after its last participant left. */
  departureTimeoutSeconds: number;
  maxParticipants?: number;
}

export interface LiveKitJoinTokenInput {
  roomName: string;
  userName: string;
  /** The participant's identity; a guest gets a random one. */
  userId?: string;
  /** The room's owner: roomAdmin (mute, remove) besides joining. */
  isOwner: boolean;
  /** The token (and so joining) ends here. LiveKit rooms have no maximum duration of their own: the meeting
   * ends them with deleteRoom, and nobody can join after the token's expiry. */
  expiresAt: Date;
}

export class LiveKitClient {
  readonly #credentials: LiveKitCredentials;
  readonly #bucket: LiveKitRecordingsBucket | undefined;
  readonly #rooms: RoomServiceClient;
  readonly #egress: EgressClient;

  constructor(credentials: LiveKitCredentials, bucket?: LiveKitRecordingsBucket) {
    this.#credentials = credentials;
    this.#bucket = bucket;
    this.#rooms = new RoomServiceClient(credentials.url, credentials.apiKey, credentials.apiSecret);
    this.#egress = new EgressClient(credentials.url, credentials.apiKey, credentials.apiSecret);
  }

  /** Idempotent: the existing room when it is there already. */
  createRoom(input: CreateLiveKitRoom): Promise<Room> {
    return this.#call('CreateRoom', () =>
      this.#rooms.createRoom({
        name: input.name,
        emptyTimeout: input.emptyTimeoutSeconds,
        departureTimeout: input.departureTimeoutSeconds,
        ...(input.maxParticipants !== undefined && { maxParticipants: input.maxParticipants }),
      }),
    );
  }

  /** Ends the meeting: everyone is disconnected and the room's egresses end. */
  deleteRoom(roomName: string): Promise<void> {
    return this.#call('DeleteRoom', () => this.#rooms.deleteRoom(roomName));
  }

  /** Who is in the room now, with their published tracks; a room LiveKit does not have is `not_found`. */
  listParticipants(roomName: string): Promise<ParticipantInfo[]> {
    return this.#call('ListParticipants', () => this.#rooms.listParticipants(roomName));
  }

  /** A token for livekit-client in the browser. */
  async joinToken(input: LiveKitJoinTokenInput): Promise<string> {
    const ttlSeconds = Math.max(1, Math.floor((input.expiresAt.getTime() - Date.now()) / 1000));
    const token = new AccessToken(this.#credentials.apiKey, this.#credentials.apiSecret, {
      identity: input.userId ?? `guest-${randomBytes(6).toString('hex')}`,
      name: input.userName,
      metadata: participantMetadata({ isOwner: input.isOwner }),
      ttl: ttlSeconds,
    });
    token.addGrant({ room: input.roomName, roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true, ...(input.isOwner && { roomAdmin: true }) });
    return token.toJwt();
  }

  /** The room composite (MP4) into the product's bucket. */
  startCompositeEgress(input: { roomName: string; keyPrefix: string }): Promise<EgressInfo> {
    const output = new EncodedFileOutput({ fileType: EncodedFileType.MP4, filepath: liveKitRecordingKeys.composite(input.keyPrefix), output: this.#upload() });
    return this.#call('StartRoomCompositeEgress', () => this.#egress.startRoomCompositeEgress(input.roomName, output, { audioOnly: false }));
  }

  /** One speaker's microphone as it was published (OGG/Opus) into the product's bucket. */
  startTrackEgress(input: { roomName: string; trackSid: string; participantSid: string; keyPrefix: string }): Promise<EgressInfo> {
    const output = new DirectFileOutput({ filepath: liveKitRecordingKeys.track(input.keyPrefix, input.participantSid), output: this.#upload() });
    return this.#call('StartTrackEgress', () => this.#egress.startTrackEgress(input.roomName, output, input.trackSid));
  }

  stopEgress(egressId: string): Promise<EgressInfo> {
    return this.#call('StopEgress', () => this.#egress.stopEgress(egressId));
  }

  /** The room's egresses, ended ones included: how an egress whose egress_ended never came is found. */
  /** Every room's when `roomName` is undefined. */
  listEgress(roomName: string | undefined, options: { activeOnly?: boolean } = {}): Promise<EgressInfo[]> {
    return this.#call('ListEgress', () => this.#egress.listEgress({ ...(roomName !== undefined && { roomName }), ...(options.activeOnly && { active: true }) }));
  }

  /** One egress, ended or not; an id LiveKit does not know is `not_found`. */
  async getEgress(egressId: string): Promise<EgressInfo | undefined> {
    const [info] = await this.#call('ListEgress', () => this.#egress.listEgress({ egressId }));
    return info;
  }

  /** The upload in an output: our bucket's, or none (Egress's own storage). */
  #upload(): { case: 's3'; value: S3Upload } | { case: undefined; value?: undefined } {
    const bucket = this.#bucket;
    if (!bucket) return { case: undefined };
    return { case: 's3', value: new S3Upload({
      bucket: bucket.bucket,
      region: bucket.region,
      ...(bucket.endpoint !== undefined && { endpoint: bucket.endpoint }),
      accessKey: bucket.accessKeyId,
      secret: bucket.secretAccessKey,
      forcePathStyle: true,
    }) };
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new LiveKitApiError(operation, error);
    }
  }
}
