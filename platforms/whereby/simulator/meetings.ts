import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { SimClock } from '../../daily/simulator/clock.ts';
import { writeCloudRecording } from '../../daily/simulator/media.ts';
import type { PlacedClip } from '../../daily/simulator/media.ts';
import type { PendingWork } from '../../daily/simulator/pending-work.ts';
import { SIMULATOR_VOICES } from '../../daily/simulator/speech.ts';
import type { SpeechClip } from '../../daily/simulator/speech.ts';
import type { ObjectStorage } from '../../../storage/object-storage.ts';
import { S3Storage } from '../../../storage/s3.ts';
import { WherebySimError, notFound } from './errors.ts';
import type { WherebyWebhookNotifier } from './webhooks.ts';

// Whereby's meetings as the embed and the webhooks show them. A meeting (POST /meetings) is a room with an end
// date; people join it by URL: the plain room URL as visitors, `hostRoomUrl` as hosts, `viewerRoomUrl` as
// viewers. The first client opens a room session (room.session.started), the last one out closes it
// (room.session.ended). A cloud recording is made by a "recorder" client that joins the session — when the
// meeting's startTrigger says (`automatic`: as the session starts; `automatic-2nd-participant`: when a second
// client is there), or when a host calls startRecording() in the embed — and leaves on stopRecording() or when
// nobody else is left. Nothing else says a recording started or stopped (there is no recording.started): its
// joining and leaving are room.client.joined/left with roleName "recorder". The file is then written to the
// meeting's destination (`[room name]-[start time ISO].mkv|mp4`, under the bucket's subfolder) and
// recording.finished is sent.

export type StartTrigger = 'none' | 'prompt' | 'automatic' | 'automatic-2nd-participant';

export interface RecordingDestination {
  provider: 's3' | 'whereby';
  authenticationType?: 'accessKey' | 'roleBased';
  /** `bucket` or `bucket/sub/folder`. */
  bucket?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  oidcRoleArn?: string;
  fileFormat: 'mkv' | 'mp4';
}

export interface MeetingRecordingConfig {
  type: 'none' | 'local' | 'cloud';
  destination?: RecordingDestination;
  startTrigger: StartTrigger;
}

export interface SimMeeting {
  meetingId: string;
  /** With its leading "/", as Whereby writes it. */
  roomName: string;
  roomUrl: string;
  hostRoomKey: string;
  viewerRoomKey: string;
  startDate: string;
  endDate: string;
  roomMode: 'normal' | 'group';
  isLocked: boolean;
  recording: MeetingRecordingConfig;
  deleted: boolean;
  session: SimSession | null;
}

export type RoleName = 'host' | 'visitor' | 'viewer' | 'recorder';

export interface SimClient {
  participantId: string;
  meetingId: string;
  roomName: string;
  roomSessionId: string;
  displayName: string;
  roleName: RoleName;
  externalId: string | null;
  metadata: string | null;
  voice: string;
  joinedAtMs: number;
  leftAtMs: number | null;
  speech: PlacedClip[];
}

export interface SimSession {
  roomSessionId: string;
  startedAtMs: number;
  clients: SimClient[];
  /** The recorder while one is in the session. */
  recorder: SimClient | null;
}

export interface SimRecording {
  recordingId: string;
  roomSessionId: string;
  meetingId: string;
  roomName: string;
  filename: string;
  /** Where the file is, in the destination's bucket. */
  key: string;
  startedAtMs: number;
  endedAtMs: number | null;
  sizeInMegaBytes: number | null;
  hostedByWhereby: boolean;
  status: 'recording' | 'uploading' | 'completed' | 'failed';
  deleted: boolean;
}

export interface JoinInput {
  roomUrl: string;
  displayName?: string;
  externalId?: string;
  metadata?: string;
  voice?: string;
}

/** A bucket the simulator writes into in-process (an ObjectStorage), refusing keys other than these as S3 would. */
export interface LocalBucket {
  storage: ObjectStorage;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface MeetingModelOptions {
  origin: string;
  clock: SimClock;
  webhooks: WherebyWebhookNotifier;
  work: PendingWork;
  workDir: string;
  /** Where "AWS S3" is in this simulated world: every s3 destination's bucket is on this endpoint. */
  s3Endpoint?: string;
  s3Region: string;
  /** Credentials behind each role a roleBased destination may name (Whereby assumes the role). */
  assumableRoles: Readonly<Record<string, { accessKeyId: string; secretAccessKey: string }>>;
  /** Whereby's own storage, for `provider: "whereby"` destinations. */
  hostedStorage?: ObjectStorage;
  /** Buckets reached in-process instead of over S3, by name. */
  localBuckets: Readonly<Record<string, LocalBucket>>;
  log: (message: string) => void;
}

export class MeetingModel {
  readonly meetings = new Map<string, SimMeeting>();
  readonly recordings: SimRecording[] = [];
  readonly clients = new Map<string, SimClient>();
  readonly #options: MeetingModelOptions;
  #joins = 0;

