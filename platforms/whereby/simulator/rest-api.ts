import { timingSafeEqual } from 'node:crypto';
import { ruleFires } from '../../daily/simulator/faults.ts';
import type { ApiFaultRule } from '../../daily/simulator/faults.ts';
import { jsonObjectBody, matchRoute } from '../../daily/simulator/http.ts';
import type { Route, SimRequest, SimResponse } from '../../daily/simulator/http.ts';
import { WherebySimError, badRequest } from './errors.ts';
import type { MeetingModel, MeetingRecordingConfig, RecordingDestination, SimMeeting, SimRecording, StartTrigger } from './meetings.ts';
import type { PointsRateLimiter } from './rate-limit.ts';

// Whereby's REST API under /v1 (docs.whereby.com, "REST API reference"): `Authorization: Bearer <API key>`,
// JSON in and out, errors as `{"error": <message>}`. Meetings: POST /meetings (201), GET and DELETE
// /meetings/:id. Recordings: GET /recordings (by roomName, cursor pages), GET /recordings/:id, its access link
// (Whereby-hosted recordings only), DELETE /recordings/:id and POST /recordings/bulk-delete (204). There is no
// recording start or stop here: the meeting's startTrigger or a host in the embed does that. Every request pays
// the points rate limit (rate-limit.ts) before it is served; a refused key pays nothing.

export interface RestApiOptions {
  apiKey: string;
  meetings: MeetingModel;
  limiter: PointsRateLimiter;
  faults: () => ApiFaultRule[];
  random: () => number;
  /** Calls per route key (`POST /meetings`), refused ones included. */
  calls: Record<string, number>;
}

export interface RestAnswer {
  response: SimResponse;
  headers: Record<string, string>;
}

const TRIGGERS: readonly StartTrigger[] = ['none', 'prompt', 'automatic', 'automatic-2nd-participant'];
const MAX_VALID_FOR_SECONDS = 43_200;

export function createRestApi(options: RestApiOptions): (request: SimRequest) => Promise<RestAnswer> {
  const { meetings } = options;
  const routes: Route[] = [
    { method: 'POST', pattern: '/meetings', handle: (req) => ({ status: 201, json: createMeeting(meetings, body(req)) }) },
    {
      method: 'GET',
      pattern: '/meetings/:id',
      handle: (req) => {
        const fields = (req.query.get('fields') ?? '').split(',').filter(Boolean);
        return { json: meetingView(meetings, meetings.meeting(req.params.id!), fields) };
      },
    },
    { method: 'DELETE', pattern: '/meetings/:id', handle: (req) => (meetings.delete(req.params.id!), { status: 204, empty: true }) },
    { method: 'GET', pattern: '/recordings', handle: (req) => ({ json: listRecordings(meetings, req.query) }) },
    { method: 'GET', pattern: '/recordings/:id', handle: (req) => ({ json: recordingView(meetings.recording(req.params.id!)) }) },
    {
      method: 'GET',
      pattern: '/recordings/:id/access-link',
      handle: async (req) => {
        const recording = meetings.recording(req.params.id!);
        const asked = req.query.get('validForSeconds');
        const validForSeconds = asked === null ? 3600 : Number(asked);
        if (!Number.isInteger(validForSeconds) || validForSeconds < 1 || validForSeconds > MAX_VALID_FOR_SECONDS) {
          throw badRequest(`validForSeconds must be an integer from 1 to ${MAX_VALID_FOR_SECONDS}`);
        }
        if (!recording.hostedByWhereby || !meetings.hostedStorage) throw badRequest('Access links are available only for recordings stored by Whereby');
        if (recording.status !== 'completed') throw new WherebySimError(404, 'The recording is not ready yet');
        const accessLink = await meetings.hostedStorage.signedGetUrl(recording.key, { expiresInSeconds: validForSeconds, downloadName: recording.filename });
        return { json: { accessLink, expires: Date.now() + validForSeconds * 1000 } };
      },
    },
    { method: 'DELETE', pattern: '/recordings/:id', handle: async (req) => (await deleteRecording(meetings, meetings.recording(req.params.id!)), { status: 204, empty: true }) },
    {
      method: 'POST',
      pattern: '/recordings/bulk-delete',
      handle: async (req) => {
        const ids = body(req).recordingIds;
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) throw badRequest('recordingIds must be a non-empty list of recording ids');
        const found = (ids as string[]).map((id) => meetings.recording(id));
        for (const recording of found) await deleteRecording(meetings, recording);
        return { status: 204, empty: true };
      },
    },
  ];

  return async (request) => {
    const matched = matchRoute(routes, request.method, request.path);
    const key = matched ? `${request.method} ${matched.route.pattern}` : `${request.method} ${request.path}`;
    options.calls[key] = (options.calls[key] ?? 0) + 1;
    if (!authorized(request.headers.authorization, options.apiKey)) {
      return { response: new WherebySimError(401, 'Unauthorized').response(), headers: { 'www-authenticate': 'Bearer' } };
    }
    const verdict = options.limiter.spend(request.method);
    if (!verdict.allowed) {
      return {
        response: new WherebySimError(429, 'Rate limit active for throttle key: organization:1', { data: { msLeft: verdict.msLeft } }).response(),
        headers: { ...verdict.headers, 'retry-after': String(Math.ceil(verdict.msLeft / 1000)) },
      };
    }
    try {
      if (!matched) throw new WherebySimError(404, `Cannot ${request.method} /v1${request.path}`);
      const fault = options.faults().find((rule) => (!rule.routes || rule.routes.includes(key)) && ruleFires(rule, options.random));
      if (fault) throw new WherebySimError(fault.status ?? 503, 'Service Unavailable');
      return { response: await matched.route.handle({ ...request, params: matched.params }), headers: verdict.headers };
    } catch (error) {
      if (error instanceof WherebySimError) return { response: error.response(), headers: { ...verdict.headers, ...error.headers } };
      throw error;
    }
  };
}

