import { z } from 'zod';
import type { DailyRoomProperties } from '../api-schemas.ts';
import { DAILY_RATE_LIMITS, SlidingWindow, dailyRateLimitClass } from '../rate-limits.ts';
import type { DailyRateLimitClass, RateWindow } from '../rate-limits.ts';
import type { DailyCallModel, RecordingRequest, SimRecording } from './call-model.ts';
import type { SimClock } from './clock.ts';
import { ruleFires } from './faults.ts';
import type { SimFaults } from './faults.ts';
import { DailySimError, errorResponse, invalidRequest, jsonBody, matchRoute, notFound } from './http.ts';
import type { Route, SimRequest, SimResponse } from './http.ts';
import { decodeMeetingToken, signMeetingToken, tokenProperties } from './meeting-tokens.ts';
import { meetingJson, meetingParticipantJson, recordingJson, roomJson } from './payloads.ts';
import type { WebhookDispatcher } from './webhooks.ts';

// Daily's REST API under /v1, with Daily's authentication, rate limits and error bodies.

export interface RestApiOptions {
  apiKey: string;
  domainId: string;
  model: DailyCallModel;
  webhooks: WebhookDispatcher;
  clock: SimClock;
  faults: () => SimFaults;
  random: () => number;
  /** Daily's published limits unless overridden; `false` turns 429s off. */
  rateLimits: Partial<Record<DailyRateLimitClass, RateWindow>> | false;
}

const MAX_PAGE = 100;

// Daily rejects unknown keys on /webhooks bodies (additionalProperties: false), which catches snake_case mistakes.
const webhookBody = z.strictObject({
  url: z.string(),
  basicAuth: z.string().optional(),
  retryType: z.enum(['circuit-breaker', 'exponential']).optional(),
  eventTypes: z.array(z.string()).optional(),
  hmac: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'hmac must be base64').optional(),
});

export function createRestApi(options: RestApiOptions): (request: SimRequest) => Promise<SimResponse> {
  const { model } = options;
  const routes = restRoutes(options);
  const windows = new Map<DailyRateLimitClass, SlidingWindow>();
  const limits = options.rateLimits === false ? null : { ...DAILY_RATE_LIMITS, ...options.rateLimits };

  return async (request) => {
    const matched = matchRoute(routes, request.method, request.path);
    const routeKey = matched ? `${request.method} ${matched.route.pattern}` : `${request.method} (unknown)`;
    model.stats.restCalls[routeKey] = (model.stats.restCalls[routeKey] ?? 0) + 1;
    let response: SimResponse;
    try {
      authenticate(request, options.apiKey);
      if (limits) {
        const cls = dailyRateLimitClass(request.method, request.path);
        let window = windows.get(cls);
        if (!window) windows.set(cls, (window = new SlidingWindow(limits[cls])));
        // Rate limits are about real traffic, so they run on the wall clock.
        if (window.waitMs(Date.now()) > 0) throw new DailySimError(429, 'rate-limit-error', 'rate limit exceeded, please retry with exponential backoff');
        window.record(Date.now());
      }
      const fault = (options.faults().api ?? []).find(
        (rule) => (!rule.routes || rule.routes.includes(routeKey)) && ruleFires(rule, options.random),
      );
      if (fault) throw new DailySimError(fault.status ?? 503, 'server-error', 'not enough workers available, you may retry');
      if (!matched) throw notFound(`${request.method} ${request.path} is not an endpoint`);
      response = await matched.route.handle({ ...request, params: matched.params });
    } catch (error) {
      if (!(error instanceof DailySimError)) throw error;
      response = errorResponse(error);
    }
    const status = String(response.status ?? 200);
    const statuses = (model.stats.restStatuses[routeKey] ??= {});
    statuses[status] = (statuses[status] ?? 0) + 1;
    return response;
  };
}

function authenticate(request: SimRequest, apiKey: string): void {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header) : null;
  if (!match) throw new DailySimError(400, 'authorization-header-error', 'missing or malformed Authorization header');
  if (match[1] !== apiKey) throw new DailySimError(401, 'authentication-error', 'invalid API key');
}