  constructor(options: MeetingModelOptions) {
    this.#options = options;
  }

  get hostedStorage(): ObjectStorage | undefined {
    return this.#options.hostedStorage;
  }

  create(input: Omit<SimMeeting, 'meetingId' | 'roomName' | 'roomUrl' | 'hostRoomKey' | 'viewerRoomKey' | 'startDate' | 'deleted' | 'session'> & { roomNamePrefix: string; roomNamePattern: 'uuid' | 'human-short' }): SimMeeting {
    const suffix = input.roomNamePattern === 'human-short' ? humanShort() : randomUUID();
    const roomName = `/${input.roomNamePrefix}${suffix}`;
    const meeting: SimMeeting = {
      meetingId: String(randomInt(10_000_000, 99_999_999)),
      roomName,
      roomUrl: `${this.#options.origin}${roomName}`,
      hostRoomKey: randomBytes(16).toString('base64url'),
      viewerRoomKey: randomBytes(16).toString('base64url'),
      startDate: new Date(this.#options.clock.now()).toISOString(),
      endDate: input.endDate,
      roomMode: input.roomMode,
      isLocked: input.isLocked,
      recording: input.recording,
      deleted: false,
      session: null,
    };
    this.meetings.set(meeting.meetingId, meeting);
    return meeting;
  }

  meeting(meetingId: string): SimMeeting {
    const meeting = this.meetings.get(meetingId);
    if (!meeting || meeting.deleted) throw notFound('Meeting not found');
    return meeting;
  }

  /** Deleting a meeting ends its session: everyone is sent away. */
  delete(meetingId: string): void {
    const meeting = this.meeting(meetingId);
    meeting.deleted = true;
    for (const client of [...(meeting.session?.clients ?? [])].filter((c) => c.roleName !== 'recorder')) this.leave(client.participantId);
  }

  hostRoomUrl(meeting: SimMeeting): string {
    return `${meeting.roomUrl}?roomKey=${meeting.hostRoomKey}`;
  }

  viewerRoomUrl(meeting: SimMeeting): string {
    return `${meeting.roomUrl}?roomKey=${meeting.viewerRoomKey}`;
  }

  /** Joining by URL, as the embed does: the URL's roomKey gives the role. */
  join(input: JoinInput): SimClient {
    let url: URL;
    try {
      url = new URL(input.roomUrl);
    } catch {
      throw new WherebySimError(400, 'roomUrl is not a URL');
    }
    const meeting = [...this.meetings.values()].find((m) => !m.deleted && m.roomName === url.pathname);
    if (!meeting) throw notFound('Room not found');
    const now = this.#options.clock.now();
    if (now >= Date.parse(meeting.endDate)) throw new WherebySimError(403, 'The meeting has ended');
    const key = url.searchParams.get('roomKey');
    const roleName: RoleName = key === meeting.hostRoomKey ? 'host' : key === meeting.viewerRoomKey ? 'viewer' : key === null ? 'visitor' : invalidKey();
    if (meeting.isLocked && roleName === 'visitor') throw new WherebySimError(403, 'The room is locked: knock, or join with a room key');
    const client = this.#addClient(meeting, {
      roleName,
      displayName: input.displayName ?? `Guest ${this.#joins + 1}`,
      externalId: input.externalId ?? null,
      metadata: input.metadata ?? null,
      voice: input.voice ?? SIMULATOR_VOICES[this.#joins % SIMULATOR_VOICES.length]!,
    });
    this.#joins += 1;
    const people = this.#people(meeting.session!);
    const trigger = meeting.recording.type === 'cloud' ? meeting.recording.startTrigger : 'none';
    if ((trigger === 'automatic' && people.length === 1) || (trigger === 'automatic-2nd-participant' && people.length === 2)) this.#startRecorder(meeting);
    return client;
  }

