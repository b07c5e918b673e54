import { EgressInfo, EgressSourceType, EgressStatus, EncodedFileType, FileInfo } from '@livekit/protocol';
import type { DirectFileOutput, EncodedFileOutput, RoomCompositeEgressRequest, S3Upload, TrackEgressRequest } from '@livekit/protocol';
import type { SimClock } from '../../daily/simulator/clock.ts';
import type { FaultRuleBase } from '../../daily/simulator/faults.ts';
import { ruleFires } from '../../daily/simulator/faults.ts';
import { ffmpeg } from '../../daily/simulator/ffmpeg.ts';
import { PCM_INPUT, encodeAndStore, renderPcm, writeCloudRecording } from '../../daily/simulator/media.ts';
import type { PlacedClip, TimeSpan } from '../../daily/simulator/media.ts';
import type { PendingWork } from '../../daily/simulator/pending-work.ts';
import type { ObjectStorage } from '../../../storage/object-storage.ts';
import { S3Storage } from '../../../storage/s3.ts';
import type { RoomModel, SimRoom, SimTrack } from './room-model.ts';
import { TwirpError, egressNotFound } from './twirp.ts';
import { randomBase62 } from './webhooks.ts';
import type { WebhookNotifier } from './webhooks.ts';

// LiveKit Egress, as livekit-server's EgressService and the egress service's pipeline controller report it
// (livekit/protocol livekit_egress.proto and livekit/livekit_egress.go): a start answers EGRESS_STARTING
// with an "EG_…" id (egress_started), the recorder then goes EGRESS_ACTIVE with started_at
// (egress_updated); StopEgress answers EGRESS_ENDING (egress_updated), and once the file is uploaded the
// egress is EGRESS_COMPLETE with its file_results (egress_ended). Times are Unix nanoseconds. A track
// egress ends by itself when its track is unpublished, every egress of a room when the room finishes
// ("End reason: Source closed"). Failures end in EGRESS_FAILED with `error`, a session limit in
// EGRESS_LIMIT_REACHED ("Session limit reached", error_code 413) with the file kept.
//
// Media: a room composite is one H.264/AAC MP4 (a plain frame, everyone's microphones mixed), or OGG/Opus
// when audio-only or asked for; a track egress is the track's Opus in OGG, from the egress's start to its
// end. Files go to the request's S3 upload (bucket, endpoint, keys, force_path_style), else to the
// simulator's default storage (LiveKit's egress-level storage config).

export type EgressKind = 'room_composite' | 'track';

export interface EgressFaultRule extends FaultRuleBase {
  /** fail: the egress fails (`error`) `afterMs` after it starts (default at once, before it is active).
   * limit: it reaches its session limit `afterMs` after it became active. */
  action: 'fail' | 'limit';
  kinds?: EgressKind[];
  error?: string;
  afterMs?: number;
}

interface Destination {
  storage: ObjectStorage;
  filepath: string;
  location: (key: string) => string;
}

export interface SimEgress {
  egressId: string;
  kind: EgressKind;
  roomSid: string;
  roomName: string;
  trackSid: string | null;
  status: EgressStatus;
  startedAtMs: number | null;
  endedAtMs: number | null;
  updatedAtMs: number;
  fileType: 'mp4' | 'ogg';
  /** The request as echoed back, credentials redacted. */
  request: RoomCompositeEgressRequest | TrackEgressRequest;
  legacyFileOutput: boolean;
  destination: Destination;
  error: string;
  errorCode: number;
  details: string;
  file: FileInfo | null;
  cancelTimers: Array<() => void>;
}

export interface EgressServiceOptions {
  apiKey: string;
  clock: SimClock;
  rooms: RoomModel;
  webhooks: WebhookNotifier;
  work: PendingWork;
  workDir: string;
  /** Where an output without its own upload is written; without it such a request is refused. */
  defaultStorage?: ObjectStorage;
  faults: () => EgressFaultRule[];
  random: () => number;
  /** Session limit: an egress still running this long after it became active ends LIMIT_REACHED. */
  maxDurationMs?: number;
  mediaConcurrency: number;
  log: (message: string) => void;
}

const ENDED = new Set([EgressStatus.EGRESS_COMPLETE, EgressStatus.EGRESS_FAILED, EgressStatus.EGRESS_ABORTED, EgressStatus.EGRESS_LIMIT_REACHED]);

