// The openai-compatible summarizer against the chat completions stand-in: requests as OpenAI documents them,
// map-reduce within the token budget, reflection retries, and which failures are retryable.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import {
  createSummarizer,
  OfflineSummarizer,
  OpenAICompatibleSummarizer,
  SummaryServiceError,
  type MeetingSummary,
  type OpenAICompatibleSummarizerOptions,
} from '../summaries/index.ts';
import { strictJsonSchema } from '../summaries/schemas.ts';
import { startChatCompletionsStandIn, type ChatCompletionsStandIn } from '../summaries/stand-in-server.ts';
import { CHARS_PER_TOKEN, renderLine, transcriptLines } from '../summaries/transcript-text.ts';
import type { Segment } from '../transcripts/words.ts';

const API_KEY = 'sk-test-summaries-0123456789';
const MODEL = 'stand-in-model';

let standIn: ChatCompletionsStandIn;

before(async () => {
  standIn = await startChatCompletionsStandIn({ apiKey: API_KEY, models: [MODEL] });
});
after(() => standIn.close());
beforeEach(() => standIn.reset());

function summarizer(options: Partial<OpenAICompatibleSummarizerOptions> = {}) {
  return new OpenAICompatibleSummarizer({ baseUrl: standIn.baseUrl, apiKey: API_KEY, model: MODEL, backoffBaseMs: 1, backoffMaxMs: 5, ...options });
}

const SPEAKERS = ['Alice Martin', 'Bob Chen', 'Carol Diaz'];
const SENTENCES = [
  'The release candidate is ready but the integration tests still fail on the database migration.',
  'I will fix the flaky migration test before Wednesday and rerun the build.',
  'Marketing needs the release notes two days before the launch.',
  "Let's move the launch to next Friday so support has time to prepare.",
  'The staging server ran out of disk space again last night.',
  'We should add disk usage alerts to the monitoring dashboard.',
  'Customers keep asking about the export feature in the mobile app.',
  'Can we estimate the export work for the next sprint?',
];

/** A meeting of `turns` speaker turns, one every 20 s, deterministic. */
function meeting(turns: number): { segments: Segment[]; durationSeconds: number } {
  const segments = Array.from({ length: turns }, (_, i): Segment => ({
    speaker: i % SPEAKERS.length,
    speakerName: SPEAKERS[i % SPEAKERS.length]!,
    start: i * 20,
    end: i * 20 + 15,
    text: `${SENTENCES[i % SENTENCES.length]} ${SENTENCES[(i * 3 + 1) % SENTENCES.length]}`,
    words: [],
  }));
  return { segments, durationSeconds: turns * 20 + 5 };
}

function schemaName(body: any): string {
  return body.response_format.json_schema.name;
}

/** What the budget counts: every message's text plus the answer schema. */
function requestChars(body: any): number {
  return body.messages.reduce((sum: number, m: any) => sum + m.content.length, 0) + JSON.stringify(body.response_format.json_schema.schema).length;
}

function assertContiguous(summary: MeetingSummary, durationSeconds: number) {
  assert.ok(summary.topics.length > 0);
  assert.equal(summary.topics[0]!.start, 0);
  assert.equal(summary.topics.at(-1)!.end, durationSeconds);
  summary.topics.forEach((topic, i) => {
    assert.ok(topic.start <= topic.end, `topic ${i} runs backwards`);
    if (i > 0) assert.equal(topic.start, summary.topics[i - 1]!.end, `topic ${i} does not start where ${i - 1} ends`);
    assert.ok(topic.title.length > 0 && topic.summary.length > 0);
  });
}

async function rejectsWith(promise: Promise<unknown>, expected: { retryable: boolean; status?: number; message?: RegExp }) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SummaryServiceError, `expected SummaryServiceError, got ${String(error)}`);
    assert.equal(error.retryable, expected.retryable, error.message);
    assert.equal(error.status, expected.status);
    if (expected.message) assert.match(error.message, expected.message);
    return true;
  });
}

