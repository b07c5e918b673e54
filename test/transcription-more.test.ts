// More of the transcription pipeline end to end, on the real product (startTestProduct) with the Daily
// simulator, where recognition accuracy does not matter: the production engines (openai-compatible speech and
// summaries, against the local stand-ins), Temporal's retries of a failing speech service and a final 401, the
// room's signed outgoing webhook `transcript.completed` (retried on 503, not on 410), a silent participant,
// and, on a virtual simulator clock, a track that starts minutes after the recording.
// (The default engine, Whisper in the worker's own process, is test/transcription.test.ts.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFile, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { startWebDavServer, type WebDavTestServer } from './support/webdav.ts';
import { Recording } from '../db/entities.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../recordings/messages.ts';
import { parseTrackKey } from '../platforms/daily/recordings.ts';
import { parseWebVTT } from '../transcripts/exports.ts';
import { startSpeechStandIn, TRANSCRIPTIONS_PATH, type SpeechStandIn } from '../speech/stand-in-server.ts';
import { startChatCompletionsStandIn, type ChatCompletionsStandIn } from '../summaries/stand-in-server.ts';

const run = promisify(execFile);

const SPEECH_KEY = 'sk-speech-stand-in-key-0123456789';
const SUMMARY_KEY = 'sk-summary-stand-in-key-9876543210';
const WEBHOOK_SECRET = 'room-webhook-secret-0123456789abcdef';

// --- helpers -------------------------------------------------------------------------------------------------

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  receivedAtMs: number;
  answered: number;
}

/** The integrator's end of the room's outgoing webhook: records every POST; answers from a queue, then 200. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answered = answers.shift() ?? 200;
      deliveries.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), receivedAtMs: Date.now(), answered });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/transcripts`,
    deliveries,
    /** The next deliveries get these statuses, in order. */
    answerNext: (...statuses: number[]) => answers.push(...statuses),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** The documented check: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>, compared in constant time. */
function verifySignature(secret: string, delivery: Delivery): boolean {
  const timestamp = String(delivery.headers['x-webhook-timestamp'] ?? '');
  const signature = String(delivery.headers['x-webhook-signature'] ?? '');
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${delivery.raw}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface ActivityRun {
  type: string;
  /** The attempt that ended the activity (retries are not separate history events). */
  attempt: number;
  lastFailure: string | null;
  result: unknown;
  failure: string | null;
}

/** The activities of a workflow run, from its history: type, final attempt, result or failure. */
async function activityRuns(product: TestProduct, workflowId: string): Promise<ActivityRun[]> {
  const history = await product.services.temporal.workflow.getHandle(workflowId).fetchHistory();
  const byScheduled = new Map<string, ActivityRun>();
  const decode = (payload: { data?: Uint8Array | null } | undefined) => (payload?.data?.length ? JSON.parse(Buffer.from(payload.data).toString('utf8')) : undefined);
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) byScheduled.set(String(event.eventId), { type: scheduled.activityType?.name ?? '', attempt: 0, lastFailure: null, result: undefined, failure: null });
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const activity = byScheduled.get(String(started.scheduledEventId))!;
      activity.attempt = started.attempt ?? 0;
      activity.lastFailure = started.lastFailure?.message ?? null;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) byScheduled.get(String(completed.scheduledEventId))!.result = decode(completed.result?.payloads?.[0]);
    const failed = event.activityTaskFailedEventAttributes;
    if (failed) byScheduled.get(String(failed.scheduledEventId))!.failure = failed.failure?.message ?? 'failed';
  }
  return [...byScheduled.values()];
}

interface Said {
  from: number;
  to: number;
}

interface HeldMeeting {
  meetingId: string;
  recordingId: string;
  result: RecordingWorkflowResult;
  spoke: Map<string, Said[]>;
}

