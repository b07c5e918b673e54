import type { ServerResponse } from 'node:http';
import { clockRoutes, controlRouter, speechOf } from '../../daily/simulator/control-api.ts';
import { jsonObjectBody } from '../../daily/simulator/http.ts';
import type { Route, SimRequest } from '../../daily/simulator/http.ts';
import type { LiveKitSimFaults, LiveKitSimulatorControl } from './control.ts';
import { TwirpError } from './twirp.ts';

// The control API under /_sim: LiveKitSimulatorControl over HTTP, for a browser page or a demo in another
// process. No authentication: the simulator listens on loopback; CORS is open. Errors come back in Twirp's
// `{code, msg}` shape.
//
//   GET  /_sim/state                                 rooms, who is present with which tracks, egresses
//   POST /_sim/rooms/:name/join    {identity, name?, metadata?, voice?, token?, publishAudio?} → JoinedParticipant
//   POST /_sim/participants/:sid/publish             → {trackSid}
//   POST /_sim/participants/:sid/say {text} | {wavPath} | audio bytes (Content-Type audio/*) → {atMs, durationMs}
//   POST /_sim/participants/:sid/reconnect           → JoinedParticipant (same identity, new sid)
//   POST /_sim/participants/:sid/leave
//   POST /_sim/tracks/:sid/unpublish
//   GET  /_sim/clock, POST /_sim/clock/advance {ms}
//   GET  /_sim/faults, PUT /_sim/faults  LiveKitSimFaults
//   POST /_sim/egress/:id/fail {error?}, POST /_sim/egress/:id/limit
//   PUT  /_sim/webhooks {urls}, GET /_sim/webhook-deliveries
//   GET  /_sim/stats, POST /_sim/idle

export function createControlApi(sim: LiveKitSimulatorControl & { faults: LiveKitSimFaults }): (request: SimRequest, response: ServerResponse) => Promise<void> {
  const ok = { json: { ok: true } };
  const routes: Route[] = [
    { method: 'GET', pattern: '/state', handle: async () => ({ json: await sim.state() }) },
    { method: 'POST', pattern: '/rooms/:name/join', handle: async (req) => ({ json: await sim.join(req.params.name!, jsonBody(req)) }) },
    { method: 'POST', pattern: '/participants/:sid/publish', handle: async (req) => ({ json: await sim.publishAudio(req.params.sid!) }) },
    {
      method: 'POST',
      pattern: '/participants/:sid/say',
      handle: async (req) => {
        const speech = speechOf(req, jsonBody);
        if (!speech) throw new TwirpError('invalid_argument', 'text or wavPath is required');
        return { json: await sim.say(req.params.sid!, speech) };
      },
    },
    { method: 'POST', pattern: '/participants/:sid/reconnect', handle: async (req) => ({ json: await sim.reconnect(req.params.sid!) }) },
    { method: 'POST', pattern: '/participants/:sid/leave', handle: async (req) => (await sim.leave(req.params.sid!), ok) },
    { method: 'POST', pattern: '/tracks/:sid/unpublish', handle: async (req) => (await sim.unpublish(req.params.sid!), ok) },
    ...clockRoutes(sim, jsonBody, (message) => new TwirpError('invalid_argument', message)),
    { method: 'GET', pattern: '/faults', handle: () => ({ json: sim.faults }) },
    { method: 'PUT', pattern: '/faults', handle: async (req) => (await sim.setFaults(jsonBody(req) as LiveKitSimFaults), ok) },
    {
      method: 'POST',
      pattern: '/egress/:id/fail',
      handle: async (req) => {
        const error = jsonBody(req).error;
        return await sim.failEgress(req.params.id!, typeof error === 'string' ? error : undefined), ok;
      },
    },
    { method: 'POST', pattern: '/egress/:id/limit', handle: async (req) => (await sim.limitEgress(req.params.id!), ok) },
    {
      method: 'PUT',
      pattern: '/webhooks',
      handle: async (req) => {
        const urls = jsonBody(req).urls;
        if (!Array.isArray(urls) || !urls.every((url) => typeof url === 'string')) throw new TwirpError('invalid_argument', 'urls must be a list of URLs');
        return await sim.setWebhookUrls(urls as string[]), ok;
      },
    },
    { method: 'GET', pattern: '/webhook-deliveries', handle: async () => ({ json: await sim.webhookDeliveries() }) },
    { method: 'GET', pattern: '/stats', handle: async () => ({ json: await sim.stats() }) },
    { method: 'POST', pattern: '/idle', handle: async () => (await sim.whenIdle(), ok) },
  ];

  return controlRouter(routes, {
    notFound: (request) => new TwirpError('bad_route', `${request.method} /_sim${request.path} is not a control route`),
    answer: (error) => (error instanceof TwirpError ? error.response() : null),
  });
}

function jsonBody(request: SimRequest): Record<string, unknown> {
  return jsonObjectBody(request, {
    notJson: () => new TwirpError('malformed', 'the request body is not JSON'),
    notObject: () => new TwirpError('invalid_argument', 'the request body must be a JSON object'),
  });
}
