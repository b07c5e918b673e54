// A local stand-in for an OpenAI-compatible `POST /v1/chat/completions` with structured output, for tests and
// the product's end-to-end runs. It is not a model and does not pretend to be one: it checks each request as
// OpenAI's API reference describes it, then answers in the documented shape with content generated
// deterministically from the requested JSON Schema and the transcript lines in the prompt (titles are the
// first words of a line, times are the lines' timestamps).
//
// Checked, as documented: POST, the path, a JSON body, `model`, `messages` (roles system|developer|user|
// assistant|tool; string or text-part content), `response_format: { type: 'json_schema', json_schema: { name
// (a-zA-Z0-9_-, ≤ 64), schema (object), strict } }`, and with `strict: true` the strict subset (root object,
// every object `additionalProperties: false` with all properties required). A bearer key when configured.
// Errors use OpenAI's body: `{ error: { message, type, param, code } }`.
// Knobs: invalid JSON or schema-breaking answers the next K times, a refusal, error answers on demand
// (429, 500, 400, 401, …), a delay; every request is recorded.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRecord, strictSchemaProblems } from './schemas.ts';
import { estimateTokens, formatTimestamp, parseTimestamp } from './transcript-text.ts';

export interface ChatStandInOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** When set, only these models exist; others get 404 `model_not_found`. */
  models?: string[];
  /** Default: any free port on 127.0.0.1. */
  port?: number;
  host?: string;
}

/** An error answer, in OpenAI's shape; type and code default by status. */
export interface ChatStandInFault {
  status: number;
  message?: string;
  type?: string;
  code?: string | null;
  retryAfterSeconds?: number;
}

export interface ChatStandInBehaviour {
  /** Answer the next K valid requests with content that is not JSON. */
  invalidJson: number;
  /** Then answer the next K with JSON that breaks the requested schema (a required property missing). */
  schemaViolations: number;
  /** Refuse every request with this text (`message.refusal`), or answer normally (null). */
  refusal: string | null;
  /** Error answers for the next requests, in order, before normal answers resume. */
  faults: ChatStandInFault[];
  /** Wait before answering. */
  delayMs: number;
}

export type ChatStandInAnswer = 'content' | 'invalid-json' | 'schema-violation' | 'refusal' | 'fault' | 'rejected' | 'abandoned';

export interface RecordedChatRequest {
  method: string;
  path: string;
  authorization: string | null;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  /** Why the request does not match the documented API, or null when it does. */
  problem: string | null;
  answer: ChatStandInAnswer;
  /** The answer's `message.content`, when there was one. */
  content: string | null;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const MAX_BODY_BYTES = 10 * 1024 * 1024;

class RequestProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  constructor(status: number, message: string, options: { type?: string; param?: string | null; code?: string | null } = {}) {
    super(message);
    this.status = status;
    this.type = options.type ?? 'invalid_request_error';
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }
}

export class ChatCompletionsStandIn {
  /** The server root: engines append `/v1/chat/completions`. */
  readonly baseUrl: string;
  readonly requests: RecordedChatRequest[] = [];
  readonly #server: ReturnType<typeof createServer>;
  readonly #options: ChatStandInOptions;
  #behaviour: ChatStandInBehaviour = defaultBehaviour();
  #completions = 0;

  constructor(server: ReturnType<typeof createServer>, options: ChatStandInOptions) {
    this.#server = server;
    this.#options = options;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
  }

  /** Change some knobs; the rest stay as they are. */
  behave(change: Partial<ChatStandInBehaviour>): void {
    this.#behaviour = { ...this.#behaviour, ...change, faults: [...(change.faults ?? this.#behaviour.faults)] };
  }

  /** Answer the next `times` requests with this error. */
  failNext(fault: ChatStandInFault, times = 1): void {
    for (let i = 0; i < times; i++) this.#behaviour.faults.push(fault);
  }

  /** Default knobs and no recorded requests. */
  reset(): void {
    this.#behaviour = defaultBehaviour();
    this.requests.length = 0;
  }