export class EgressService {
  /** In start order. */
  readonly egresses: SimEgress[] = [];
  readonly #options: EgressServiceOptions;
  #mediaRunning = 0;
  readonly #mediaWaiting: Array<() => void> = [];

  constructor(options: EgressServiceOptions) {
    this.#options = options;
  }

  egress(egressId: string): SimEgress {
    const egress = this.egresses.find((e) => e.egressId === egressId);
    if (!egress) throw egressNotFound();
    return egress;
  }

  isRecording(roomName: string): boolean {
    return this.egresses.some((e) => e.roomName === roomName && !ENDED.has(e.status));
  }

  startRoomComposite(request: RoomCompositeEgressRequest): EgressInfo {
    const room = this.#options.rooms.room(request.roomName);
    if (request.streamOutputs.length || request.segmentOutputs.length || request.imageOutputs.length || (request.output.case && request.output.case !== 'file')) {
      throw new TwirpError('unimplemented', 'the simulated egress writes file outputs only');
    }
    const outputs: EncodedFileOutput[] = [...request.fileOutputs];
    const legacy = request.output.case === 'file';
    if (legacy && outputs.length === 0) outputs.push(request.output.value as EncodedFileOutput);
    if (outputs.length !== 1) throw new TwirpError('invalid_argument', outputs.length === 0 ? 'request has no output' : 'only one file output is supported');
    const output = outputs[0]!;
    if (output.fileType === EncodedFileType.MP3) throw new TwirpError('unimplemented', 'the simulated egress writes MP4 and OGG files only');
    const fileType = output.fileType === EncodedFileType.OGG || (output.fileType === EncodedFileType.DEFAULT_FILETYPE && request.audioOnly) ? 'ogg' : 'mp4';
    const destination = this.#destination(output.output.case, output.output.value as S3Upload | undefined, output.filepath);
    const echoed = request.clone();
    for (const file of [...echoed.fileOutputs, ...(echoed.output.case === 'file' ? [echoed.output.value] : [])]) redactUpload(file);
    return this.#start({ kind: 'room_composite', room, trackSid: null, fileType, request: echoed, legacyFileOutput: legacy, destination });
  }

  startTrack(request: TrackEgressRequest): EgressInfo {
    const room = this.#options.rooms.room(request.roomName);
    if (request.output.case !== 'file') throw new TwirpError('unimplemented', 'the simulated egress writes file outputs only');
    const output = request.output.value as DirectFileOutput;
    const destination = this.#destination(output.output.case, output.output.value as S3Upload | undefined, output.filepath);
    const echoed = request.clone();
    if (echoed.output.case === 'file') redactUpload(echoed.output.value);
    return this.#start({ kind: 'track', room, trackSid: request.trackId, fileType: 'ogg', request: echoed, legacyFileOutput: false, destination });
  }

  /** StopEgress: ENDING now, COMPLETE once the file is up. */
  stop(egressId: string): EgressInfo {
    const egress = this.egress(egressId);
    if (egress.status !== EgressStatus.EGRESS_STARTING && egress.status !== EgressStatus.EGRESS_ACTIVE) {
      throw new TwirpError('failed_precondition', `egress with status ${EgressStatus[egress.status]} cannot be stopped`);
    }
    this.#end(egress, 'StopEgress API');
    return this.info(egress);
  }

  list(filter: { roomName: string; egressId: string; active: boolean }): EgressInfo[] {
    if (filter.egressId) return [this.info(this.egress(filter.egressId))];
    return this.egresses
      .filter((e) => (!filter.roomName || e.roomName === filter.roomName) && (!filter.active || !ENDED.has(e.status)))
      .map((e) => this.info(e));
  }

  /** A fault: the egress fails now. */
  fail(egressId: string, error = 'simulated egress failure'): void {
    const egress = this.egress(egressId);
    if (ENDED.has(egress.status)) throw new TwirpError('failed_precondition', `egress with status ${EgressStatus[egress.status]} has ended`);
    this.#fail(egress, error);
  }

  /** A fault: the egress reaches its session limit now (its file is kept). */
  limit(egressId: string): void {
    const egress = this.egress(egressId);
    if (egress.status !== EgressStatus.EGRESS_ACTIVE) throw new TwirpError('failed_precondition', `egress with status ${EgressStatus[egress.status]} is not active`);
    this.#end(egress, 'Session limit reached', 'limit');
  }