  present(participantId: string): SimClient {
    const client = this.clients.get(participantId);
    if (!client || client.leftAtMs !== null) throw notFound(`No participant ${participantId} is in a room`);
    return client;
  }

  say(participantId: string, clip: SpeechClip, atMs: number): PlacedClip {
    const client = this.present(participantId);
    const placed = { ...clip, atMs };
    client.speech.push(placed);
    return placed;
  }

  leave(participantId: string): void {
    const client = this.present(participantId);
    const meeting = this.meetings.get(client.meetingId)!;
    const session = meeting.session!;
    this.#removeClient(meeting, client);
    if (this.#people(session).length === 0 && session.recorder) this.#stopRecorder(meeting);
    if (session.clients.length === 0) {
      meeting.session = null;
      this.#notify('room.session.ended', meeting, session, {});
    }
  }

  /** The embed's startRecording(): hosts only, on a meeting set up for cloud recording. */
  startRecording(participantId: string): void {
    const client = this.present(participantId);
    const meeting = this.meetings.get(client.meetingId)!;
    if (client.roleName !== 'host') throw new WherebySimError(403, 'Only a host can start a recording');
    if (meeting.recording.type !== 'cloud') throw new WherebySimError(400, `The meeting's recording type is ${meeting.recording.type}, not cloud`);
    if (meeting.session!.recorder) throw new WherebySimError(409, 'A recording is already running');
    this.#startRecorder(meeting);
  }

  stopRecording(participantId: string): void {
    const client = this.present(participantId);
    const meeting = this.meetings.get(client.meetingId)!;
    if (client.roleName !== 'host') throw new WherebySimError(403, 'Only a host can stop a recording');
    if (!meeting.session!.recorder) throw new WherebySimError(409, 'No recording is running');
    this.#stopRecorder(meeting);
  }

  recording(recordingId: string): SimRecording {
    const recording = this.recordings.find((r) => r.recordingId === recordingId && !r.deleted);
    if (!recording) throw notFound('Recording not found');
    return recording;
  }

  #people(session: SimSession): SimClient[] {
    return session.clients.filter((c) => c.roleName !== 'recorder');
  }

  #addClient(meeting: SimMeeting, who: Pick<SimClient, 'roleName' | 'displayName' | 'externalId' | 'metadata' | 'voice'>): SimClient {
    const now = this.#options.clock.now();
    if (!meeting.session) {
      meeting.session = { roomSessionId: randomUUID(), startedAtMs: now, clients: [], recorder: null };
      this.#notify('room.session.started', meeting, meeting.session, {});
    }
    const client: SimClient = {
      participantId: randomUUID(),
      meetingId: meeting.meetingId,
      roomName: meeting.roomName,
      roomSessionId: meeting.session.roomSessionId,
      ...who,
      joinedAtMs: now,
      leftAtMs: null,
      speech: [],
    };
    meeting.session.clients.push(client);
    this.clients.set(client.participantId, client);
    this.#notify('room.client.joined', meeting, meeting.session, this.#clientData(meeting.session, client));
    return client;
  }