  /** Requests that broke the documented API, with why. */
  get problems(): string[] {
    return this.requests.flatMap((request) => (request.problem ? [`${request.method} ${request.path}: ${request.problem}`] : []));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const record: RecordedChatRequest = {
      method: req.method ?? '',
      path,
      authorization: req.headers.authorization ?? null,
      body: undefined,
      problem: null,
      answer: 'rejected',
      content: null,
    };
    this.requests.push(record);
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    try {
      const raw = await readBody(req);
      if (path.replace(/\/+$/, '') !== '/v1/chat/completions') throw new RequestProblem(404, `Invalid URL (${req.method} ${path})`);
      if (req.method !== 'POST') throw new RequestProblem(405, `Invalid method for URL (${req.method} ${path}); use POST`);
      this.#checkAuthorization(req.headers.authorization);
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new RequestProblem(400, `Content-Type must be application/json, got '${req.headers['content-type'] ?? ''}'`);
      }
      try {
        record.body = JSON.parse(raw);
      } catch {
        throw new RequestProblem(400, 'We could not parse the JSON body of your request. The body must be valid JSON.');
      }
      const request = this.#checkBody(record.body);

      const behaviour = this.#behaviour;
      if (behaviour.delayMs > 0) await sleep(behaviour.delayMs, undefined, { signal: gone.signal }).catch(() => undefined);
      if (gone.signal.aborted) {
        record.answer = 'abandoned';
        return;
      }
      const fault = behaviour.faults.shift();
      if (fault) {
        record.answer = 'fault';
        sendFault(res, fault);
        return;
      }
      const { content, answer } = this.#content(request, behaviour);
      record.answer = answer;
      record.content = content;
      this.#completions++;
      const promptChars = request.messages.reduce((sum, message) => sum + messageText(message).length, 0);
      const completionTokens = estimateTokens(content ?? behaviour.refusal ?? '');
      sendJson(res, 200, {
        id: `chatcmpl-standin-${this.#completions}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal: answer === 'refusal' ? behaviour.refusal : null, annotations: [] },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: Math.ceil(promptChars / 4),
          completion_tokens: completionTokens,
          total_tokens: Math.ceil(promptChars / 4) + completionTokens,
        },
        system_fingerprint: 'stand-in',
      });
    } catch (error) {
      if (!(error instanceof RequestProblem)) {
        // The client went away mid-request, or the stand-in itself broke: say so rather than crash the test.
        record.answer = 'abandoned';
        sendJson(res, 500, { error: { message: `stand-in failure: ${(error as Error).message}`, type: 'server_error', param: null, code: null } });
        return;
      }
      record.problem = error.message;
      sendJson(res, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } });
    }
  }

  #checkAuthorization(header: string | undefined): void {
    const key = this.#options.apiKey;
    if (!key) return;
    if (!header) {
      throw new RequestProblem(401, "You didn't provide an API key. Provide it in an Authorization header as 'Bearer YOUR_KEY'.");
    }
    const match = /^Bearer (.+)$/.exec(header);
    if (!match || match[1] !== key) {
      throw new RequestProblem(401, `Incorrect API key provided: ${redact(match?.[1] ?? header)}.`, { code: 'invalid_api_key' });
    }
  }

  #checkBody(body: unknown): ChatRequest {
    if (!isRecord(body)) throw new RequestProblem(400, 'The body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') {
      throw new RequestProblem(400, 'You must provide a model parameter.', { param: 'model' });
    }
    if (this.#options.models && !this.#options.models.includes(body.model)) {
      throw new RequestProblem(404, `The model '${body.model}' does not exist or you do not have access to it.`, { code: 'model_not_found', param: 'model' });
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      throw new RequestProblem(400, "'messages' must be a non-empty array.", { param: 'messages' });
    }
    body.messages.forEach((message: unknown, i) => checkMessage(message, i));
    if (body.stream === true) throw new RequestProblem(400, 'This stand-in does not stream; send stream: false.', { param: 'stream' });
    if (body.temperature !== undefined && !(typeof body.temperature === 'number' && body.temperature >= 0 && body.temperature <= 2)) {
      throw new RequestProblem(400, "'temperature' must be a number from 0 to 2.", { param: 'temperature' });
    }

    const format = body.response_format;
    if (!isRecord(format)) {
      throw new RequestProblem(400, "This stand-in answers structured output only: send response_format { type: 'json_schema', … }.", { param: 'response_format' });
    }
    if (format.type !== 'json_schema') {
      throw new RequestProblem(400, `This stand-in answers response_format type 'json_schema' only, got '${String(format.type)}'.`, { param: 'response_format.type' });
    }
    const spec = format.json_schema;
    if (!isRecord(spec)) throw new RequestProblem(400, "Missing required parameter: 'response_format.json_schema'.", { param: 'response_format.json_schema' });
    if (typeof spec.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(spec.name)) {
      throw new RequestProblem(400, "'response_format.json_schema.name' must be 1-64 characters of a-z, A-Z, 0-9, _ or -.", { param: 'response_format.json_schema.name' });
    }
    if (!isRecord(spec.schema)) {
      throw new RequestProblem(400, "'response_format.json_schema.schema' must be a JSON Schema object.", { param: 'response_format.json_schema.schema' });
    }
    if (spec.strict !== undefined && spec.strict !== null && typeof spec.strict !== 'boolean') {
      throw new RequestProblem(400, "'response_format.json_schema.strict' must be a boolean.", { param: 'response_format.json_schema.strict' });
    }
    if (spec.strict === true) {
      const problems = strictSchemaProblems(spec.schema);
      if (problems.length > 0) {
        throw new RequestProblem(400, `Invalid schema for response_format '${spec.name}': ${problems.join('; ')}`, { param: 'response_format', code: 'invalid_json_schema' });
      }
    }
    return { model: body.model, messages: body.messages as ChatRequest['messages'], schemaName: spec.name, schema: spec.schema };
  }

  #content(request: ChatRequest, behaviour: ChatStandInBehaviour): { content: string | null; answer: ChatStandInAnswer } {
    if (behaviour.refusal !== null) return { content: null, answer: 'refusal' };
    const lines = promptLines(request.messages);
    const value = generate(request.schema, request.schema, lines, null);
    if (behaviour.invalidJson > 0) {
      behaviour.invalidJson--;
      const json = JSON.stringify(value);
      return { content: json.slice(0, Math.max(1, Math.floor(json.length / 2))), answer: 'invalid-json' };
    }
    if (behaviour.schemaViolations > 0) {
      behaviour.schemaViolations--;
      return { content: JSON.stringify(breakSchema(request.schema, value)), answer: 'schema-violation' };
    }
    return { content: JSON.stringify(value), answer: 'content' };
  }
}

export async function startChatCompletionsStandIn(options: ChatStandInOptions = {}): Promise<ChatCompletionsStandIn> {
  const server = createServer();
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  return new ChatCompletionsStandIn(server, options);
}

function defaultBehaviour(): ChatStandInBehaviour {
  return { invalidJson: 0, schemaViolations: 0, refusal: null, faults: [], delayMs: 0 };
}

interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: unknown }>;
  schemaName: string;
  schema: Record<string, unknown>;
}

function checkMessage(message: unknown, i: number): void {
  const param = `messages[${i}]`;
  if (!isRecord(message)) throw new RequestProblem(400, `'${param}' must be an object.`, { param });
  if (typeof message.role !== 'string' || !ROLES.has(message.role)) {
    throw new RequestProblem(400, `'${param}.role' must be one of ${[...ROLES].join(', ')}, got '${String(message.role)}'.`, { param: `${param}.role` });
  }
  const { content } = message;
  const textParts = Array.isArray(content) && content.every((part) => isRecord(part) && part.type === 'text' && typeof part.text === 'string');
  const nullAllowed = content === null && message.role === 'assistant';
  if (typeof content !== 'string' && !textParts && !nullAllowed) {
    throw new RequestProblem(400, `'${param}.content' must be a string or an array of text parts.`, { param: `${param}.content` });
  }
}

function messageText(message: { content: unknown }): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) return message.content.map((part: { text?: string }) => part.text ?? '').join('\n');
  return '';
}

/** A timestamped line of the prompt: "Name [mm:ss]: text" (a transcript) or "[mm:ss-mm:ss] text" (topics). */
interface PromptLine {
  name: string | null;
  start: number;
  end: number;
  text: string;
}

const LINE = /^(?:(?<name>[^[\n]+?) )?\[(?<start>\d+:\d{2}(?::\d{2})?)(?:-(?<end>\d+:\d{2}(?::\d{2})?))?\]:? (?<text>.+)$/gm;

function promptLines(messages: ChatRequest['messages']): PromptLine[] {
  const userText = messages.filter((message) => message.role === 'user').map(messageText);
  const lines = userText.flatMap((text) =>
    [...text.matchAll(LINE)].map((match) => {
      const start = parseTimestamp(match.groups!.start!) ?? 0;
      return { name: match.groups!.name?.trim() || null, start, end: parseTimestamp(match.groups!.end ?? '') ?? start, text: match.groups!.text!.trim() };
    }),
  );
  if (lines.length > 0) return lines;
  return [{ name: null, start: 0, end: 0, text: (userText[0] ?? '').replace(/\s+/g, ' ').trim() || 'Nothing was said' }];
}

/** A value that satisfies `schema`, made from the prompt's lines; `key` is the property being filled. */
function generate(root: Record<string, unknown>, schema: unknown, lines: PromptLine[], key: string | null): unknown {
  if (!isRecord(schema)) return null;
  if (typeof schema.$ref === 'string') return generate(root, resolveRef(root, schema.$ref), lines, key);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0] ?? null;
  const anyOf = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(anyOf)) {
    const branch = anyOf.find((b) => isRecord(b) && b.type !== 'null') ?? anyOf[0];
    return generate(root, branch, lines, key);
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== 'null') ?? types[0];
  const first = lines[0]!;
  const last = lines.at(-1)!;
  switch (type) {
    case 'object': {
      const properties = isRecord(schema.properties) ? schema.properties : {};
      return Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, generate(root, child, lines, name)]));
    }
    case 'array':
      return generateArray(root, schema, lines);
    case 'string': {
      let text: string;
      if (key && /start|begin/i.test(key)) text = formatTimestamp(first.start);
      else if (key && /end/i.test(key)) text = formatTimestamp(last.end);
      else if (key && /title|name|subject|heading/i.test(key)) text = titleFrom(first.text);
      else text = lines.slice(0, 2).map((line) => (line.name ? `${line.name}: ` : '') + firstWords(line.text, 20)).join(' ');
      return typeof schema.maxLength === 'number' ? text.slice(0, schema.maxLength) : text;
    }
    case 'number':
    case 'integer': {
      let n = key && /start|begin/i.test(key) ? first.start : key && /end/i.test(key) ? last.end : lines.length;
      if (typeof schema.minimum === 'number') n = Math.max(n, schema.minimum);
      if (typeof schema.maximum === 'number') n = Math.min(n, schema.maximum);
      return type === 'integer' ? Math.floor(n) : n;
    }
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/** Objects: one per run of lines (up to three); strings: the lines that sound like commitments. */
function generateArray(root: Record<string, unknown>, schema: Record<string, unknown>, lines: PromptLine[]): unknown[] {
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  const items = isRecord(schema.items) && typeof schema.items.$ref === 'string' ? resolveRef(root, schema.items.$ref) : schema.items;
  const isString = isRecord(items) && items.type === 'string';
  if (isString) {
    const committed = lines.filter((line) => /\b(will|should|let's|need to|going to)\b/i.test(line.text)).slice(0, Math.min(3, max));
    const chosen = committed.length >= min ? committed : lines.slice(0, min);
    return chosen.map((line) => (line.name ? `${line.name}: ` : '') + firstWords(line.text, 20));
  }
  const count = Math.max(min, Math.min(3, max, lines.length));
  return Array.from({ length: count }, (_, i) => {
    const group = lines.slice(Math.floor((i * lines.length) / count), Math.floor(((i + 1) * lines.length) / count));
    return generate(root, items, group.length > 0 ? group : lines, null);
  });
}

/** The value with one required property removed (or, lacking one, a property of the wrong type). */
function breakSchema(schema: Record<string, unknown>, value: unknown): unknown {
  if (!isRecord(value)) return { unexpected: true };
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const broken: Record<string, unknown> = { ...value };
  if (required[0] !== undefined) delete broken[required[0]];
  else broken[Object.keys(broken)[0] ?? 'unexpected'] = 42;
  return broken;
}

function resolveRef(root: Record<string, unknown>, ref: string): unknown {
  if (!ref.startsWith('#')) throw new RequestProblem(400, `This stand-in resolves local $refs only, got '${ref}'.`, { param: 'response_format' });
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) node = isRecord(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return node;
}

function firstWords(text: string, n: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  return words.length <= n ? words.join(' ') : `${words.slice(0, n).join(' ')}…`;
}

function titleFrom(text: string): string {
  const title = firstWords(text.replace(/[^\p{L}\p{N}\s'-]/gu, ' '), 5).replace(/…$/, '');
  return title ? title.charAt(0).toUpperCase() + title.slice(1) : 'Untitled';
}

function redact(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 3)}****${key.slice(-4)}`;
}

function sendFault(res: ServerResponse, fault: ChatStandInFault): void {
  const defaults: Record<number, { type: string; code: string | null; message: string }> = {
    400: { type: 'invalid_request_error', code: null, message: 'Bad request.' },
    401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
    403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported.' },
    404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
    429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again later.' },
    500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
    503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
  };
  const base = defaults[fault.status] ?? { type: fault.status >= 500 ? 'server_error' : 'invalid_request_error', code: null, message: `Error ${fault.status}.` };
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
  sendJson(res, fault.status, { error: { message: fault.message ?? base.message, type: fault.type ?? base.type, param: null, code: fault.code === undefined ? base.code : fault.code } }, headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestProblem(413, 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
