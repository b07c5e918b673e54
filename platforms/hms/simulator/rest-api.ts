import { jsonObjectBody, matchRoute } from '../../daily/simulator/http.ts';
import type { Route, SimRequest, SimResponse } from '../../daily/simulator/http.ts';
import { ruleFires } from '../../daily/simulator/faults.ts';
import type { ApiFaultRule } from '../../daily/simulator/faults.ts';
import { HmsSimError, badRequest, notFound, requireManagementToken } from './auth.ts';
import type { HmsApp } from './auth.ts';
import { present } from './room-model.ts';
import type { RoomModel, SimAsset, SimPeer, SimRecording, SimRoom, SimSession } from './room-model.ts';

// The REST API under /v2 (HMS-DOCS server-side/v2/api-reference): rooms, active rooms, sessions, recordings and
// recording assets, each call with a management token. Lists are `{limit, data, last}`; `start` takes the `last`
// of the page before (the next page begins after it).

export interface RestApiOptions {
  app: HmsApp;
  model: RoomModel;
  faults: () => ApiFaultRule[];
  random: () => number;
  calls: Record<string, number>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function createRestApi(options: RestApiOptions): (request: SimRequest) => Promise<SimResponse> {
  const { model } = options;
  const roomJson = (room: SimRoom) => ({
    id: room.id,
    name: room.name,
    enabled: room.enabled,
    description: room.description,
    customer_id: options.app.accessKey,
    app_id: options.app.accessKey,
    recording_info: { enabled: model.template(room.templateId).sfuRecording },
    template_id: room.templateId,
    template: model.template(room.templateId).name,
    region: room.region,
    created_at: iso(room.createdAtMs),
    updated_at: iso(room.updatedAtMs),
  });
  const peerJson = (peer: SimPeer) => ({ id: peer.id, name: peer.name, user_id: peer.userId, metadata: peer.metadata, role: peer.role, joined_at: iso(peer.joinedAtMs) });
  const sessionJson = (session: SimSession) => ({
    id: session.id,
    room_id: session.roomId,
    customer_id: options.app.accessKey,
    active: session.endedAtMs === null,
    peers: Object.fromEntries(session.peers.map((p) => [p.id, { ...peerJson(p), left_at: iso(p.leftAtMs) }])),
    created_at: iso(session.startedAtMs),
    updated_at: iso(session.endedAtMs ?? session.startedAtMs),
  });
  const assetJson = (recording: SimRecording, asset: SimAsset) => ({
    id: asset.id,
    room_id: recording.roomId,
    session_id: recording.sessionId,
    type: asset.type,
    path: model.recordingPath(asset.key),
    status: 'completed',
    size: asset.size,
    duration: asset.durationSeconds,
    created_at: iso(asset.createdAtMs),
    metadata: asset.peerId ? { peer_id: asset.peerId, track_id: asset.trackId } : {},
  });
  const recordingJson = (recording: SimRecording) => ({
    id: recording.id,
    room_id: recording.roomId,
    session_id: recording.sessionId,
    status: recording.status,
    created_at: iso(recording.createdAtMs),
    started_at: iso(recording.startedAtMs),
    updated_at: iso(recording.updatedAtMs),
    stopped_at: iso(recording.stoppedAtMs),
    meeting_url: recording.meetingUrl,
    destination: '',
    started_by: recording.startedBy,
    stopped_by: recording.stoppedBy,
    asset_types: ['room-composite', ...(model.template(model.room(recording.roomId).templateId).trackRecording ? ['track'] : [])],
    recording_assets: recording.assets.length ? recording.assets.map((a) => assetJson(recording, a)) : null,
    ...(recording.error && { error: recording.error }),
  });

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: '/rooms',
      handle: (req) => {
        const body = jsonBody(req);
        return { json: roomJson(model.createRoom({ ...optional(body, 'name'), ...optional(body, 'description'), ...(typeof body.template_id === 'string' && { templateId: body.template_id }), ...optional(body, 'region') })) };
      },
    },
    { method: 'GET', pattern: '/rooms/:id', handle: (req) => ({ json: roomJson(model.room(req.params.id!)) }) },
    {
      method: 'POST',
      pattern: '/rooms/:id',
      handle: (req) => {
        const body = jsonBody(req);
        let room = model.room(req.params.id!);
        if (body.enabled !== undefined) {
          if (typeof body.enabled !== 'boolean') throw badRequest('enabled must be a boolean');
          room = model.setEnabled(room.id, body.enabled);
        }
        if (typeof body.description === 'string') room.description = body.description;
        return { json: roomJson(room) };
      },
    },
    {
      method: 'GET',
      pattern: '/active-rooms/:id',
      handle: (req) => {
        const room = model.room(req.params.id!);
        const session = model.activeSession(room.id);
        if (!session) throw notFound('room is not active');
        return { json: { id: room.id, name: room.name, session: { id: session.id, created_at: iso(session.startedAtMs), peers: Object.fromEntries(present(session).map((p) => [p.id, peerJson(p)])) } } };
      },
    },
    {
      method: 'GET',
      pattern: '/active-rooms/:id/peers',
      handle: (req) => {
        const session = model.activeSession(model.room(req.params.id!).id);
        if (!session) throw notFound('room is not active');
        return { json: { peers: Object.fromEntries(present(session).map((p) => [p.id, peerJson(p)])) } };
      },
    },
    {
      method: 'GET',
      pattern: '/sessions',
      handle: (req) => {
        const roomId = req.query.get('room_id');
        const sessions = [...model.sessions.values()].filter((s) => !roomId || s.roomId === roomId).sort((a, b) => b.startedAtMs - a.startedAtMs);
        return { json: page(sessions, req.query, sessionJson) };
      },
    },
    {
      method: 'GET',
      pattern: '/sessions/:id',
      handle: (req) => {
        const session = model.sessions.get(req.params.id!);
        if (!session) throw notFound('session not found');
        return { json: sessionJson(session) };
      },
    },
    {
      method: 'POST',
      pattern: '/recordings/room/:id/start',
      handle: (req, claims?: { access_key: string }) => {
        const body = jsonBody(req);
        if (body.meeting_url !== undefined && typeof body.meeting_url !== 'string') throw badRequest('meeting_url must be a string');
        const recording = model.startRecording(req.params.id!, { ...(body.meeting_url && { meetingUrl: body.meeting_url as string }), startedBy: claims?.access_key ?? '' });
        return { json: recordingJson(recording) };
      },
    },
    {
      method: 'POST',
      pattern: '/recordings/room/:id/stop',
      handle: (req) => {
        const stopped = model.stopRoomRecordings(req.params.id!, 'api');
        return { json: { limit: 10, data: stopped.map(recordingJson), last: stopped.at(-1)?.id ?? '' } };
      },
    },
    { method: 'POST', pattern: '/recordings/:id/stop', handle: (req) => ({ json: recordingJson(model.stopRecording(req.params.id!, 'api')) }) },
    { method: 'GET', pattern: '/recordings/:id', handle: (req) => ({ json: recordingJson(model.recording(req.params.id!)) }) },
    {
      method: 'GET',
      pattern: '/recordings',
      handle: (req) => {
        const roomId = req.query.get('room_id');
        const status = req.query.get('status');
        const recordings = model.recordings.filter((r) => (!roomId || r.roomId === roomId) && (!status || r.status === status)).reverse();
        return { json: page(recordings, req.query, recordingJson) };
      },
    },
    {
      method: 'GET',
      pattern: '/recording-assets/:id/presigned-url',
      handle: async (req) => {
        const asset = model.recordings.flatMap((r) => r.assets).find((a) => a.id === req.params.id);
        if (!asset) throw notFound('recording asset not found');
        return { json: { id: asset.id, path: model.recordingPath(asset.key), url: await model.presignedUrl(asset.key), expiry: model.presignedUrlTtlSeconds() } };
      },
    },
  ];

  return async (request) => {
    const matched = matchRoute(routes, request.method, request.path);
    const key = matched ? `${request.method} ${matched.route.pattern}` : `${request.method} (unknown)`;
    options.calls[key] = (options.calls[key] ?? 0) + 1;
    const claims = await requireManagementToken(single(request.headers.authorization), options.app);
    if (!matched) throw notFound(`no route for ${request.method} /v2${request.path}`);
    const fault = options.faults().find((rule) => (!rule.routes || rule.routes.includes(key)) && ruleFires(rule, options.random));
    if (fault) throw new HmsSimError(fault.status ?? 503, 'service unavailable, please retry');
    return (matched.route.handle as (r: SimRequest, c: typeof claims) => SimResponse | Promise<SimResponse>)({ ...request, params: matched.params }, claims);
  };
}

function page<T, J>(items: T[], query: URLSearchParams, view: (item: T) => J & { id: string }): { limit: number; data: J[]; last: string } {
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 10) || 10));
  const views = items.map(view);
  const start = query.get('start');
  const from = start ? views.findIndex((v) => v.id === start) + 1 : 0;
  const data = views.slice(from, from + limit);
  // `last` is empty on the last page: there is nothing after it.
  return { limit, data, last: from + limit < views.length ? (data.at(-1)?.id ?? '') : '' };
}

function jsonBody(request: SimRequest): Record<string, unknown> {
  return jsonObjectBody(request, { notJson: () => badRequest('the request body is not valid JSON'), notObject: () => badRequest('the request body must be a JSON object') });
}

function optional<K extends string>(body: Record<string, unknown>, name: K): Partial<Record<K, string>> {
  const value = body[name];
  if (value === undefined) return {};
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`);
  return { [name]: value } as Partial<Record<K, string>>;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
