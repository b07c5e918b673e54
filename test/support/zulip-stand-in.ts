// Zulip's server for tests, on a loopback port: the stream-message part of its REST API as documented
// (https://zulip.com/api/send-message, /api/update-message, /api/get-message, /api/rest-error-handling), with its
// answers word for word: HTTP Basic auth as a bot, form-encoded bodies, {"result":"error","msg","code"} refusals.
// Content is kept as sent (a real server also renders it to HTML in `content`; here `content` is the markdown).
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ZulipStandInMessage {
  id: number;
  stream: string;
  topic: string;
  content: string;
  /** The bot's email. */
  sender: string;
  edits: number;
}

export interface ZulipStandIn {
  /** The organization's URL (`http://127.0.0.1:<port>`), a ZulipTarget's `site`. */
  url: string;
  /** Every message sent and not deleted, live. */
  messages: ZulipStandInMessage[];
  /** The next `times` requests (1 unless told) are answered `status`: a 429 as Zulip's rate limit, a 5xx as a proxy's plain failure. */
  failNext(status: number, times?: number, retryAfterSeconds?: number): void;
  /** An administrator deletes a message: editing it is then refused as "Invalid message(s)". */
  deleteMessage(id: number): void;
  close(): Promise<void>;
}

/** Zulip's settings.MAX_MESSAGE_LENGTH and MAX_TOPIC_NAME_LENGTH: longer content and topics are cut, not refused. */
const MAX_MESSAGE_LENGTH = 10_000;
const MAX_TOPIC_NAME_LENGTH = 60;

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

const success = (fields: Record<string, unknown> = {}): Answer => ({ status: 200, body: { result: 'success', msg: '', ...fields } });
const refusal = (status: number, msg: string, code = 'BAD_REQUEST', fields: Record<string, unknown> = {}): Answer =>
  ({ status, body: { result: 'error', msg, code, ...fields } });
const missing = (name: string): Answer => refusal(400, `Missing '${name}' argument`, 'REQUEST_VARIABLE_MISSING', { var_name: name });

/** Zulip's truncate_content: cut to `limit` characters, the marker included. */
function truncated(text: string, limit: number, marker: string): string {
  return text.length > limit ? text.slice(0, limit - marker.length) + marker : text;
}

