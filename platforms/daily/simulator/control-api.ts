import type { ServerResponse } from 'node:http';
import type { DailySimulator } from './index.ts';
import { DailySimError, errorResponse, invalidRequest, jsonBody, matchRoute, send } from './http.ts';
import type { Route, SimRequest, SimResponse } from './http.ts';
import type { ParticipantRecordingRequest, SpeechInput } from './control.ts';
import type { SimFaults } from './faults.ts';

// The control API under /_sim: the DailySimulatorControl operations over HTTP, for a browser page or a
// demo in another process. No authentication: the simulator listens on loopback. CORS is open so a page
// served elsewhere can drive it. Errors come back in Daily's `{error, info}` shape.
//
//   GET  /_sim/state                              rooms, present participants, recordings, webhooks
//   POST /_sim/rooms                {name}        ensure a room exists (with a recordings bucket)
//   POST /_sim/rooms/:name/join     {userName?, userId?, owner?, voice?, token?} → {sessionId, meetingId}
//   POST /_sim/rooms/:name/end                    everyone leaves; the meeting ends
//   POST /_sim/sessions/:id/leave
//   POST /_sim/sessions/:id/say     {text} | {wavPath} | raw audio bytes (Content-Type audio/*) → {atMs, durationMs}
//   POST /_sim/sessions/:id/recordings/start  {type, instanceId?}   as daily-js startRecording()
//   POST /_sim/sessions/:id/recordings/stop   {type, instanceId?}
//   GET  /_sim/clock                              {mode, nowMs}
//   POST /_sim/clock/advance        {ms}          virtual clocks only → {nowMs}
//   GET  /_sim/faults, PUT /_sim/faults  SimFaults
//   POST /_sim/recordings/fail      {instanceId, message?}
//   GET  /_sim/stats                              REST calls per route, recording starts per type
//   GET  /_sim/webhook-deliveries                 every delivery attempt, with its body
//   POST /_sim/idle                               answers once media and webhooks are quiet

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
  'access-control-allow-headers': 'content-type',
};

/** `beforeAnswer` runs once a request's effect is done and before it is answered (the simulator saves its state then). */
export function createControlApi(sim: DailySimulator, beforeAnswer: () => void = () => undefined): (request: SimRequest, response: ServerResponse) => Promise<void> {
  const ok = { json: { ok: true } };
  const routes: Route[] = [
    { method: 'GET', pattern: '/state', handle: async () => ({ json: await sim.state() }) },
    {
      method: 'POST',
      pattern: '/rooms',
      handle: async (req) => {
        await sim.ensureRoom(requiredString(jsonBody(req), 'name'));
        return ok;
      },
    },
    {
      method: 'POST',
      pattern: '/rooms/:name/join',
      handle: async (req) => ({ json: await sim.join(req.params.name!, jsonBody(req)) }),
    },
    {
      method: 'POST',
      pattern: '/rooms/:name/end',
      handle: async (req) => {
        await sim.endMeeting(req.params.name!);
        return ok;
      },
    },
    {
      method: 'POST',
      pattern: '/sessions/:id/leave',
      handle: async (req) => {
        await sim.leave(req.params.id!);
        return ok;
      },
    },
    {
      method: 'POST',
      pattern: '/sessions/:id/say',
      handle: async (req) => {
        const speech = speechOf(req, jsonBody);
        if (!speech) throw invalidRequest('wavPath is required');
        return { json: await sim.say(req.params.id!, speech) };
      },
    },
    {
      method: 'POST',
      pattern: '/sessions/:id/recordings/start',
      handle: async (req) => {
        await sim.startRecording(req.params.id!, jsonBody(req) as unknown as ParticipantRecordingRequest);
        return ok;
      },
    },
    {
      method: 'POST',
      pattern: '/sessions/:id/recordings/stop',
      handle: async (req) => {
        await sim.stopRecording(req.params.id!, jsonBody(req) as unknown as ParticipantRecordingRequest);
        return ok;
      },
    },
    ...clockRoutes(sim, jsonBody, invalidRequest),
    { method: 'GET', pattern: '/faults', handle: () => ({ json: sim.faults }) },
    {
      method: 'PUT',
      pattern: '/faults',
      handle: async (req) => {
        await sim.setFaults(jsonBody(req) as SimFaults);
        return ok;
      },
    },
    {
      method: 'POST',
      pattern: '/recordings/fail',
      handle: async (req) => {
        const body = jsonBody(req);
        await sim.failRecording(requiredString(body, 'instanceId'), typeof body.message === 'string' ? body.message : undefined);
        return ok;
      },
    },
    { method: 'GET', pattern: '/stats', handle: async () => ({ json: await sim.stats() }) },
    { method: 'GET', pattern: '/webhook-deliveries', handle: async () => ({ json: await sim.webhookDeliveries() }) },
    {
      method: 'POST',
      pattern: '/idle',
      handle: async () => {
        await sim.whenIdle();
        return ok;
      },
    },
  ];

  return controlRouter(routes, {
    notFound: (request) => new DailySimError(404, 'not-found', `${request.method} /_sim${request.path} is not a control route`),
    answer: (error) => (error instanceof DailySimError ? errorResponse(error) : null),
  }, beforeAnswer);
}

/**
 * Serves control routes with open CORS: `notFound` makes the error for an unknown route, `answer` turns the
 * simulator's own errors into responses (null: not ours, rethrown as an internal error).
 */
export function controlRouter(
  routes: Route[],
  errors: { notFound: (request: SimRequest) => Error; answer: (error: unknown) => SimResponse | null },
  beforeAnswer: () => void = () => undefined,
): (request: SimRequest, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    if (request.method === 'OPTIONS') {
      send(response, { status: 204, empty: true }, CORS);
      return;
    }
    const matched = matchRoute(routes, request.method, request.path);
    try {
      if (!matched) throw errors.notFound(request);
      const answer = await matched.route.handle({ ...request, params: matched.params });
      beforeAnswer();
      send(response, answer, CORS);
    } catch (error) {
      const answer = errors.answer(error);
      if (!answer) throw error;
      beforeAnswer();
      send(response, answer, CORS);
    }
  };
}

/** Every simulator's virtual clock: `GET /clock`, `POST /clock/advance {ms}`; `invalid` is the simulator's own 400. */
export function clockRoutes(
  sim: { clock(): Promise<unknown>; advance(ms: number): Promise<unknown> },
  json: (request: SimRequest) => Record<string, unknown>,
  invalid: (message: string) => Error,
): Route[] {
  return [
    { method: 'GET', pattern: '/clock', handle: async () => ({ json: await sim.clock() }) },
    {
      method: 'POST',
      pattern: '/clock/advance',
      handle: async (req) => {
        const ms = json(req).ms;
        if (typeof ms !== 'number') throw invalid('ms must be a number');
        try {
          return { json: await sim.advance(ms) };
        } catch (error) {
          throw invalid((error as Error).message);
        }
      },
    },
  ];
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw invalidRequest(`${name} is required`);
  return value;
}

/** What a say request carries: audio bytes (any Content-Type but JSON), or JSON `{text}` or `{wavPath}`; null for neither. */
export function speechOf(request: SimRequest, json: (request: SimRequest) => Record<string, unknown>): SpeechInput | null {
  const contentType = String(request.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/json')) return { audio: request.body };
  const body = json(request);
  if (typeof body.text === 'string') return { text: body.text };
  return typeof body.wavPath === 'string' && body.wavPath !== '' ? { wavPath: body.wavPath } : null;
}