  #removeClient(meeting: SimMeeting, client: SimClient): void {
    const session = meeting.session!;
    client.leftAtMs = this.#options.clock.now();
    session.clients = session.clients.filter((c) => c !== client);
    this.#notify('room.client.left', meeting, session, this.#clientData(session, client));
  }

  #startRecorder(meeting: SimMeeting): void {
    const session = meeting.session!;
    const recorder = this.#addClient(meeting, { roleName: 'recorder', displayName: 'Recorder', externalId: null, metadata: null, voice: '' });
    session.recorder = recorder;
    const destination = meeting.recording.destination!;
    const subfolder = destination.provider === 's3' ? destination.bucket!.split('/').slice(1).filter(Boolean).join('/') : '';
    // Whereby's default file name: `[room name]-[start time in ISO format].mkv` (the room name without its "/").
    const filename = `${meeting.roomName.slice(1)}-${new Date(recorder.joinedAtMs).toISOString()}.${destination.fileFormat}`;
    this.recordings.push({
      recordingId: randomUUID(),
      roomSessionId: session.roomSessionId,
      meetingId: meeting.meetingId,
      roomName: meeting.roomName,
      filename,
      key: subfolder ? `${subfolder}/${filename}` : filename,
      startedAtMs: recorder.joinedAtMs,
      endedAtMs: null,
      sizeInMegaBytes: null,
      hostedByWhereby: destination.provider === 'whereby',
      status: 'recording',
      deleted: false,
    });
  }

  #stopRecorder(meeting: SimMeeting): void {
    const session = meeting.session!;
    const recorder = session.recorder!;
    session.recorder = null;
    this.#removeClient(meeting, recorder);
    const recording = this.recordings.find((r) => r.roomSessionId === session.roomSessionId && r.status === 'recording')!;
    recording.endedAtMs = recorder.leftAtMs;
    recording.status = 'uploading';
    // Everyone heard in the session over the recorder's stay.
    const clips = [...this.clients.values()].filter((c) => c.roomSessionId === session.roomSessionId).flatMap((c) => c.speech);
    void this.#options.work.track(this.#upload(meeting, recording, clips));
  }

  async #upload(meeting: SimMeeting, recording: SimRecording, clips: PlacedClip[]): Promise<void> {
    const destination = meeting.recording.destination!;
    try {
      const storage = this.#storage(destination);
      const size = await writeCloudRecording(storage, this.#options.workDir, {
        key: recording.key,
        span: { fromMs: recording.startedAtMs, toMs: recording.endedAtMs! },
        clips,
        container: destination.fileFormat === 'mkv' ? 'matroska' : 'mp4',
      });
      recording.sizeInMegaBytes = Math.round((size / 1_000_000) * 1000) / 1000;
      recording.status = 'completed';
    } catch (error) {
      // Whereby sends nothing for a recording it could not store (there is no recording.failed).
      this.#options.log(`recording ${recording.recordingId} could not be stored: ${(error as Error).message}`);
      recording.status = 'failed';
      return;
    }
    this.#options.webhooks.notify(
      'recording.finished',
      { filename: recording.filename, recordingId: recording.recordingId, roomName: recording.roomName, status: 'completed' },
      this.#options.clock.now(),
    );
  }

  #storage(destination: RecordingDestination): ObjectStorage {
    if (destination.provider === 'whereby') {
      if (!this.#options.hostedStorage) throw new Error('this simulator has no storage of its own');
      return this.#options.hostedStorage;
    }
    const credentials =
      destination.authenticationType === 'roleBased'
        ? this.#options.assumableRoles[destination.oidcRoleArn ?? '']
        : { accessKeyId: destination.accessKeyId!, secretAccessKey: destination.accessKeySecret! };
    if (!credentials) throw new Error(`role ${destination.oidcRoleArn} cannot be assumed`);
    const bucket = destination.bucket!.split('/')[0]!;
    const local = this.#options.localBuckets[bucket];
    if (local) {
      if (credentials.accessKeyId !== local.accessKeyId || credentials.secretAccessKey !== local.secretAccessKey) throw new Error(`bucket ${bucket} refused the keys (InvalidAccessKeyId)`);
      return local.storage;
    }
    return new S3Storage({
      bucket,
      region: this.#options.s3Region,
      ...(this.#options.s3Endpoint !== undefined && { endpoint: this.#options.s3Endpoint }),
      ...credentials,
    });
  }

  #clientData(session: SimSession, client: SimClient): Record<string, unknown> {
    const byRole: Record<string, number> = {};
    for (const c of session.clients) byRole[c.roleName] = (byRole[c.roleName] ?? 0) + 1;
    return {
      displayName: client.displayName,
      participantId: client.participantId,
      metadata: client.metadata,
      externalId: client.externalId,
      roleName: client.roleName,
      numClients: session.clients.length,
      numClientsByRoleName: byRole,
      isDialIn: false,
    };
  }

  #notify(type: 'room.client.joined' | 'room.client.left' | 'room.session.started' | 'room.session.ended', meeting: SimMeeting, session: SimSession, data: Record<string, unknown>): void {
    this.#options.webhooks.notify(type, { meetingId: meeting.meetingId, roomName: meeting.roomName, roomSessionId: session.roomSessionId, ...data }, this.#options.clock.now());
  }
}

function invalidKey(): never {
  throw new WherebySimError(403, 'The room key is not valid for this room');
}

const SYLLABLES = ['ka', 'lo', 'mi', 'nu', 'pe', 'ra', 'si', 'to', 'vu', 'ze'];

/** Whereby's `human-short` pattern: short, readable words. */
function humanShort(): string {
  const word = () => Array.from({ length: 3 }, () => SYLLABLES[randomInt(SYLLABLES.length)]).join('');
  return `${word()}-${word()}`;
}