function authorized(header: string | undefined, apiKey: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(apiKey);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function body(request: SimRequest): Record<string, unknown> {
  return jsonObjectBody(request, { notJson: () => badRequest('The request body is not valid JSON'), notObject: () => badRequest('The request body must be a JSON object') });
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) throw badRequest(`"${name}" must be one of [${allowed.join(', ')}]`);
  return value as T;
}

function createMeeting(meetings: MeetingModel, input: Record<string, unknown>) {
  if (typeof input.endDate !== 'string' || Number.isNaN(Date.parse(input.endDate))) throw badRequest('"endDate" is required and must be an ISO 8601 date');
  const prefix = input.roomNamePrefix ?? '';
  if (typeof prefix !== 'string' || !/^[a-z0-9-]{0,39}$/.test(prefix)) throw badRequest('"roomNamePrefix" may hold up to 39 lowercase letters, digits and dashes');
  if (input.isLocked !== undefined && typeof input.isLocked !== 'boolean') throw badRequest('"isLocked" must be a boolean');
  const fields = input.fields ?? [];
  if (!Array.isArray(fields) || !fields.every((f) => f === 'hostRoomUrl' || f === 'viewerRoomUrl')) throw badRequest('"fields" may hold "hostRoomUrl" and "viewerRoomUrl"');
  const meeting = meetings.create({
    endDate: new Date(input.endDate).toISOString(),
    roomNamePrefix: prefix,
    roomNamePattern: oneOf(input.roomNamePattern, ['uuid', 'human-short'] as const, 'roomNamePattern', 'uuid'),
    roomMode: oneOf(input.roomMode, ['normal', 'group'] as const, 'roomMode', 'normal'),
    isLocked: input.isLocked ?? false,
    recording: recordingConfig(input.recording),
  });
  return meetingView(meetings, meeting, fields as string[]);
}