function restRoutes({ model, webhooks, clock, apiKey, domainId }: RestApiOptions): Route[] {
  const webhook = (uuid: string) => {
    const found = webhooks.get(uuid);
    if (!found) throw notFound(`webhook ${uuid} was not found`);
    return found;
  };
  return [
    {
      method: 'POST',
      pattern: '/rooms',
      handle: (req) => {
        const body = jsonBody(req);
        const room = model.createRoom({
          ...(typeof body.name === 'string' && { name: body.name }),
          ...(typeof body.privacy === 'string' && { privacy: body.privacy }),
          properties: objectOrEmpty(body.properties, 'properties') as DailyRoomProperties,
        });
        return { json: roomJson(room) };
      },
    },
    {
      method: 'GET',
      pattern: '/rooms',
      handle: () => {
        const data = [...model.rooms.values()].map(roomJson);
        return { json: { total_count: data.length, data } };
      },
    },
    { method: 'GET', pattern: '/rooms/:name', handle: (req) => ({ json: roomJson(model.room(req.params.name!)) }) },
    {
      method: 'POST',
      pattern: '/rooms/:name',
      handle: (req) => {
        const properties = objectOrEmpty(jsonBody(req).properties, 'properties') as DailyRoomProperties;
        return { json: roomJson(model.updateRoom(req.params.name!, properties)) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/rooms/:name',
      handle: (req) => {
        model.deleteRoom(req.params.name!);
        return { json: { deleted: true, name: req.params.name } };
      },
    },
    {
      method: 'POST',
      pattern: '/meeting-tokens',
      handle: (req) => {
        const properties = objectOrEmpty(jsonBody(req).properties, 'properties');
        if (typeof properties.user_id === 'string' && properties.user_id.length > 36) {
          throw invalidRequest('user_id must be at most 36 characters');
        }
        return { json: { token: signMeetingToken(properties, { apiKey, domainId, nowMs: clock.now() }) } };
      },
    },
    {
      method: 'GET',
      pattern: '/meeting-tokens/:token',
      handle: (req) => {
        const claims = decodeMeetingToken(req.params.token!, apiKey);
        if (!claims) throw invalidRequest('meeting token is invalid');
        return { json: tokenProperties(claims) };
      },
    },
    {
      method: 'POST',
      pattern: '/rooms/:name/recordings/start',
      handle: (req) => {
        model.startRecording(req.params.name!, recordingRequest(jsonBody(req)));
        return { json: { status: 'sent' } };
      },
    },
    {
      method: 'POST',
      pattern: '/rooms/:name/recordings/stop',
      handle: (req) => {
        model.stopRecording(req.params.name!, recordingRequest(jsonBody(req)));
        return { json: { status: 'sent' } };
      },
    },
    {
      method: 'GET',
      pattern: '/recordings',
      handle: (req) => {
        const roomName = req.query.get('room_name');
        const newestFirst = model.recordings
          .map((recording, index) => ({ recording, index }))
          .filter(({ recording }) => roomName === null || recording.roomName === roomName)
          .sort((a, b) => b.recording.startedAtMs - a.recording.startedAtMs || b.index - a.index)
          .map(({ recording }) => recording);
        const page = paginate(newestFirst, req.query, (r) => r.id);
        return { json: { total_count: newestFirst.length, data: page.map(recordingJson) } };
      },
    },
    {
      method: 'GET',
      pattern: '/recordings/:id',
      handle: (req) => {
        const recording = model.recordings.find((r: SimRecording) => r.id === req.params.id);
        if (!recording) throw notFound(`recording ${req.params.id} was not found`);
        return { json: recordingJson(recording) };
      },
    },
    {
      method: 'GET',
      pattern: '/meetings',
      handle: (req) => {
        const room = req.query.get('room');
        const ongoing = req.query.get('ongoing');
        const newestFirst = [...model.meetings.values()]
          .filter((m) => room === null || m.roomName === room)
          .filter((m) => ongoing === null || (m.endedAtMs === null) === (ongoing === 'true'))
          .reverse();
        const page = paginate(newestFirst, req.query, (m) => m.id);
        return { json: { total_count: newestFirst.length, data: page.map((m) => meetingJson(m, clock.now(), true)) } };
      },
    },
    {
      method: 'GET',
      pattern: '/meetings/:id',
      handle: (req) => ({ json: meetingJson(meeting(model, req.params.id!), clock.now(), false) }),
    },
    {
      method: 'GET',
      pattern: '/meetings/:id/participants',
      handle: (req) => {
        const sessions = meeting(model, req.params.id!).sessions;
        const after = req.query.get('joined_after');
        const start = after === null ? 0 : sessions.findIndex((s) => s.sessionId === after) + 1;
        const page = after !== null && start === 0 ? [] : sessions.slice(start, start + pageLimit(req.query));
        // Daily signals the end of the list with a 404, not an empty page.
        if (page.length === 0) throw notFound('no more participants');
        return { json: { data: page.map((s) => meetingParticipantJson(s, clock.now())) } };
      },
    },
    {
      method: 'POST',
      pattern: '/webhooks',
      handle: async (req) => ({ json: await webhooks.create(parseWebhookBody(jsonBody(req), false)) }),
    },
    { method: 'GET', pattern: '/webhooks', handle: () => ({ json: webhooks.list() }) },
    { method: 'GET', pattern: '/webhooks/:uuid', handle: (req) => ({ json: webhook(req.params.uuid!) }) },
    {
      method: 'POST',
      pattern: '/webhooks/:uuid',
      handle: async (req) => {
        const found = webhook(req.params.uuid!);
        return { json: await webhooks.update(found, parseWebhookBody(jsonBody(req), true)) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/webhooks/:uuid',
      handle: (req) => {
        webhook(req.params.uuid!);
        webhooks.delete(req.params.uuid!);
        return { json: { deleted: true, uuid: req.params.uuid } };
      },
    },
  ];
}

function meeting(model: DailyCallModel, id: string) {
  const found = model.meetings.get(id);
  if (!found) throw notFound(`meeting ${id} was not found`);
  return found;
}

function recordingRequest(body: Record<string, unknown>): RecordingRequest {
  for (const key of ['type', 'instanceId'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') throw invalidRequest(`${key} must be a string`);
  }
  const { maxDuration } = body;
  if (maxDuration !== undefined && (typeof maxDuration !== 'number' || !(maxDuration > 0))) {
    throw invalidRequest('maxDuration must be a positive number of seconds');
  }
  return {
    ...(typeof body.type === 'string' && { type: body.type }),
    ...(typeof body.instanceId === 'string' && { instanceId: body.instanceId }),
    ...(maxDuration !== undefined && { maxDuration }),
  };
}

function parseWebhookBody(body: Record<string, unknown>, partial: boolean) {
  const parsed = (partial ? webhookBody.partial() : webhookBody).safeParse(body);
  if (!parsed.success) throw invalidRequest(z.prettifyError(parsed.error).replaceAll('\n', ' '));
  return parsed.data as z.infer<typeof webhookBody>;
}

function objectOrEmpty(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function pageLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return MAX_PAGE;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalidRequest(`limit must be between 1 and ${MAX_PAGE}`);
  return limit;
}

/** Daily's cursors: `starting_after` / `ending_before` name an item of the (newest-first) list. */
function paginate<T>(items: T[], query: URLSearchParams, idOf: (item: T) => string): T[] {
  const limit = pageLimit(query);
  const after = query.get('starting_after');
  const before = query.get('ending_before');
  const cursor = after ?? before;
  if (cursor === null) return items.slice(0, limit);
  const at = items.findIndex((item) => idOf(item) === cursor);
  if (at < 0) return [];
  return after !== null ? items.slice(at + 1, at + 1 + limit) : items.slice(Math.max(0, at - limit), at);
}
