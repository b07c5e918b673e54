// The API's /metrics after a real meeting (Daily simulator, espeak speech, the product's Whisper): parsed by the
// Prometheus project's own parser of its text format (test/support/prometheus.ts), the counters moved as the meeting
// did: webhooks by outcome (one refused for its signature), their answer times and arrival → applied lag, the
// platform's API calls, speech by engine, the pipeline per audio minute, storage written, the database's gauges;
// admins only; no meeting or recording id ever a label.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { histogramCount, metricFamily as family, metricValue as value, parseExposition, type MetricFamily } from './support/prometheus.ts';
import { holdRecordedMeeting, sendForgedDailyWebhook } from './support/recorded-meeting.ts';

let product: TestProduct;
before(async () => {
  product = await startTestProduct({ name: 'metrics', env: { RECORDING_READY_TIMEOUT_SECONDS: '30' } });
});
after(() => product?.stop());

async function scrape(): Promise<MetricFamily[]> {
  const response = await fetch(`${product.url}/metrics`, { headers: product.adminHeaders });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

test('after a meeting, /metrics shows its webhooks, recordings, speech, pipeline and storage', { timeout: 300_000 }, async () => {
  assert.equal((await fetch(`${product.url}/metrics`)).status, 401, 'no credential');
  const before = await scrape();
  assert.equal(family(before, 'meetings_open')?.type, 'GAUGE');
  assert.ok(family(before, 'process_resident_memory_bytes'), "prom-client's process metrics are there");

  // A webhook with a bad signature: refused, and counted as such.
  const refusedCode = await sendForgedDailyWebhook(product);

  const { meeting, raw, result } = await holdRecordedMeeting(product, 'metrics-room');

  const text = await (await fetch(`${product.url}/metrics`, { headers: product.adminHeaders })).text();
  for (const id of [meeting.id, raw.id, result.transcriptId!]) assert.ok(!text.includes(id), `no id (${id}) in the metrics`);
  const now = await scrape();
  const delta = (name: string, labels: Record<string, string> = {}) => value(now, name, labels) - value(before, name, labels);

  // Webhooks: the meeting's were recorded (joins, leaves, recording events), the forged one refused with its code.
  const rows = await product.services.db.em.getConnection().execute<Array<{ count: string | number }>>(`select count(*) as count from webhook_event where platform = 'daily' and meeting_id = ?`, [meeting.id]);
  const recorded = Number(rows[0]!.count);
  assert.ok(recorded >= 4, `the meeting's webhooks were recorded (${recorded})`);
  assert.ok(delta('webhooks_received_total', { platform: 'daily', outcome: 'accepted' }) >= recorded, `accepted ≥ the ${recorded} rows of this meeting`);
  assert.equal(delta('webhooks_received_total', { platform: 'daily', outcome: refusedCode }), 1, `the forged webhook counted as ${refusedCode}`);
  assert.equal(histogramCount(now, 'webhook_response_seconds', { platform: 'daily' }) - histogramCount(before, 'webhook_response_seconds', { platform: 'daily' }), delta('webhooks_received_total', { platform: 'daily' }), 'each answered webhook was timed');
  assert.equal(family(now, 'webhook_response_seconds')?.type, 'HISTOGRAM');
  // Each participant webhook (two joins, two leaves) timed from its arrival to its session's row.
  assert.ok(histogramCount(now, 'webhook_applied_lag_seconds') - histogramCount(before, 'webhook_applied_lag_seconds') >= 4, 'arrival → applied observed per participant event');

  // The platform's API through the seam: the room made, the recordings started, each call ok.
  assert.ok(delta('platform_api_requests_total', { platform: 'daily', operation: 'createRoom', outcome: 'ok' }) >= 1);
  assert.ok(delta('platform_api_requests_total', { platform: 'daily', operation: 'startRecording', outcome: 'ok' }) >= 1);
  assert.equal(delta('platform_api_requests_total', { platform: 'daily', outcome: 'server_error' }), 0);

  // Speech: both tracks' chunks, by the engine the transcript names; the pipeline once for this recording.
  const engine = (await product.request('GET', `/v1/transcripts/${result.transcriptId}`)).body.engines.speech as string;
  assert.ok(histogramCount(now, 'speech_recognition_realtime_ratio', { engine }) >= 2, `at least one chunk per track heard by ${engine}`);
  assert.ok(value(now, 'speech_recognized_audio_seconds_total', { engine }) > 2);
  assert.equal(value(now, 'speech_recognition_failures_total', { engine }), 0);
  assert.equal(histogramCount(now, 'transcript_processing_seconds_per_audio_minute', { kind: 'raw-tracks' }), 1);
  assert.ok(delta('storage_written_bytes_total') > 10_000, 'tracks, chunks, words and exports were written');

  // The database's gauges: nothing open, the recording completed, its transcript ended.
  assert.equal(value(now, 'meetings_open'), 0);
  assert.equal(value(now, 'recordings', { kind: 'raw-tracks', status: 'completed' }), 1);
  assert.equal(value(now, 'transcripts', { status: 'ended' }), 1);

  // A signed-in user who is not an admin may not read them.
  const user = await product.createUser({ email: 'metrics-viewer@example.com' });
  assert.equal((await product.as(user.headers)('GET', '/metrics')).status, 403);
});