function recordingConfig(value: unknown): MeetingRecordingConfig {
  if (value === undefined) return { type: 'none', startTrigger: 'none' };
  if (typeof value !== 'object' || value === null) throw badRequest('"recording" must be an object');
  const recording = value as Record<string, unknown>;
  const type = oneOf(recording.type, ['none', 'local', 'cloud'] as const, 'recording.type', 'none');
  const startTrigger = oneOf(recording.startTrigger, TRIGGERS, 'recording.startTrigger', 'none');
  if (type !== 'cloud') return { type, startTrigger };
  if (typeof recording.destination !== 'object' || recording.destination === null) throw badRequest('"recording.destination" is required for cloud recording');
  return { type, startTrigger, destination: destinationOf(recording.destination as Record<string, unknown>) };
}

function destinationOf(input: Record<string, unknown>): RecordingDestination {
  const provider = oneOf(input.provider, ['s3', 'whereby'] as const, 'recording.destination.provider', 'whereby');
  const fileFormat = oneOf(input.fileFormat, ['mkv', 'mp4'] as const, 'recording.destination.fileFormat', 'mkv');
  if (provider === 'whereby') return { provider, fileFormat };
  const authenticationType = oneOf(input.authenticationType, ['accessKey', 'roleBased'] as const, 'recording.destination.authenticationType', 'accessKey');
  const text = (name: string) => {
    const v = input[name];
    if (typeof v !== 'string' || v === '') throw badRequest(`"recording.destination.${name}" is required`);
    return v;
  };
  const bucket = text('bucket');
  if (authenticationType === 'roleBased') return { provider, authenticationType, bucket, oidcRoleArn: text('oidcRoleArn'), fileFormat };
  return { provider, authenticationType, bucket, accessKeyId: text('accessKeyId'), accessKeySecret: text('accessKeySecret'), fileFormat };
}

function meetingView(meetings: MeetingModel, meeting: SimMeeting, fields: readonly string[]) {
  return {
    meetingId: meeting.meetingId,
    roomName: meeting.roomName,
    roomUrl: meeting.roomUrl,
    startDate: meeting.startDate,
    endDate: meeting.endDate,
    ...(fields.includes('hostRoomUrl') && { hostRoomUrl: meetings.hostRoomUrl(meeting) }),
    ...(fields.includes('viewerRoomUrl') && { viewerRoomUrl: meetings.viewerRoomUrl(meeting) }),
  };
}

function recordingView(recording: SimRecording) {
  return {
    recordingId: recording.recordingId,
    roomSessionId: recording.roomSessionId,
    filename: recording.filename,
    startDate: new Date(recording.startedAtMs).toISOString(),
    endDate: recording.endedAtMs === null ? null : new Date(recording.endedAtMs).toISOString(),
    sizeInMegaBytes: recording.sizeInMegaBytes,
  };
}

/** Finished recordings only (one still being made or uploaded is not listed), newest first unless asked. */
function listRecordings(meetings: MeetingModel, query: URLSearchParams) {
  const limit = query.get('limit') === null ? 50 : Number(query.get('limit'));
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest('"limit" must be an integer from 1 to 100');
  const sortBy = oneOf(query.get('sortBy') ?? undefined, ['startDate:asc', 'startDate:desc'] as const, 'sortBy', 'startDate:desc');
  const roomName = query.get('roomName');
  const wanted = roomName === null ? null : roomName.startsWith('/') ? roomName : `/${roomName}`;
  const cursor = query.get('cursor');
  const offset = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('"cursor" is not a cursor this API gave');
  const all = meetings.recordings
    .filter((r) => !r.deleted && r.status === 'completed' && (wanted === null || r.roomName === wanted))
    .sort((a, b) => (sortBy === 'startDate:asc' ? a.startedAtMs - b.startedAtMs : b.startedAtMs - a.startedAtMs));
  const page = all.slice(offset, offset + limit);
  const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : null;
  return { results: page.map(recordingView), cursor: next };
}

/** A Whereby-hosted file is deleted with it; a file in the customer's bucket is theirs and stays. */
async function deleteRecording(meetings: MeetingModel, recording: SimRecording): Promise<void> {
  recording.deleted = true;
  if (recording.hostedByWhereby) await meetings.hostedStorage?.delete(recording.key);
}
