// Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, a real meeting (Daily simulator, the product's speech engine) sends
// its spans to an OTLP receiver, and one trace runs from the raw tracks' webhook request through the signal, the
// meeting workflow's handling of it and the recording's workflow it starts, to the activity that ends the transcript;
// a participant's webhook is one trace down to the activity writing its row; a log line carries the trace it was written
// in. Off (no endpoint), nothing is installed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';
import { holdRecordedMeeting } from './support/recorded-meeting.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';
import { parseConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/log.ts';

let receiver: OtlpReceiver;
let product: TestProduct;
const logLines: Array<Record<string, unknown>> = [];
before(async () => {
  receiver = await startOtlpReceiver();
  const log = createLogger('debug', { destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } });
  product = await startTestProduct({ name: 'tracing', log, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'meeting-recorder-test', RECORDING_READY_TIMEOUT_SECONDS: '30' } });
});
after(async () => {
  await product?.stop();
  await receiver?.close();
});

const names = (chain: ReceivedSpan[]) => chain.map((s) => s.name);
const SERVER = 2; // OTLP's SPAN_KIND_SERVER

test('one trace from a webhook through the signal, the workflows and their activities to the transcript', { timeout: 240_000 }, async () => {
  assert.ok(product.services.tracing, 'tracing is on with an endpoint');
  const { meeting, raw } = await holdRecordedMeeting(product, 'tracing-room');

  // The worker exports workflow spans through its sink and the API its own: flush, then wait for the last to land
  // (a workflow's span ends after its last activity's, so the chain is whole once it reaches the webhook's request).
  const finished = () => receiver.spans.find((s) => s.name === 'RunActivity:finishTranscript' && s.attributes.temporalWorkflowId === recordingWorkflowId(raw.id));
  const whole = () => { const finish = finished(); return finish && receiver.ancestors(finish).at(-1)?.name === 'POST /v1/webhooks/:platform'; };
  for (let deadline = Date.now() + 15_000; !whole() && Date.now() < deadline; await sleep(200)) await product.services.tracing.flush();
  const finish = finished();
  assert.ok(finish, `finishTranscript's span arrived (received: ${[...new Set(receiver.spans.map((s) => s.name))].join(', ')})`);
  assert.ok(receiver.spans.every((s) => s.service === 'meeting-recorder-test'), 'service.name from OTEL_SERVICE_NAME');

  // Up from the transcript's last activity: its workflow, started as the meeting's child while it handled the signal
  // the raw tracks' webhook sent; the trace's root is that webhook's request.
  const chain = receiver.ancestors(finish);
  const order = ['RunWorkflow:recordingWorkflow', 'StartChildWorkflow:recordingWorkflow', /^HandleSignal:meetingEvents?$/, /^SignalWorkflow:meetingEvents?$/, 'POST /v1/webhooks/:platform'];
  let at = -1;
  for (const expected of order) {
    const found = chain.findIndex((s, i) => i > at && (typeof expected === 'string' ? s.name === expected : expected.test(s.name)));
    assert.ok(found > at, `${String(expected)} above the last one in ${names(chain).join(' ← ')}`);
    at = found;
  }
  const root = chain.at(-1)!;
  assert.equal(root.name, 'POST /v1/webhooks/:platform', `the trace starts at the webhook: ${names(chain).join(' ← ')}`);
  assert.equal(root.kind, SERVER);
  assert.equal(root.attributes['webhook.platform'], 'daily');
  assert.equal(root.attributes['webhook.event_type'], 'recording.ready');
  assert.equal(root.attributes['meeting.id'], meeting.id);
  assert.equal(root.attributes['http.response.status_code'], 200);
  // Every activity of the recording's workflow is in the same trace (prepare, transcribe, merge ... finish).
  const recordingRun = chain.find((s) => s.name === 'RunWorkflow:recordingWorkflow')!;
  const activities = receiver.spans.filter((s) => s.traceId === finish.traceId && s.name.startsWith('RunActivity:') && receiver.ancestors(s).includes(recordingRun));
  for (const activity of ['RunActivity:planTranscript', 'RunActivity:transcribeTrack', 'RunActivity:finishTranscript']) {
    assert.ok(activities.some((s) => s.name === activity), `${activity} in the trace (${[...new Set(activities.map((s) => s.name))].join(', ')})`);
  }

  // A participant's webhook: its own trace, down to the activity that wrote the session's row.
  const joins = receiver.spans.filter((s) => s.kind === SERVER && s.attributes['webhook.event_type'] === 'participant.joined' && s.attributes['meeting.id'] === meeting.id);
  assert.ok(joins.length >= 1, 'the joins were traced');
  const written = receiver.spans.filter((s) => /^RunActivity:recordParticipant/.test(s.name) && joins.some((join) => receiver.ancestors(s).includes(join)));
  assert.ok(written.length >= 1, `a join's trace reaches the participant row's activity (${names(receiver.spans.filter((s) => s.traceId === joins[0]!.traceId)).join(', ')})`);

  // No path (ids, tokens) in any span name: routes only.
  assert.ok(receiver.spans.every((s) => !s.name.includes(meeting.id)), 'span names carry routes, not ids');

  // A request refused (the meeting has ended): its log line carries the meeting and the request's trace and span.
  assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Late' })).status, 409);
  const refused = logLines.find((line) => line.msg === 'request refused' && line.meetingId === meeting.id);
  assert.ok(refused && typeof refused.trace_id === 'string', JSON.stringify(refused));
  const requestSpan = () => receiver.spans.find((s) => s.kind === SERVER && s.name === 'POST /v1/meetings/:id/join' && s.traceId === refused.trace_id);
  for (let deadline = Date.now() + 10_000; !requestSpan() && Date.now() < deadline; await sleep(200)) await product.services.tracing.flush();
  assert.equal(requestSpan()?.spanId, refused.span_id, 'the line names the request span');
});

test('without an OTLP endpoint tracing is off', () => {
  assert.equal(parseConfig({ DATA_DIR: '/tmp/x', APP_SECRET: 'x'.repeat(32) }).tracing, null);
  assert.deepEqual(parseConfig({ DATA_DIR: '/tmp/x', APP_SECRET: 'x'.repeat(32), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing, { tracesUrl: 'http://collector:4318/v1/traces', serviceName: 'meeting-recorder' });
  assert.equal(parseConfig({ DATA_DIR: '/tmp/x', APP_SECRET: 'x'.repeat(32), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' }).tracing?.tracesUrl, 'http://b:4318/traces');
});
