import type { ServerResponse } from 'node:http';
import { clockRoutes, controlRouter, speechOf } from '../../daily/simulator/control-api.ts';
import { jsonObjectBody } from '../../daily/simulator/http.ts';
import type { Route, SimRequest } from '../../daily/simulator/http.ts';
import { HmsSimError, badRequest } from './auth.ts';
import type { HmsJoinOptions, HmsSimFaults, HmsSimulatorControl } from './control.ts';
import type { HmsWebhookConfig } from './webhooks.ts';

// The control API under /_sim: HmsSimulatorControl over HTTP. No authentication: the simulator listens on
// loopback; CORS is open. Errors come back in 100ms's `{code, message, details}` shape.
//
//   GET  /_sim/state
//   POST /_sim/rooms                {name, templateId?} → {roomId}
//   POST /_sim/rooms/:id/join       {token} | {name, userId?, role?, metadata?, voice?} → JoinedPeer
//   POST /_sim/peers/:id/say        {text} | {wavPath} | audio bytes (Content-Type audio/*) → {atMs, durationMs}
//   POST /_sim/peers/:id/leave
//   GET  /_sim/clock, POST /_sim/clock/advance {ms}
//   GET  /_sim/faults, PUT /_sim/faults  HmsSimFaults
//   POST /_sim/recordings/:id/fail  {message?}
//   PUT  /_sim/webhook              {url, headers}
//   PUT  /_sim/presigned-url-ttl    {seconds}
//   GET  /_sim/webhook-deliveries, GET /_sim/stats, POST /_sim/idle

export function createControlApi(sim: HmsSimulatorControl & { faults: HmsSimFaults }): (request: SimRequest, response: ServerResponse) => Promise<void> {
  const ok = { json: { ok: true } };
  const routes: Route[] = [
    { method: 'GET', pattern: '/state', handle: async () => ({ json: await sim.state() }) },
    {
      method: 'POST',
      pattern: '/rooms',
      handle: async (req) => {
        const { name, templateId } = jsonBody(req);
        if (typeof name !== 'string' || (templateId !== undefined && typeof templateId !== 'string')) throw badRequest('name (and templateId, when given) must be strings');
        return { json: await sim.ensureRoom(name, templateId as string | undefined) };
      },
    },
    { method: 'POST', pattern: '/rooms/:id/join', handle: async (req) => ({ json: await sim.join(req.params.id!, jsonBody(req) as HmsJoinOptions) }) },
    {
      method: 'POST',
      pattern: '/peers/:id/say',
      handle: async (req) => {
        const speech = speechOf(req, jsonBody);
        if (!speech) throw badRequest('text or wavPath is required');
        return { json: await sim.say(req.params.id!, speech) };
      },
    },
    { method: 'POST', pattern: '/peers/:id/leave', handle: async (req) => (await sim.leave(req.params.id!), ok) },
    ...clockRoutes(sim, jsonBody, badRequest),
    { method: 'GET', pattern: '/faults', handle: () => ({ json: sim.faults }) },
    { method: 'PUT', pattern: '/faults', handle: async (req) => (await sim.setFaults(jsonBody(req) as HmsSimFaults), ok) },
    {
      method: 'POST',
      pattern: '/recordings/:id/fail',
      handle: async (req) => {
        const message = jsonBody(req).message;
        return await sim.failRecording(req.params.id!, typeof message === 'string' ? message : undefined), ok;
      },
    },
    {
      method: 'PUT',
      pattern: '/webhook',
      handle: async (req) => {
        const body = jsonBody(req);
        const headers = body.headers ?? {};
        if (body.url !== null && typeof body.url !== 'string') throw badRequest('url must be a URL or null');
        if (typeof headers !== 'object' || headers === null || !Object.values(headers).every((v) => typeof v === 'string')) throw badRequest('headers must map names to strings');
        return await sim.configureWebhook({ url: body.url as string | null, headers: headers as Record<string, string> }), ok;
      },
    },
    {
      method: 'PUT',
      pattern: '/presigned-url-ttl',
      handle: async (req) => {
        const seconds = jsonBody(req).seconds;
        if (typeof seconds !== 'number' || !(seconds > 0)) throw badRequest('seconds must be a positive number');
        return await sim.setPresignedUrlTtl(seconds), ok;
      },
    },
    { method: 'GET', pattern: '/webhook-deliveries', handle: async () => ({ json: await sim.webhookDeliveries() }) },
    { method: 'GET', pattern: '/stats', handle: async () => ({ json: await sim.stats() }) },
    { method: 'POST', pattern: '/idle', handle: async () => (await sim.whenIdle(), ok) },
  ];

  return controlRouter(routes, {
    notFound: (request) => new HmsSimError(404, `${request.method} /_sim${request.path} is not a control route`),
    answer: (error) => (error instanceof HmsSimError ? error.response() : null),
  });
}

function jsonBody(request: SimRequest): Record<string, unknown> {
  return jsonObjectBody(request, { notJson: () => badRequest('the request body is not JSON'), notObject: () => badRequest('the request body must be a JSON object') });
}

export type { HmsWebhookConfig };