/** A meeting on a real-clock simulator: everyone joins, the recording starts, the lines are said, everyone leaves. */
async function holdMeeting(
  product: TestProduct,
  room: string,
  people: Array<{ name: string; voice?: string }>,
  lines: Array<[string, string]>,
): Promise<HeldMeeting> {
  const sim = product.daily;
  const meeting = (await product.request('POST', `/v1/rooms/${room}/meetings`)).body;
  const sessions = new Map<string, string>();
  for (const [i, person] of people.entries()) {
    const joined = await sim.join(meeting.platformRoomName, { userName: person.name, userId: person.name.toLowerCase(), owner: i === 0, ...(person.voice && { voice: person.voice }) });
    sessions.set(person.name, joined.sessionId);
  }
  assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
  const spoke = new Map<string, Said[]>();
  for (const [who, text] of lines) {
    const said = await sim.say(sessions.get(who)!, { text });
    spoke.set(who, [...(spoke.get(who) ?? []), { from: said.atMs, to: said.atMs + said.durationMs }]);
    await sleep(said.durationMs + 800);
  }
  for (const sessionId of sessions.values()) await sim.leave(sessionId);

  const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
  const raw = state.recordings.filter((r) => r.kind === 'raw-tracks');
  assert.equal(raw.length, 1, JSON.stringify(state.recordings));
  const recordingId = raw[0]!.id;
  const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(recordingId)).result();
  return { meetingId: meeting.id, recordingId, result, spoke };
}

/** Reprocess a recording through the API and wait for the new run's result; returns it with the wall time taken. */
async function reprocess(product: TestProduct, recordingId: string): Promise<{ result: RecordingWorkflowResult; seconds: number }> {
  const started = performance.now();
  const answer = await product.request('POST', `/v1/recordings/${recordingId}/reprocess`);
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(recordingId)).result();
  return { result, seconds: (performance.now() - started) / 1000 };
}

async function recordingStartMs(product: TestProduct, recordingId: string): Promise<number> {
  const recording = await product.services.db.em.fork().findOneOrFail(Recording, recordingId);
  return parseTrackKey(recording.trackKeys![0]!)!.recordingStartMs;
}

async function mp3Seconds(product: TestProduct, transcriptId: string): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mp3-more-'));
  const mp3 = await fetch(`${product.url}/v1/transcripts/${transcriptId}/audio.mp3`, { headers: product.adminHeaders });
  assert.equal(mp3.status, 200);
  assert.equal(mp3.headers.get('content-type'), 'audio/mpeg');
  const file = path.join(dir, 'audio.mp3');
  await writeFile(file, Buffer.from(await mp3.arrayBuffer()));
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout);
}

type TranscriptSegment = { speakerName: string; start: number; end: number; text: string };