  trackUnpublished(track: SimTrack): void {
    for (const egress of this.egresses) {
      if (egress.trackSid === track.sid && !ENDED.has(egress.status) && egress.status !== EgressStatus.EGRESS_ENDING) this.#end(egress, 'Source closed');
    }
  }

  roomFinished(room: SimRoom): void {
    for (const egress of this.egresses) {
      if (egress.roomSid === room.sid && !ENDED.has(egress.status) && egress.status !== EgressStatus.EGRESS_ENDING) this.#end(egress, 'Source closed');
    }
  }

  info(egress: SimEgress): EgressInfo {
    const ns = (ms: number | null) => (ms === null ? 0n : BigInt(ms) * 1_000_000n);
    const info = new EgressInfo({
      egressId: egress.egressId,
      roomId: egress.roomSid,
      roomName: egress.roomName,
      sourceType: egress.kind === 'track' ? EgressSourceType.SDK : EgressSourceType.WEB,
      status: egress.status,
      startedAt: ns(egress.startedAtMs),
      endedAt: ns(egress.endedAtMs),
      updatedAt: ns(egress.updatedAtMs),
      request:
        egress.kind === 'track'
          ? { case: 'track', value: egress.request as TrackEgressRequest }
          : { case: 'roomComposite', value: egress.request as RoomCompositeEgressRequest },
      fileResults: egress.file ? [egress.file] : [],
      error: egress.error,
      errorCode: egress.errorCode,
      details: egress.details,
    });
    if (egress.file && egress.legacyFileOutput) info.result = { case: 'file', value: egress.file };
    return info;
  }