describe('openai-compatible summarizer', () => {
  it("tells every request the room's background and vocabulary, within a share of the budget", async () => {
    const input = { ...meeting(6), language: 'en', context: { background: 'The platform team of Acme; this weekly meeting plans the Kestrel release.', vocabulary: ['Kestrel', 'PGlite', 'Kestrel'] } };
    await summarizer().summarize(input);
    assert.deepEqual(standIn.problems, []);
    assert.equal(standIn.requests.length, 2);
    for (const request of standIn.requests) {
      const system = (request.body as any).messages[0].content as string;
      assert.match(system, /Background on this meeting series, from its organiser \(context only, not something said in this meeting\): The platform team of Acme; this weekly meeting plans the Kestrel release\./);
      assert.match(system, /Names and terms used in these meetings, spelled as they should be: Kestrel, PGlite\./);
    }
    standIn.reset();
    // A long background is cut to a sixteenth of the budget (2,000 tokens: 500 characters), and the request still fits.
    await summarizer({ maxPromptTokens: 2000 }).summarize({ ...input, context: { background: 'word '.repeat(2000) } });
    const system = (standIn.requests[0]!.body as any).messages[0].content as string;
    const background = system.split('meeting): ')[1]!;
    assert.ok(background.length <= 2000 * CHARS_PER_TOKEN / 16 + 1, `background of ${background.length} characters`);
    assert.deepEqual(standIn.problems, []);
    // Without either, the instructions are as they were.
    standIn.reset();
    await summarizer().summarize({ ...meeting(6), language: 'en' });
    assert.doesNotMatch((standIn.requests[0]!.body as any).messages[0].content, /Background|Names and terms/);
  });

  it('summarizes a short meeting in one topic call and one recap call, as the API documents', async () => {
    const input = { ...meeting(6), language: 'en' };
    const progress: Array<[number, number]> = [];
    const summary = await summarizer().summarize(input, { onProgress: (done, total) => progress.push([done, total]) });

    assert.deepEqual(standIn.problems, []);
    assert.deepEqual(standIn.requests.map((r) => schemaName(r.body)), ['meeting_topics', 'meeting_summary']);
    const [topicsRequest] = standIn.requests;
    assert.equal(topicsRequest!.method, 'POST');
    assert.equal(topicsRequest!.path, '/v1/chat/completions');
    assert.equal(topicsRequest!.authorization, `Bearer ${API_KEY}`);
    const body = topicsRequest!.body as any;
    assert.equal(body.model, MODEL);
    assert.deepEqual(body.messages.map((m: any) => m.role), ['system', 'user']);
    assert.match(body.messages[0].content, /Write in English/);
    assert.match(body.messages[1].content, /^Alice Martin \[00:00\]: The release candidate is ready/m);
    assert.match(body.messages[1].content, /^Carol Diaz \[00:40\]: /m);
    assert.equal(body.response_format.type, 'json_schema');
    assert.equal(body.response_format.json_schema.strict, true);
    assert.equal(body.response_format.json_schema.schema.additionalProperties, false);
    assert.ok(!('$schema' in body.response_format.json_schema.schema));

    assert.ok(summary.title.length > 0);
    assert.ok(summary.shortSummary.length > 0 && summary.longSummary.length > 0);
    assertContiguous(summary, input.durationSeconds);
    // The stand-in's commitments come from the topic summaries it was given.
    assert.ok(summary.actionItems.length > 0);
    assert.deepEqual(progress, [[1, 2], [2, 2]]);
  });

  it('splits a long meeting into chunk calls within the budget, then makes one recap call', async () => {
    const maxPromptTokens = 2500;
    const input = { ...meeting(240), language: 'en' };
    const summary = await summarizer({ maxPromptTokens, concurrency: 3 }).summarize(input);

    assert.deepEqual(standIn.problems, []);
    const names = standIn.requests.map((r) => schemaName(r.body));
    assert.ok(names.length >= 4, `only ${names.length} requests`);
    assert.deepEqual(names, [...Array(names.length - 1).fill('meeting_topics'), 'meeting_summary']);
    for (const request of standIn.requests) {
      assert.ok(requestChars(request.body) <= maxPromptTokens * CHARS_PER_TOKEN, `a ${schemaName(request.body)} request is over budget: ${requestChars(request.body)} chars`);
    }
    // Every line of the transcript went to exactly one chunk, in order.
    const sent = standIn.requests
      .filter((r) => schemaName(r.body) === 'meeting_topics')
      .map((r) => (r.body as any).messages[1].content as string)
      .sort((a, b) => Number(/part (\d+) of/.exec(a)![1]) - Number(/part (\d+) of/.exec(b)![1]))
      .flatMap((content) => content.split('Transcript:\n')[1]!.split('\n'));
    assert.deepEqual(sent, transcriptLines(input.segments, 2000).map(renderLine));

    assertContiguous(summary, input.durationSeconds);
    const chunks = names.length - 1;
    assert.ok(summary.topics.length >= chunks && summary.topics.length <= chunks * 3, `${summary.topics.length} topics from ${chunks} chunks`);
  });

  it('cuts a monologue longer than a chunk between words, keeping each piece within the budget', async () => {
    const maxPromptTokens = 2000;
    const text = Array.from({ length: 600 }, (_, i) => SENTENCES[i % SENTENCES.length]).join(' ');
    const segments: Segment[] = [{ speaker: 0, speakerName: 'Alice Martin', start: 0, end: 3600, text, words: [] }];
    const summary = await summarizer({ maxPromptTokens }).summarize({ segments, language: 'en', durationSeconds: 3600 });

    assert.deepEqual(standIn.problems, []);
    const chunkRequests = standIn.requests.filter((r) => schemaName(r.body) === 'meeting_topics');
    assert.ok(chunkRequests.length > 3);
    for (const request of standIn.requests) assert.ok(requestChars(request.body) <= maxPromptTokens * CHARS_PER_TOKEN);
    // The pieces are timed along the turn, so the topics spread over the hour.
    assertContiguous(summary, 3600);
    assert.ok(summary.topics.at(-1)!.start > 3000);
  });

  it('condenses topic summaries when even they do not fit one request, so no call grows with the meeting', async () => {
    const maxPromptTokens = 1800;
    const input = { ...meeting(900), language: 'en' };
    const progress: Array<[number, number]> = [];
    await summarizer({ maxPromptTokens, concurrency: 4 }).summarize(input, { onProgress: (done, total) => progress.push([done, total]) });

    assert.deepEqual(standIn.problems, []);
    const names = standIn.requests.map((r) => schemaName(r.body));
    assert.ok(names.includes('meeting_part_summary'), 'no condensing call');
    assert.equal(names.at(-1), 'meeting_summary');
    assert.equal(names.filter((n) => n === 'meeting_summary').length, 1);
    for (const request of standIn.requests) assert.ok(requestChars(request.body) <= maxPromptTokens * CHARS_PER_TOKEN);
    assert.deepEqual(progress.at(-1), [names.length, names.length]);
  });

  it('sends an invalid answer back with its problem, and succeeds on the next answer', async () => {
    standIn.behave({ invalidJson: 1 });
    const summary = await summarizer().summarize({ ...meeting(4), language: 'en' });
    assert.ok(summary.title);
    assert.deepEqual(standIn.requests.map((r) => r.answer), ['invalid-json', 'content', 'content']);
    const retry = (standIn.requests[1]!.body as any).messages;
    assert.deepEqual(retry.map((m: any) => m.role), ['system', 'user', 'assistant', 'user']);
    assert.equal(retry[2].content, standIn.requests[0]!.content);
    assert.match(retry[3].content, /not JSON/);
  });

  it('keeps reflection retries within the budget too', async () => {
    const maxPromptTokens = 2000;
    standIn.behave({ invalidJson: 2, schemaViolations: 2 });
    await summarizer({ maxPromptTokens, concurrency: 1, maxReflectionRetries: 4 }).summarize({ ...meeting(120), language: 'en' });
    assert.equal(standIn.requests.filter((r) => (r.body as any).messages.length === 4).length, 4);
    for (const request of standIn.requests) assert.ok(requestChars(request.body) <= maxPromptTokens * CHARS_PER_TOKEN, `${requestChars(request.body)} chars`);
  });

  it('names the schema mismatch in the reflection message', async () => {
    standIn.behave({ schemaViolations: 1 });
    await summarizer().summarize({ ...meeting(4), language: 'en' });
    const retry = (standIn.requests[1]!.body as any).messages;
    assert.match(retry.at(-1).content, /does not match the schema[\s\S]*topics/);
  });

  it('gives up after the configured reflection retries with a final error', async () => {
    standIn.behave({ schemaViolations: 10 });
    await rejectsWith(summarizer({ maxReflectionRetries: 2 }).summarize({ ...meeting(4), language: 'en' }), {
      retryable: false,
      message: /no valid meeting_topics answer in 3 attempts/,
    });
    assert.equal(standIn.requests.length, 3);
  });

  for (const status of [429, 500, 503]) {
    it(`reports ${status} as retryable once its own attempts are spent`, async () => {
      standIn.failNext({ status }, 5);
      await rejectsWith(summarizer({ maxAttempts: 2 }).summarize({ ...meeting(3), language: 'en' }), { retryable: true, status });
      assert.equal(standIn.requests.length, 2);
    });
  }

  it('repeats a request after 429 and 500 and then succeeds', async () => {
    standIn.failNext({ status: 429, retryAfterSeconds: 0 });
    standIn.failNext({ status: 500 });
    const summary = await summarizer({ maxAttempts: 3 }).summarize({ ...meeting(3), language: 'en' });
    assert.ok(summary.title);
    assert.deepEqual(standIn.requests.map((r) => r.answer), ['fault', 'fault', 'content', 'content']);
  });

  it('treats 429 insufficient_quota as final: waiting does not pay the bill', async () => {
    standIn.failNext({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota', message: 'You exceeded your current quota.' });
    await rejectsWith(summarizer().summarize({ ...meeting(3), language: 'en' }), { retryable: false, status: 429, message: /quota/ });
    assert.equal(standIn.requests.length, 1);
  });

  it('reports 400 as final, without repeating it', async () => {
    standIn.failNext({ status: 400, message: "This model's maximum context length is 8192 tokens.", code: 'context_length_exceeded' }, 3);
    await rejectsWith(summarizer().summarize({ ...meeting(3), language: 'en' }), { retryable: false, status: 400, message: /context_length_exceeded/ });
    assert.equal(standIn.requests.length, 1);
  });

  it('reports refused credentials (401) as final', async () => {
    await rejectsWith(summarizer({ apiKey: 'sk-wrong-key-000000' }).summarize({ ...meeting(3), language: 'en' }), {
      retryable: false,
      status: 401,
      message: /refused the credentials.*invalid_api_key/,
    });
    assert.equal(standIn.requests.length, 1);
  });

  it('reports an unknown model (404) as final', async () => {
    await rejectsWith(summarizer({ model: 'no-such-model' }).summarize({ ...meeting(3), language: 'en' }), { retryable: false, status: 404, message: /model_not_found/ });
  });

  it('reports a refusal as final', async () => {
    standIn.behave({ refusal: "I'm sorry, I can't help with that." });
    await rejectsWith(summarizer().summarize({ ...meeting(3), language: 'en' }), { retryable: false, status: 200, message: /refused to answer: I'm sorry/ });
    assert.equal(standIn.requests.length, 1);
  });

  it('reports a request timeout as retryable, without repeating it itself', async () => {
    standIn.behave({ delayMs: 1000 });
    const started = performance.now();
    await rejectsWith(summarizer({ requestTimeoutMs: 150, maxAttempts: 3 }).summarize({ ...meeting(3), language: 'en' }), {
      retryable: true,
      message: /timed out after 150 ms/,
    });
    assert.ok(performance.now() - started < 900);
    assert.equal(standIn.requests.length, 1);
  });

  it("rejects with the caller's abort reason when cancelled", async () => {
    standIn.behave({ delayMs: 1000 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(summarizer().summarize({ ...meeting(3), language: 'en' }, { signal: controller.signal }), (error) => error === reason);
  });

  it('calls nothing for a meeting in which nothing was said', async () => {
    const summary = await summarizer().summarize({ segments: [], language: 'en', durationSeconds: 60 });
    assert.deepEqual(summary, { title: 'Untitled meeting', shortSummary: '', longSummary: '', topics: [], actionItems: [] });
    assert.equal(standIn.requests.length, 0);
  });

  it('refuses a budget that leaves no room for the transcript', () => {
    assert.throws(() => summarizer({ maxPromptTokens: 500 }), RangeError);
  });
});

describe('strict structured output schemas', () => {
  it('are generated with every property required and no additional properties', () => {
    assert.throws(() => strictJsonSchema(z.object({ title: z.string(), note: z.string().optional() })), /every property must be required \(missing note\)/);
    assert.throws(() => strictJsonSchema(z.looseObject({ title: z.string() })), /additionalProperties must be false/);
  });
});

describe('chat completions stand-in', () => {
  const post = (body: unknown, headers: Record<string, string> = {}, path = '/v1/chat/completions', method = 'POST') =>
    fetch(standIn.baseUrl + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, ...headers },
      body: method === 'GET' ? undefined : JSON.stringify(body),
    });
  const valid = () => ({
    model: MODEL,
    messages: [{ role: 'user', content: 'Dana Lee [01:05]: We will ship the mobile export on Monday.' }],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'note', strict: true, schema: { type: 'object', properties: { title: { type: 'string' }, start: { type: 'string' } }, required: ['title', 'start'], additionalProperties: false } },
    },
  });

  it('answers in the documented shape with content that fits the schema and the prompt', async () => {
    const response = await post(valid());
    assert.equal(response.status, 200);
    const body = (await response.json()) as any;
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, MODEL);
    assert.equal(body.choices[0].index, 0);
    assert.equal(body.choices[0].finish_reason, 'stop');
    assert.equal(body.choices[0].message.role, 'assistant');
    assert.equal(body.choices[0].message.refusal, null);
    assert.deepEqual(JSON.parse(body.choices[0].message.content), { title: 'We will ship the mobile', start: '01:05' });
    assert.ok(body.usage.prompt_tokens > 0 && body.usage.total_tokens >= body.usage.prompt_tokens);
  });

  it('refuses requests that break the documented API, and records why', async () => {
    const cases: Array<[Promise<Response>, number, RegExp]> = [
      [post(valid(), {}, '/v1/completions'), 404, /Invalid URL/],
      [post(valid(), {}, '/v1/chat/completions', 'GET'), 405, /use POST/],
      [post(valid(), { authorization: '' }), 401, /didn't provide an API key/],
      [post({ ...valid(), model: undefined }), 400, /model parameter/],
      [post({ ...valid(), messages: [{ role: 'narrator', content: 'hi' }] }), 400, /role/],
      [post({ ...valid(), response_format: { type: 'json_object' } }), 400, /json_schema/],
      [post({ ...valid(), response_format: { type: 'json_schema', json_schema: { name: 'bad name!', schema: {} } } }), 400, /name/],
      [
        post({ ...valid(), response_format: { type: 'json_schema', json_schema: { name: 'loose', strict: true, schema: { type: 'object', properties: { a: { type: 'string' } } } } } }),
        400,
        /Invalid schema.*additionalProperties must be false.*missing a/,
      ],
    ];
    for (const [pending, status, message] of cases) {
      const response = await pending;
      const body = (await response.json()) as any;
      assert.equal(response.status, status, JSON.stringify(body));
      assert.match(body.error.message, message);
      assert.equal(typeof body.error.type, 'string');
      assert.ok('code' in body.error && 'param' in body.error);
    }
    assert.equal(standIn.problems.length, cases.length);
  });
});

describe('createSummarizer', () => {
  it('builds the engine the configuration names', () => {
    const online = createSummarizer({ engine: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' });
    assert.ok(online instanceof OpenAICompatibleSummarizer);
    assert.equal(online.name, 'openai-compatible');
    assert.equal(online.offline, false);
    assert.equal(online.endpoint, 'http://127.0.0.1:1/v1/chat/completions');
    const offline = createSummarizer({ engine: 'offline-extractive' });
    assert.ok(offline instanceof OfflineSummarizer);
    assert.equal(offline.name, 'offline-extractive');
    assert.equal(offline.offline, true);
    assert.throws(() => createSummarizer({ engine: 'magic' } as never), /unknown summary engine/);
  });
});