export async function startZulipStandIn(options: { bots?: Array<{ email: string; apiKey: string }>; streams?: string[] } = {}): Promise<ZulipStandIn> {
  const bots = options.bots ?? [{ email: 'recorder-bot@zulip.example.com', apiKey: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5' }];
  const streams = options.streams ?? ['meetings'];
  const messages: ZulipStandInMessage[] = [];
  let nextId = 1;
  let failure: { status: number; times: number; retryAfterSeconds: number } | null = null;

  /** The bot named by the Authorization header, or Zulip's 401. */
  function authenticate(req: IncomingMessage): { email: string } | Answer {
    const header = req.headers.authorization;
    if (!header) {
      return { ...refusal(401, 'Not logged in: API authentication or user session required', 'UNAUTHORIZED'), headers: { 'www-authenticate': 'Basic realm="zulip"' } };
    }
    const [scheme, encoded = ''] = header.split(' ');
    if (scheme?.toLowerCase() !== 'basic') return refusal(401, 'This endpoint requires HTTP basic authentication.', 'UNAUTHORIZED');
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const email = decoded.slice(0, colon);
    const apiKey = decoded.slice(colon + 1);
    const bot = colon >= 0 ? bots.find((candidate) => candidate.apiKey === apiKey) : undefined;
    // Zulip looks the user up by API key, then checks the email matches: either way "Invalid API key".
    if (!bot || bot.email.toLowerCase() !== email.toLowerCase()) return refusal(401, 'Invalid API key', 'INVALID_API_KEY');
    return { email: bot.email };
  }

  /** The stream `to` names: a name, an ID, or a JSON list of one name. */
  function streamNamed(to: string): string | Answer {
    let name = to;
    try {
      const parsed: unknown = JSON.parse(to);
      if (Array.isArray(parsed) && parsed.length === 1) name = String(parsed[0]);
      else if (typeof parsed === 'number') {
        const byId = streams[parsed - 1];
        return byId ?? refusal(400, `Channel with ID '${parsed}' does not exist`, 'STREAM_DOES_NOT_EXIST', { stream_id: parsed });
      }
    } catch {
      // A plain name.
    }
    return streams.find((stream) => stream.toLowerCase() === name.toLowerCase()) ?? refusal(400, `Channel '${name}' does not exist`, 'STREAM_DOES_NOT_EXIST', { stream: name });
  }

  function send(sender: string, form: URLSearchParams): Answer {
    const type = form.get('type');
    if (type === null) return missing('type');
    const to = form.get('to');
    if (to === null) return missing('to');
    const content = form.get('content');
    if (content === null) return missing('content');
    if (type === 'private' || type === 'direct') return refusal(400, 'Direct messages are not part of this stand-in');
    if (type !== 'stream' && type !== 'channel') return refusal(400, 'Invalid message type');
    const stream = streamNamed(to);
    if (typeof stream !== 'string') return stream;
    const topic = form.get('topic') ?? form.get('subject');
    if (topic === null) return refusal(400, 'Missing topic');
    const body = content.trimEnd().replace(/^\n+/, '');
    if (!body) return refusal(400, 'Message must not be empty');
    if (body.includes('\0')) return refusal(400, 'Message must not contain null bytes');
    const id = nextId++;
    messages.push({
      id, stream, sender, edits: 0,
      topic: truncated(topic.trim(), MAX_TOPIC_NAME_LENGTH, '...'),
      content: truncated(body, MAX_MESSAGE_LENGTH, '\n[message truncated]'),
    });
    return success({ id });
  }

  function edit(sender: string, id: number, form: URLSearchParams): Answer {
    const message = messages.find((candidate) => candidate.id === id);
    if (!message) return refusal(400, 'Invalid message(s)');
    const content = form.get('content');
    const topic = form.get('topic') ?? form.get('subject');
    if (content === null && topic === null && form.get('stream_id') === null) return refusal(400, 'Nothing to change');
    if (content !== null && message.sender !== sender) return refusal(400, "You don't have permission to edit this message");
    if (topic !== null) {
      if (!topic.trim()) return refusal(400, "Topic can't be empty");
      message.topic = truncated(topic.trim(), MAX_TOPIC_NAME_LENGTH, '...');
    }
    if (content !== null) {
      // An empty edit is how Zulip users "delete" content: it shows as (deleted).
      const body = content.trimEnd().replace(/^\n+/, '');
      message.content = body ? truncated(body, MAX_MESSAGE_LENGTH, '\n[message truncated]') : '(deleted)';
    }
    message.edits++;
    return success({ detached_uploads: [] });
  }

  function read(id: number): Answer {
    const message = messages.find((candidate) => candidate.id === id);
    if (!message) return refusal(400, 'Invalid message(s)');
    return success({
      raw_content: message.content,
      message: {
        id: message.id, type: 'stream', content: message.content, content_type: 'text/x-markdown',
        subject: message.topic, display_recipient: message.stream, sender_email: message.sender,
        stream_id: streams.indexOf(message.stream) + 1, ...(message.edits && { last_edit_timestamp: Math.floor(Date.now() / 1000) }),
      },
    });
  }

  function answer(req: IncomingMessage, raw: string): Answer {
    if (failure) {
      const { status, retryAfterSeconds } = failure;
      if (--failure.times <= 0) failure = null;
      if (status === 429) {
        return {
          ...refusal(429, 'API usage exceeded rate limit', 'RATE_LIMIT_HIT', { 'retry-after': retryAfterSeconds }),
          headers: { 'retry-after': String(retryAfterSeconds) },
        };
      }
      return refusal(status, STATUS_CODES[status] ?? 'Error');
    }
    const url = new URL(req.url ?? '/', 'http://zulip.invalid');
    const route = /^\/api\/v1\/messages(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!route) return refusal(404, 'Endpoint does not exist');
    const bot = authenticate(req);
    if ('status' in bot) return bot;
    // Zulip reads parameters from the query string and from a form-encoded body alike.
    const form = new URLSearchParams(url.search);
    if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [name, value] of new URLSearchParams(raw)) form.set(name, value);
    }
    const idText = route[1];
    if (idText === undefined) return req.method === 'POST' ? send(bot.email, form) : refusal(405, 'Method Not Allowed', 'BAD_REQUEST');
    if (!/^\d+$/.test(idText)) return refusal(404, 'Endpoint does not exist');
    const id = Number(idText);
    if (req.method === 'PATCH') return edit(bot.email, id, form);
    if (req.method === 'GET') return read(id);
    return refusal(405, 'Method Not Allowed', 'BAD_REQUEST');
  }

  function reply(res: ServerResponse, result: Answer): void {
    if (result.status >= 500) {
      // What a proxy in front of Zulip says when the application is down: not Zulip's JSON.
      res.writeHead(result.status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${result.status} ${STATUS_CODES[result.status] ?? 'Error'}\n`);
      return;
    }
    res.writeHead(result.status, { 'content-type': 'application/json', ...result.headers }).end(JSON.stringify(result.body));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => reply(res, answer(req, Buffer.concat(chunks).toString('utf8'))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    failNext(status, times = 1, retryAfterSeconds = 1) {
      failure = { status, times, retryAfterSeconds };
    },
    deleteMessage(id) {
      const index = messages.findIndex((message) => message.id === id);
      if (index >= 0) messages.splice(index, 1);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