  #destination(uploadCase: string | undefined, s3: S3Upload | undefined, filepath: string): Destination {
    if (uploadCase === 's3' && s3) {
      if (!s3.bucket) throw new TwirpError('invalid_argument', 's3 upload needs a bucket');
      const storage = new S3Storage({
        bucket: s3.bucket,
        region: s3.region || 'us-east-1',
        ...(s3.endpoint && { endpoint: s3.endpoint }),
        forcePathStyle: s3.forcePathStyle,
        ...(s3.accessKey && s3.secret && { accessKeyId: s3.accessKey, secretAccessKey: s3.secret }),
      });
      const location = (key: string) =>
        s3.endpoint
          ? s3.forcePathStyle
            ? `${s3.endpoint.replace(/\/+$/, '')}/${s3.bucket}/${key}`
            : `${s3.endpoint.replace(/^(https?:\/\/)/, `$1${s3.bucket}.`).replace(/\/+$/, '')}/${key}`
          : `https://${s3.bucket}.s3.${s3.region || 'us-east-1'}.amazonaws.com/${key}`;
      return { storage, filepath, location };
    }
    if (uploadCase) throw new TwirpError('unimplemented', `the simulated egress uploads to S3 only, not ${uploadCase}`);
    const storage = this.#options.defaultStorage;
    if (!storage) throw new TwirpError('invalid_argument', 'the output has no upload and the egress has no default storage');
    return { storage, filepath, location: (key) => `${storage.kind}://${storage.bucket}/${key}` };
  }

  #start(input: {
    kind: EgressKind;
    room: SimRoom;
    trackSid: string | null;
    fileType: 'mp4' | 'ogg';
    request: RoomCompositeEgressRequest | TrackEgressRequest;
    legacyFileOutput: boolean;
    destination: Destination;
  }): EgressInfo {
    const now = this.#options.clock.now();
    const egress: SimEgress = {
      egressId: `EG_${randomBase62(12)}`,
      kind: input.kind,
      roomSid: input.room.sid,
      roomName: input.room.name,
      trackSid: input.trackSid,
      status: EgressStatus.EGRESS_STARTING,
      startedAtMs: null,
      endedAtMs: null,
      updatedAtMs: now,
      fileType: input.fileType,
      request: input.request,
      legacyFileOutput: input.legacyFileOutput,
      destination: input.destination,
      error: '',
      errorCode: 0,
      details: '',
      file: null,
      cancelTimers: [],
    };
    this.egresses.push(egress);
    const answer = this.info(egress);
    this.#notify('egress_started', egress);
    const rules = this.#options.faults().filter((rule) => !rule.kinds || rule.kinds.includes(egress.kind));
    const fault = rules.find((rule) => ruleFires(rule, this.#options.random));
    if (fault?.action === 'fail' && !fault.afterMs) {
      this.#fail(egress, fault.error ?? 'simulated egress failure');
      return answer;
    }
    const track = input.trackSid === null ? null : this.#options.rooms.tracks.get(input.trackSid);
    const trackRoom = track ? this.#options.rooms.participant(track.participantSid).roomName : null;
    if (input.kind === 'track' && (!track || track.unpublishedAtMs !== null || trackRoom !== input.room.name)) {
      this.#fail(egress, `track ${input.trackSid} not found`);
      return answer;
    }
    egress.status = EgressStatus.EGRESS_ACTIVE;
    egress.startedAtMs = now;
    egress.updatedAtMs = now;
    this.#notify('egress_updated', egress);
    const after = (ms: number, fn: () => void) => egress.cancelTimers.push(this.#options.clock.at(now + ms, fn));
    if (fault?.action === 'fail') after(fault.afterMs!, () => this.#fail(egress, fault.error ?? 'simulated egress failure'));
    if (fault?.action === 'limit') after(fault.afterMs ?? 0, () => this.#end(egress, 'Session limit reached', 'limit'));
    if (this.#options.maxDurationMs !== undefined) after(this.#options.maxDurationMs, () => this.#end(egress, 'Session limit reached', 'limit'));
    return answer;
  }

  #fail(egress: SimEgress, error: string): void {
    for (const cancel of egress.cancelTimers.splice(0)) cancel();
    const now = this.#options.clock.now();
    egress.status = EgressStatus.EGRESS_FAILED;
    egress.error = error;
    egress.errorCode = 500;
    egress.details = 'End reason: Failure';
    egress.updatedAtMs = now;
    egress.endedAtMs = now;
    this.#notify('egress_ended', egress);
  }

  #end(egress: SimEgress, reason: string, outcome: 'complete' | 'limit' = 'complete'): void {
    if (egress.status !== EgressStatus.EGRESS_ACTIVE && egress.status !== EgressStatus.EGRESS_STARTING) return;
    for (const cancel of egress.cancelTimers.splice(0)) cancel();
    const now = this.#options.clock.now();
    egress.details = `End reason: ${reason}`;
    egress.updatedAtMs = now;
    egress.endedAtMs = now;
    if (egress.startedAtMs === null) {
      // Stopped before the recorder started: nothing was recorded.
      egress.status = EgressStatus.EGRESS_ABORTED;
      egress.error = 'Stop called before pipeline could start';
      egress.errorCode = 412;
      this.#notify('egress_ended', egress);
      return;
    }
    egress.status = EgressStatus.EGRESS_ENDING;
    if (outcome === 'complete') this.#notify('egress_updated', egress);
    void this.#options.work.track(this.#finalize(egress, { fromMs: egress.startedAtMs, toMs: now }, outcome));
  }

  async #finalize(egress: SimEgress, span: TimeSpan, outcome: 'complete' | 'limit'): Promise<void> {
    await this.#mediaSlot();
    try {
      const key = egressFilepath(egress, this.#options.rooms, span.fromMs);
      const size = await this.#writeMedia(egress, key, span);
      egress.file = new FileInfo({
        filename: key,
        startedAt: BigInt(span.fromMs) * 1_000_000n,
        endedAt: BigInt(span.toMs) * 1_000_000n,
        duration: BigInt(span.toMs - span.fromMs) * 1_000_000n,
        size: BigInt(size),
        location: egress.destination.location(key),
      });
      const now = this.#options.clock.now();
      egress.updatedAtMs = now;
      if (outcome === 'limit') {
        egress.status = EgressStatus.EGRESS_LIMIT_REACHED;
        egress.error = 'Session limit reached';
        egress.errorCode = 413;
      } else {
        egress.status = EgressStatus.EGRESS_COMPLETE;
      }
    } catch (error) {
      this.#options.log(`egress ${egress.egressId} upload failed: ${(error as Error).message}`);
      egress.status = EgressStatus.EGRESS_FAILED;
      egress.error = `upload failed: ${(error as Error).message}`;
      egress.errorCode = 500;
      egress.details = 'End reason: Failure';
      egress.updatedAtMs = this.#options.clock.now();
    } finally {
      this.#mediaRunning -= 1;
      this.#mediaWaiting.shift()?.();
    }
    this.#notify('egress_ended', egress);
  }

  async #writeMedia(egress: SimEgress, key: string, span: TimeSpan): Promise<number> {
    const { storage } = egress.destination;
    const clips = this.#clips(egress);
    if (egress.fileType === 'mp4') return writeCloudRecording(storage, this.#options.workDir, { key, span, clips });
    return encodeAndStore(storage, this.#options.workDir, key, 'audio/ogg', (out) =>
      ffmpeg(
        [...PCM_INPUT, '-c:a', 'libopus', '-b:a', '32k', '-application', 'lowdelay', '-compression_level', '0', '-f', 'ogg', out],
        renderPcm(clips, span),
      ),
    );
  }

  /** A track egress hears its track; a composite everyone's tracks of that room session. */
  #clips(egress: SimEgress): PlacedClip[] {
    const tracks = [...this.#options.rooms.tracks.values()].filter((track) =>
      egress.trackSid !== null ? track.sid === egress.trackSid : this.#options.rooms.participant(track.participantSid).roomName === egress.roomName,
    );
    return tracks.flatMap((track) => track.speech);
  }

  /** To the configured URLs and the request's own `webhooks` (signed with the API key: one key pair here). */
  #notify(event: 'egress_started' | 'egress_updated' | 'egress_ended', egress: SimEgress): void {
    const extra = egress.request.webhooks.filter((hook) => hook.signingKey === '' || hook.signingKey === this.#options.apiKey).map((hook) => hook.url);
    this.#options.webhooks.notify({ event, room: { sid: egress.roomSid, name: egress.roomName }, egressInfo: this.info(egress) }, extra);
  }

  async #mediaSlot(): Promise<void> {
    if (this.#mediaRunning >= this.#options.mediaConcurrency) await new Promise<void>((resolve) => this.#mediaWaiting.push(resolve));
    this.#mediaRunning += 1;
  }
}

function redactUpload(file: EncodedFileOutput | DirectFileOutput): void {
  if (file.output.case !== 's3') return;
  const s3 = file.output.value;
  if (s3.accessKey) s3.accessKey = '{access_key}';
  if (s3.secret) s3.secret = '{secret}';
  if (s3.sessionToken) s3.sessionToken = '{session_token}';
  if (s3.assumeRoleExternalId) s3.assumeRoleExternalId = '{external_id}';
}

/**
 * The object key, as livekit/egress config/output_file.go builds it: `{room_name}`, `{room_id}`, `{time}`,
 * `{utc}` (and for a track `{track_id}`, `{track_type}`, `{track_source}`, `{publisher_identity}`) are
 * replaced; an empty path or one ending in "/" gets `<identifier>-<time><ext>` (identifier: room name, or
 * track id); a missing or wrong extension is set right.
 */
export function egressFilepath(egress: SimEgress, rooms: RoomModel, startedAtMs: number): string {
  const at = new Date(startedAtMs);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const time = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}T${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
  const utc = `${time.replaceAll(/[-T]/g, '')}${pad(at.getUTCMilliseconds(), 3)}`;
  const replacements: Record<string, string> = { '{room_name}': egress.roomName, '{room_id}': egress.roomSid, '{time}': time, '{utc}': utc };
  if (egress.trackSid !== null) {
    const track = rooms.tracks.get(egress.trackSid);
    Object.assign(replacements, {
      '{track_id}': egress.trackSid,
      '{track_type}': 'AUDIO',
      '{track_source}': 'MICROPHONE',
      '{publisher_identity}': track?.identity ?? '',
    });
  }
  const hasEndingSlash = egress.destination.filepath.endsWith('/');
  let filepath = egress.destination.filepath.split('/').filter((part) => part !== '' && part !== '.' && part !== '..').join('/');
  if (hasEndingSlash && filepath !== '') filepath += '/';
  for (const [placeholder, value] of Object.entries(replacements)) filepath = filepath.replaceAll(placeholder, value);
  const ext = egress.fileType === 'mp4' ? '.mp4' : '.ogg';
  if (filepath === '' || filepath.endsWith('/')) return `${filepath}${egress.trackSid ?? egress.roomName}-${time}${ext}`;
  if (filepath.endsWith(ext)) return filepath;
  return filepath.replace(/\.(mp4|ogg|mp3|webm|ts|m3u8|ivf|h264|jpeg|png)$/i, '') + ext;
}