function userText(body: unknown): string {
  const messages = (body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? [];
  return messages.filter((m) => m.role === 'user').map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
}

const schemaName = (body: unknown) => (body as { response_format?: { json_schema?: { name?: string } } }).response_format?.json_schema?.name;

// --- production engines, retries and the room's outgoing webhook (real simulator clock) ------------------

describe('transcription with the production engines and the room webhook', () => {
  let speech: SpeechStandIn;
  let chat: ChatCompletionsStandIn;
  let receiver: Receiver;
  let product: TestProduct;
  let first: HeldMeeting;
  let firstSegments: TranscriptSegment[];
  let second: HeldMeeting;
  let dav: WebDavTestServer;

  before(async () => {
    dav = await startWebDavServer();
    speech = await startSpeechStandIn({ apiKey: SPEECH_KEY, models: ['whisper-1'] });
    chat = await startChatCompletionsStandIn({ apiKey: SUMMARY_KEY, models: ['gpt-4o-mini'] });
    receiver = await startReceiver();
    product = await startTestProduct({
      name: 'transcribemore',
      env: {
        RECORDING_READY_TIMEOUT_SECONDS: '30',
        SPEECH_ENGINE: 'openai-compatible', SPEECH_API_URL: speech.baseUrl, SPEECH_API_KEY: SPEECH_KEY, SPEECH_MODEL: 'whisper-1',
        SUMMARY_ENGINE: 'openai-compatible', SUMMARY_API_URL: chat.baseUrl, SUMMARY_API_KEY: SUMMARY_KEY, SUMMARY_MODEL: 'gpt-4o-mini',
      },
    });
    // The room's vocabulary and background reach the recognizer's prompt and every summary request.
    assert.equal((await product.request('POST', '/v1/rooms', {
      name: 'planning', recordingTrigger: 'automatic', vocabulary: ['Kestrel', 'PGlite'], background: 'The release team of Acme plans the Kestrel launch here.',
    })).status, 201);
    const patched = await product.request('PATCH', '/v1/rooms/planning', { webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.webhookUrl, receiver.url);
    assert.equal(patched.body.hasWebhookSecret, true);
    assert.equal(patched.body.webhookSecret, undefined, 'the secret is never shown');
    // The room's owner (the admin) keeps copies in their own WebDAV folder.
    const folder = await product.request('PUT', '/v1/me/webdav', { url: dav.url, username: dav.username, password: dav.password });
    assert.equal(folder.status, 200, JSON.stringify(folder.body));
  });
  after(async () => {
    await product?.stop();
    await speech?.close();
    await chat?.close();
    await receiver?.close();
    await dav?.stop();
  });

  it('transcribes and summarizes a 2-person meeting through the openai-compatible speech and summary services', { timeout: 180_000 }, async () => {
    first = await holdMeeting(product, 'planning', [{ name: 'Alice', voice: 'en-us' }, { name: 'Bob', voice: 'en-gb' }], [
      ['Alice', 'Let us plan the next release. We ship on Friday.'],
      ['Bob', 'I will write the release notes tomorrow.'],
      ['Alice', 'Good, and I will update the changelog.'],
    ]);
    assert.equal(first.result.transcriptStatus, 'ended', JSON.stringify(first.result));
    assert.deepEqual(first.result.warnings, []);
    const transcriptId = first.result.transcriptId!;

    const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    assert.equal(transcript.status, 'ended');
    assert.equal(transcript.error, null);
    assert.deepEqual(transcript.engines, { speech: 'openai-compatible:whisper-1', summary: 'openai-compatible', offline: false });
    assert.deepEqual(transcript.participants.map((p: { name: string }) => p.name).sort(), ['Alice', 'Bob']);

    // Speech: exactly one well-formed request per chunk the tracks were cut into, all answered.
    const runs = await activityRuns(product, recordingWorkflowId(first.recordingId));
    const chunks = runs.filter((r) => r.type === 'prepareTrack').reduce((sum, r) => sum + (r.result as { chunks: number }).chunks, 0);
    assert.equal(runs.filter((r) => r.type === 'prepareTrack').length, 2);
    assert.ok(chunks >= 2, `${chunks} chunk(s)`);
    assert.equal(speech.requests.length, chunks, 'one speech request per chunk');
    for (const request of speech.requests) {
      assert.equal(request.status, 200, request.refusal);
      assert.equal(request.method, 'POST');
      assert.equal(request.path, TRANSCRIPTIONS_PATH);
      assert.equal(request.headers.authorization, `Bearer ${SPEECH_KEY}`);
      assert.deepEqual(request.fields.model, ['whisper-1']);
      assert.deepEqual(request.fields.response_format, ['verbose_json']);
      assert.deepEqual(request.fields['timestamp_granularities[]'], ['word', 'segment']);
      assert.deepEqual(request.fields.language, ['en']);
      assert.match(request.fields.prompt?.[0] ?? '', /^Terms: Kestrel, PGlite\. Participants: .*\b(Alice|Bob)\b/);
      assert.match(request.file!.filename, /\.wav$/);
      assert.equal(request.file!.wav!.sampleRate, 16_000);
      assert.equal(request.file!.wav!.channels, 1);
      assert.equal(request.file!.wav!.bitsPerSample, 16);
    }

    // Each speaker's (placeholder) words sit where that person spoke.
    firstSegments = transcript.segments;
    assert.ok(firstSegments.length >= 3, JSON.stringify(firstSegments));
    const startMs = await recordingStartMs(product, first.recordingId);
    for (const segment of firstSegments) {
      assert.match(segment.text, /^word\d+( word\d+)*$/, 'the stand-in\'s placeholder words');
      const inside = first.spoke.get(segment.speakerName)!.some((w) => segment.start >= (w.from - startMs) / 1000 - 1 && segment.end <= (w.to - startMs) / 1000 + 1);
      assert.ok(inside, `${segment.speakerName} at ${segment.start}–${segment.end}s is outside where they spoke`);
    }

    // Summaries: valid structured-output requests with the key; the transcript lines carry speaker names.
    assert.deepEqual(chat.problems, []);
    assert.ok(chat.requests.length >= 2, `${chat.requests.length} chat request(s)`);
    for (const request of chat.requests) {
      assert.equal(request.authorization, `Bearer ${SUMMARY_KEY}`);
      const system = (request.body as { messages: Array<{ content: string }> }).messages[0]!.content;
      assert.match(system, /Background on this meeting series.*The release team of Acme plans the Kestrel launch here\./);
      assert.match(system, /spelled as they should be: Kestrel, PGlite\./);
      assert.equal(request.answer, 'content');
      assert.equal((request.body as { model: string }).model, 'gpt-4o-mini');
    }
    const topicRequests = chat.requests.filter((r) => schemaName(r.body) === 'meeting_topics');
    assert.ok(topicRequests.length >= 1);
    const prompt = topicRequests.map((r) => userText(r.body)).join('\n');
    assert.match(prompt, /^Alice \[\d\d:\d\d\]: word\d+/m);
    assert.match(prompt, /^Bob \[\d\d:\d\d\]: word\d+/m);
    const recap = chat.requests.find((r) => schemaName(r.body) === 'meeting_summary');
    assert.ok(recap, 'a recap request');
    assert.match(userText(recap.body), /Participants: Alice, Bob\./);

    // Title and summaries are the stand-in's answer.
    const answer = JSON.parse(recap.content!) as { title: string; shortSummary: string; longSummary: string };
    assert.ok(answer.title);
    assert.equal(transcript.title, answer.title.trim());
    assert.equal(transcript.shortSummary, answer.shortSummary.trim());
    assert.equal(transcript.longSummary, answer.longSummary.trim());
    assert.ok(transcript.topics.length >= 1);

    // Copied to the owner's WebDAV folder by the workflow's last step: the transcript as WebVTT and text, and the audio.
    const copied = (await readdir(dav.root, { recursive: true })).map(String);
    const vtt = copied.find((f) => f.startsWith('planning/') && f.endsWith('transcript.vtt'));
    assert.ok(vtt, `copied: ${copied.join(', ')}`);
    assert.equal(await readFile(path.join(dav.root, vtt), 'utf8'), await (await fetch(`${product.url}/v1/transcripts/${transcriptId}/export?format=vtt`, { headers: product.adminHeaders })).text());
    assert.ok(copied.some((f) => f.endsWith('transcript.txt')) && copied.some((f) => f.endsWith('audio.mp3')), copied.join(', '));
    const recording = (await product.request('GET', `/v1/recordings/${first.recordingId}`)).body;
    assert.deepEqual(recording.ownerCopy.files.map((f: { name: string; outcome: string }) => [f.name, f.outcome]), [['transcript.vtt', 'sent'], ['transcript.txt', 'sent'], ['audio.mp3', 'sent']]);
  });

  it('sends the room one signed transcript.completed webhook with the transcript', async () => {
    const transcriptId = first.result.transcriptId!;
    const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    assert.equal(receiver.deliveries.length, 1, 'exactly one delivery');
    const delivery = receiver.deliveries[0]!;
    assert.equal(delivery.headers['content-type'], 'application/json');
    assert.equal(delivery.headers['x-webhook-event'], 'transcript.completed');
    assert.equal(delivery.headers['x-webhook-id'], transcriptId);
    assert.equal(delivery.headers['x-webhook-attempt'], '1');
    assert.match(String(delivery.headers['x-webhook-signature']), /^v1=[0-9a-f]{64}$/);
    assert.ok(verifySignature(WEBHOOK_SECRET, delivery), 'the signature verifies over the raw body');
    assert.ok(!verifySignature('some-other-secret-0123456789', delivery), 'and not with another secret');
    const timestamp = Number(delivery.headers['x-webhook-timestamp']);
    assert.ok(Number.isInteger(timestamp), String(delivery.headers['x-webhook-timestamp']));
    assert.ok(Math.abs(timestamp - delivery.receivedAtMs / 1000) <= 30, `timestamp ${timestamp} vs received ${delivery.receivedAtMs / 1000}`);

    const body = JSON.parse(delivery.raw);
    assert.equal(body.event, 'transcript.completed');
    assert.equal(body.transcript.id, transcriptId);
    assert.equal(body.transcript.recordingId, first.recordingId);
    assert.equal(body.transcript.meetingId, first.meetingId);
    assert.equal(body.transcript.roomName, 'planning');
    assert.equal(body.transcript.title, transcript.title);
    assert.ok(body.transcript.title);
    assert.deepEqual(body.transcript.participants.map((p: { name: string }) => p.name).sort(), ['Alice', 'Bob']);
    assert.equal(body.transcript.url, `${product.url}/v1/transcripts/${transcriptId}`);
    const cues = parseWebVTT(body.transcript.webvtt);
    assert.ok(cues.length >= 3);
    assert.deepEqual([...new Set(cues.map((c) => c.voice))].sort(), ['Alice', 'Bob']);
    const exported = await (await fetch(`${product.url}/v1/transcripts/${transcriptId}/export?format=vtt`, { headers: product.adminHeaders })).text();
    assert.equal(body.transcript.webvtt, exported);
  });

  it('rides out two 500s from the speech service on reprocess: Temporal retries the track', { timeout: 120_000 }, async () => {
    speech.requests.length = 0;
    speech.failNext({ status: 500 }, 2);
    const stored = await product.services.db.em.fork().findOneOrFail(Recording, first.recordingId);
    const { result } = await reprocess(product, first.recordingId);
    // The rerun keeps what the first run stored of the tracks: their size, and the platform's facts that place them.
    const restored = await product.services.db.em.fork().findOneOrFail(Recording, first.recordingId);
    assert.ok(stored.sizeBytes! > 0);
    assert.equal(restored.sizeBytes, stored.sizeBytes);
    assert.deepEqual(restored.trackFacts, stored.trackFacts);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    assert.equal(result.transcriptId, first.result.transcriptId);
    assert.deepEqual(result.warnings, []);
    assert.equal(speech.requests.filter((r) => r.status === 500).length, 2);
    assert.ok(speech.requests.slice(2).every((r) => r.status === 200));

    const runs = await activityRuns(product, recordingWorkflowId(first.recordingId));
    const transcribed = runs.filter((r) => r.type === 'transcribeTrack');
    assert.equal(transcribed.length, 2);
    assert.ok(transcribed.every((r) => r.failure === null));
    const retried = transcribed.filter((r) => r.attempt > 1);
    assert.ok(retried.length >= 1, 'a transcribeTrack activity took more than one attempt');
    assert.ok(retried.every((r) => /500/.test(r.lastFailure ?? '')), JSON.stringify(retried));

    // The stand-in is deterministic: the same turns as the first run.
    const transcript = (await product.request('GET', `/v1/transcripts/${result.transcriptId}`)).body;
    assert.equal(transcript.status, 'ended');
    assert.deepEqual(transcript.segments, firstSegments);
    // Every run of the pipeline tells the room again, under the same id.
    assert.equal(receiver.deliveries.length, 2);
    assert.equal(receiver.deliveries[1]!.headers['x-webhook-id'], first.result.transcriptId);
  });

  it('fails a track for good on a 401 (no retries): a warning for one track, an error when every track fails', { timeout: 120_000 }, async () => {
    // One 401: the first track to ask fails at once; the other is transcribed.
    speech.requests.length = 0;
    speech.failNext({ status: 401 }, 1);
    const one = await reprocess(product, first.recordingId);
    assert.ok(one.seconds < 240, `took ${one.seconds.toFixed(1)} s`);
    assert.equal(one.result.transcriptStatus, 'ended', JSON.stringify(one.result));
    assert.equal(one.result.warnings!.length, 1, JSON.stringify(one.result.warnings));
    assert.match(one.result.warnings![0]!, /^track \d \((Alice|Bob)\): .*401/);
    assert.equal(speech.requests.filter((r) => r.status === 401).length, 1, 'the 401 is not retried');
    let runs = await activityRuns(product, recordingWorkflowId(first.recordingId));
    const refused = runs.filter((r) => r.type === 'transcribeTrack' && r.failure !== null);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.attempt, 1, 'a single attempt');
    const failedName = /\((Alice|Bob)\)/.exec(one.result.warnings![0]!)![1]!;
    let transcript = (await product.request('GET', `/v1/transcripts/${one.result.transcriptId}`)).body;
    assert.equal(transcript.status, 'ended');
    assert.match(transcript.error, /^warnings: track \d .*401/);
    const speakers = new Set((transcript.segments as TranscriptSegment[]).map((s) => s.speakerName));
    assert.ok(!speakers.has(failedName), `${failedName}'s track failed`);
    assert.equal(speakers.size, 1);

    // Two 401s: each track's first request is refused, so every track fails and the transcript is in error.
    speech.requests.length = 0;
    speech.failNext({ status: 401 }, 2);
    const all = await reprocess(product, first.recordingId);
    assert.ok(all.seconds < 240, `took ${all.seconds.toFixed(1)} s`);
    assert.equal(all.result.transcriptStatus, 'error', JSON.stringify(all.result));
    assert.ok(all.result.warnings!.some((w) => /every track failed/.test(w)), JSON.stringify(all.result.warnings));
    assert.equal(speech.requests.length, 2, 'one request per track, none repeated');
    assert.ok(speech.requests.every((r) => r.status === 401));
    runs = await activityRuns(product, recordingWorkflowId(first.recordingId));
    assert.deepEqual(runs.filter((r) => r.type === 'transcribeTrack').map((r) => [r.attempt, r.failure !== null]), [[1, true], [1, true]]);
    transcript = (await product.request('GET', `/v1/transcripts/${all.result.transcriptId}`)).body;
    assert.equal(transcript.status, 'error');
    assert.match(transcript.error, /every track failed.*401/);
    const recording = await product.services.db.em.fork().findOneOrFail(Recording, first.recordingId);
    assert.equal(recording.status, 'failed');
    assert.equal(receiver.deliveries.length, 3, 'a transcript in error is not announced as completed');
  });

  it('retries the room webhook after two 503s and delivers it on the third attempt; a silent participant has no words and no error', { timeout: 180_000 }, async () => {
    receiver.deliveries.length = 0;
    receiver.answerNext(503, 503);
    speech.requests.length = 0;
    second = await holdMeeting(product, 'planning', [{ name: 'Carol', voice: 'en-us+f3' }, { name: 'Dan' }], [
      ['Carol', 'Dan is muted today, so I will take the notes myself.'],
    ]);
    assert.equal(second.result.transcriptStatus, 'ended', JSON.stringify(second.result));
    assert.deepEqual(second.result.warnings, [], 'the silent track is no error');
    const transcriptId = second.result.transcriptId!;
    assert.notEqual(transcriptId, first.result.transcriptId);

    assert.deepEqual(receiver.deliveries.map((d) => [d.headers['x-webhook-attempt'], d.answered]), [['1', 503], ['2', 503], ['3', 200]]);
    for (const delivery of receiver.deliveries) {
      assert.equal(delivery.headers['x-webhook-id'], transcriptId);
      assert.ok(verifySignature(WEBHOOK_SECRET, delivery), `attempt ${delivery.headers['x-webhook-attempt']} is signed`);
    }
    // Temporal's backoff (1 s, then 2 s) between the attempts.
    const [a, b, c] = receiver.deliveries.map((d) => d.receivedAtMs) as [number, number, number];
    assert.ok(b - a >= 800 && c - b >= 1600, `attempts ${b - a} ms and ${c - b} ms apart`);
    const body = JSON.parse(receiver.deliveries[2]!.raw);
    assert.deepEqual(body.transcript.participants.map((p: { name: string }) => p.name).sort(), ['Carol', 'Dan']);

    const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    assert.equal(transcript.status, 'ended');
    assert.equal(transcript.error, null);
    const segments = transcript.segments as TranscriptSegment[];
    assert.ok(segments.length >= 1);
    assert.deepEqual([...new Set(segments.map((s) => s.speakerName))], ['Carol'], 'Dan said nothing');
    // Dan's track was prepared and transcribed like any other; it has no chunk with a voice, or no words.
    const runs = await activityRuns(product, recordingWorkflowId(second.recordingId));
    const transcribed = runs.filter((r) => r.type === 'transcribeTrack');
    assert.equal(transcribed.length, 2);
    assert.ok(transcribed.every((r) => r.failure === null));
    assert.deepEqual(transcribed.map((r) => (r.result as { wordCount: number }).wordCount).filter((n) => n === 0).length, 1);
  });

  it('does not retry a room webhook answered 410', { timeout: 120_000 }, async () => {
    receiver.deliveries.length = 0;
    receiver.answerNext(410);
    await reprocess(product, second.recordingId);
    await sleep(4_000); // longer than the first two retry intervals (1 s, 2 s)
    assert.deepEqual(receiver.deliveries.map((d) => [d.headers['x-webhook-attempt'], d.answered]), [['1', 410]], 'one delivery, not retried');
    const runs = await activityRuns(product, recordingWorkflowId(second.recordingId));
    const sent = runs.filter((r) => r.type === 'sendTranscriptWebhook');
    assert.deepEqual(sent.map((r) => [r.attempt, r.failure]), [[1, 'webhook answered 410']]);
  });

  // Product bug: sendTranscriptWebhook runs inside the workflow's try (workflows/recording.ts:156), so its
  // non-retryable WebhookRefused (activities/transcription.ts:305) lands in the catch (recording.ts:159-164):
  // failTranscript turns the transcript that finishTranscript had just ended into `error` ("webhook answered
  // 410") and the recording into `failed`; the workflow result says transcriptStatus 'error'.
  it('keeps the transcript ended when the room webhook refuses the delivery', { timeout: 120_000 }, async () => {
    receiver.answerNext(410);
    const { result } = await reprocess(product, second.recordingId);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    const transcript = (await product.request('GET', `/v1/transcripts/${second.result.transcriptId}`)).body;
    assert.equal(transcript.status, 'ended');
    assert.ok(transcript.segments.length >= 1);
    const recording = await product.services.db.em.fork().findOneOrFail(Recording, second.recordingId);
    assert.equal(recording.status, 'completed');
  });
});

// --- a track that starts minutes after the recording (virtual simulator clock) ---------------------------

describe('a late joiner on a virtual simulator clock', () => {
  let speech: SpeechStandIn;
  let chat: ChatCompletionsStandIn;
  let receiver: Receiver;
  let product: TestProduct;

  before(async () => {
    speech = await startSpeechStandIn({ apiKey: SPEECH_KEY });
    chat = await startChatCompletionsStandIn({ apiKey: SUMMARY_KEY });
    receiver = await startReceiver();
    product = await startTestProduct({
      name: 'latejoiner',
      env: {
        RECORDING_READY_TIMEOUT_SECONDS: '30',
        SPEECH_ENGINE: 'openai-compatible', SPEECH_API_URL: speech.baseUrl, SPEECH_API_KEY: SPEECH_KEY,
        SUMMARY_ENGINE: 'openai-compatible', SUMMARY_API_URL: chat.baseUrl, SUMMARY_API_KEY: SUMMARY_KEY,
      },
      daily: { clock: { mode: 'virtual' } },
    });
    await product.request('POST', '/v1/rooms', { name: 'standup', recordingTrigger: 'automatic' });
    await product.request('PATCH', '/v1/rooms/standup', { webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET });
  });
  after(async () => {
    await product?.stop();
    await speech?.close();
    await chat?.close();
    await receiver?.close();
  });

  it('places words of a participant who joins 3 minutes into the recording at ≥ 180 s', { timeout: 240_000 }, async () => {
    const sim = product.daily;
    assert.equal((await sim.clock()).mode, 'virtual');
    const meeting = (await product.request('POST', '/v1/rooms/standup/meetings')).body;
    const ann = await sim.join(meeting.platformRoomName, { userName: 'Ann', userId: 'ann', owner: true, voice: 'en-us' });
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    await sim.advance(1_000);
    const annSaid = await sim.say(ann.sessionId, { text: 'Good morning. I start the recording and wait for Ben.' });
    await sim.advance(annSaid.durationMs + 1_000);

    await sim.advance(180_000);
    const ben = await sim.join(meeting.platformRoomName, { userName: 'Ben', userId: 'ben', voice: 'en-gb' });
    await sim.advance(1_000);
    const benSaid = await sim.say(ben.sessionId, { text: 'Sorry I am late. The train was stuck outside the station.' });
    await sim.advance(benSaid.durationMs + 1_000);
    await sim.leave(ann.sessionId);
    await sim.leave(ben.sessionId);
    await sim.advance(2_000); // past the grace before meeting.ended: the recording stops
    // Measured now, before the pipeline's wall-clock time passes: the virtual timeline is minutes ahead.
    const virtualAheadMs = (await sim.clock()).nowMs - Date.now();

    const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    const raw = state.recordings.filter((r) => r.kind === 'raw-tracks');
    assert.equal(raw.length, 1, JSON.stringify(state));
    const recordingId = raw[0]!.id;
    const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(recordingId)).result();
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    assert.deepEqual(result.warnings, []);

    const recording = await product.services.db.em.fork().findOneOrFail(Recording, recordingId);
    const startMs = await recordingStartMs(product, recordingId);
    const benTrack = recording.trackKeys!.map((key) => parseTrackKey(key)!).find((t) => t.sessionId === ben.sessionId && t.mediaType === 'cam-audio')!;
    assert.ok(benTrack.trackStartMs - startMs >= 180_000, `Ben's track starts ${(benTrack.trackStartMs - startMs) / 1000} s in`);
    assert.ok(recording.durationSeconds! >= 185, `recording ${recording.durationSeconds} s`);

    const transcript = (await product.request('GET', `/v1/transcripts/${result.transcriptId}`)).body;
    assert.equal(transcript.status, 'ended');
    const segments = transcript.segments as TranscriptSegment[];
    const window = (said: { atMs: number; durationMs: number }) => ({ from: (said.atMs - startMs) / 1000 - 1, to: (said.atMs + said.durationMs - startMs) / 1000 + 1 });
    const annWindow = window(annSaid);
    const benWindow = window(benSaid);
    const bens = segments.filter((s) => s.speakerName === 'Ben');
    const anns = segments.filter((s) => s.speakerName === 'Ann');
    assert.ok(bens.length >= 1 && anns.length >= 1, JSON.stringify(segments));
    for (const s of bens) {
      assert.ok(s.start >= 180, `Ben at ${s.start} s`);
      assert.ok(s.start >= benWindow.from && s.end <= benWindow.to, `Ben at ${s.start}–${s.end} s, spoke ${JSON.stringify(benWindow)}`);
    }
    for (const s of anns) {
      assert.ok(s.start >= annWindow.from && s.end <= annWindow.to, `Ann at ${s.start}–${s.end} s, spoke ${JSON.stringify(annWindow)}`);
      assert.ok(s.end < 30, 'Ann spoke early');
    }
    assert.ok(Math.abs(transcript.durationSeconds - recording.durationSeconds!) < 0.01);

    // The mixed-down MP3 lasts as long as the recording, Ben's late track included.
    const seconds = await mp3Seconds(product, result.transcriptId!);
    assert.ok(Math.abs(seconds - recording.durationSeconds!) <= 1.5, `mp3 ${seconds} s vs recording ${recording.durationSeconds} s`);

    // The virtual timeline runs ahead of the wall clock; the outgoing webhook's timestamp stays wall-clock.
    assert.ok(virtualAheadMs >= 170_000, `the simulator's timeline is minutes ahead (${virtualAheadMs} ms)`);
    const delivery = await waitFor('the transcript.completed webhook', () => receiver.deliveries[0]);
    assert.ok(verifySignature(WEBHOOK_SECRET, delivery));
    assert.ok(Math.abs(Number(delivery.headers['x-webhook-timestamp']) - delivery.receivedAtMs / 1000) <= 30);
  });
});
