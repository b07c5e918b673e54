import type { ServerResponse } from 'node:http';
import { clockRoutes, controlRouter, speechOf } from '../../daily/simulator/control-api.ts';
import { jsonObjectBody } from '../../daily/simulator/http.ts';
import type { Route, SimRequest } from '../../daily/simulator/http.ts';
import type { JoinInput, WherebySimFaults, WherebySimulatorControl } from './control.ts';
import { WherebySimError, badRequest } from './errors.ts';

// The control API under /_sim: WherebySimulatorControl over HTTP, for a browser page or a demo in another process.
// No authentication: the simulator listens on loopback; CORS is open. Errors come back as `{error}`.
//
//   GET  /_sim/state
//   POST /_sim/join                  {roomUrl, displayName?, externalId?, metadata?, voice?} → JoinedClient
//   POST /_sim/participants/:id/say  {text} | {wavPath} | audio bytes (Content-Type audio/*) → {atMs, durationMs}
//   POST /_sim/participants/:id/recording/start, …/recording/stop   as a host's embed
//   POST /_sim/participants/:id/leave
//   GET  /_sim/clock, POST /_sim/clock/advance {ms}
//   GET  /_sim/faults, PUT /_sim/faults  WherebySimFaults
//   PUT  /_sim/webhooks {urls}, GET /_sim/webhook-deliveries
//   GET  /_sim/stats, POST /_sim/idle

export function createControlApi(sim: WherebySimulatorControl & { faults: WherebySimFaults }): (request: SimRequest, response: ServerResponse) => Promise<void> {
  const ok = { json: { ok: true } };
  const routes: Route[] = [
    { method: 'GET', pattern: '/state', handle: async () => ({ json: await sim.state() }) },
    {
      method: 'POST',
      pattern: '/join',
      handle: async (req) => {
        const input = jsonBody(req);
        if (typeof input.roomUrl !== 'string') throw badRequest('roomUrl is required');
        return { json: await sim.join(input as unknown as JoinInput) };
      },
    },
    {
      method: 'POST',
      pattern: '/participants/:id/say',
      handle: async (req) => {
        const speech = speechOf(req, jsonBody);
        if (!speech) throw badRequest('text or wavPath is required');
        return { json: await sim.say(req.params.id!, speech) };
      },
    },
    { method: 'POST', pattern: '/participants/:id/recording/start', handle: async (req) => (await sim.startRecording(req.params.id!), ok) },
    { method: 'POST', pattern: '/participants/:id/recording/stop', handle: async (req) => (await sim.stopRecording(req.params.id!), ok) },
    { method: 'POST', pattern: '/participants/:id/leave', handle: async (req) => (await sim.leave(req.params.id!), ok) },
    ...clockRoutes(sim, jsonBody, badRequest),
    { method: 'GET', pattern: '/faults', handle: () => ({ json: sim.faults }) },
    { method: 'PUT', pattern: '/faults', handle: async (req) => (await sim.setFaults(jsonBody(req) as WherebySimFaults), ok) },
    {
      method: 'PUT',
      pattern: '/webhooks',
      handle: async (req) => {
        const urls = jsonBody(req).urls;
        if (!Array.isArray(urls) || !urls.every((url) => typeof url === 'string')) throw badRequest('urls must be a list of URLs');
        return await sim.setWebhookUrls(urls as string[]), ok;
      },
    },
    { method: 'GET', pattern: '/webhook-deliveries', handle: async () => ({ json: await sim.webhookDeliveries() }) },
    { method: 'GET', pattern: '/stats', handle: async () => ({ json: await sim.stats() }) },
    { method: 'POST', pattern: '/idle', handle: async () => (await sim.whenIdle(), ok) },
  ];

  return controlRouter(routes, {
    notFound: (request) => new WherebySimError(404, `${request.method} /_sim${request.path} is not a control route`),
    answer: (error) => (error instanceof WherebySimError ? error.response() : null),
  });
}

function jsonBody(request: SimRequest): Record<string, unknown> {
  return jsonObjectBody(request, { notJson: () => badRequest('the request body is not JSON'), notObject: () => badRequest('the request body must be a JSON object') });
}
