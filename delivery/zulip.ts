// A finished meeting's summary posted to a Zulip stream and topic, and that one message edited in place when the
// transcript is corrected, over Zulip's REST API (https://zulip.com/api/send-message, /api/update-message): HTTP
// Basic auth as the bot (`<bot email>:<API key>`), form-encoded bodies, JSON answers whose `result` is "success" or
// "error" (with a `code`, which clients should check rather than the translated `msg`: /api/rest-error-handling).
import { isRetryableStatus } from '../runtime/retryable.ts';

/** Where a summary goes: a Zulip organization (`https://example.zulipchat.com`), the bot posting it, and where. */
export interface ZulipTarget {
  site: string;
  botEmail: string;
  apiKey: string;
  stream: string;
  topic: string;
}

/**
 * What Zulip answered, in words for the room's owner, never with the API key. `status` is the HTTP status, 0 when
 * Zulip could not be reached or did not answer in time; `code` is Zulip's error code (INVALID_API_KEY,
 * STREAM_DOES_NOT_EXIST, RATE_LIMIT_HIT, BAD_REQUEST…) when it gave one. Retryable: no answer, 408, 429 and 5xx
 * (runtime/retryable.ts); any other 4xx is a refusal the same request gets again.
 */
export class ZulipError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryable: boolean;
  /** How long Zulip asked to wait (its `Retry-After` header, else `retry-after` in the JSON); may be fractional. */
  readonly retryAfterSeconds?: number;
  constructor(message: string, answer: { status: number; code?: string; retryable: boolean; retryAfterSeconds?: number }) {
    super(message);
    this.name = 'ZulipError';
    this.status = answer.status;
    this.code = answer.code;
    this.retryable = answer.retryable;
    if (answer.retryAfterSeconds !== undefined) this.retryAfterSeconds = answer.retryAfterSeconds;
  }
}

type ZulipAnswer = Record<string, unknown>;

function without(secret: string, text: string): string {
  return secret ? text.split(secret).join('[api key]') : text;
}

function secondsFrom(value: unknown): number | undefined {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** One request to `{site}/api/v1/<path>` as the bot; the JSON answer when Zulip says "success", else a ZulipError. */
async function callZulip(target: ZulipTarget, method: 'GET' | 'POST' | 'PATCH', path: string, form: Record<string, string> | null, what: string): Promise<ZulipAnswer> {
  const url = `${target.site.replace(/\/+$/, '')}/api/v1/${path}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${target.botEmail}:${target.apiKey}`, 'utf8').toString('base64')}`,
        accept: 'application/json',
        'user-agent': 'meeting-recorder-zulip/1',
        ...(form && { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(form && { body: new URLSearchParams(form).toString() }),
      signal: AbortSignal.timeout(10_000),
    });
    text = await response.text();
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? 'no answer within 10 s' : ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    throw new ZulipError(without(target.apiKey, `${what}: Zulip at ${target.site} could not be reached (${reason})`), { status: 0, retryable: true });
  }
  let answer: ZulipAnswer | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) answer = parsed as ZulipAnswer;
  } catch {
    // A proxy in front of Zulip (a 502 from nginx) answers HTML or plain text.
  }
  if (response.ok && answer?.result === 'success') return answer;

  const status = response.status;
  const code = typeof answer?.code === 'string' ? answer.code : undefined;
  const said = typeof answer?.msg === 'string' && answer.msg ? answer.msg : response.statusText || 'no reason given';
  const retryAfterSeconds = secondsFrom(response.headers.get('retry-after')) ?? secondsFrom(answer?.['retry-after']);
  const meaning = status === 401 ? 'Zulip refused the bot’s email or API key'
    : status === 429 ? `Zulip asked to slow down${retryAfterSeconds !== undefined ? ` for ${retryAfterSeconds} s` : ''}`
      : response.ok ? 'Zulip did not say it succeeded'
        : `Zulip answered ${status}`;
  throw new ZulipError(without(target.apiKey, `${what}: ${meaning} (${[code, said].filter(Boolean).join(': ')})`), {
    status,
    ...(code !== undefined && { code }),
    // A 2xx without "success" is not something waiting fixes.
    retryable: !response.ok && isRetryableStatus(status),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  });
}

function where(target: ZulipTarget): string {
  return `#${target.stream} > ${target.topic}`;
}

/**
 * Posts `content` (Zulip markdown) to the target's stream and topic as a stream message. Zulip cuts content past
 * 10,000 characters (ending it with "[message truncated]") and topics past 60 rather than refusing them.
 */
export async function postZulipMessage(target: ZulipTarget, content: string): Promise<{ messageId: number }> {
  const what = `posting to ${where(target)}`;
  // "stream" rather than the newer "channel": every Zulip version accepts it.
  const answer = await callZulip(target, 'POST', 'messages', { type: 'stream', to: target.stream, topic: target.topic, content }, what);
  if (typeof answer.id !== 'number' || !Number.isInteger(answer.id)) {
    throw new ZulipError(`${what}: Zulip said it succeeded but gave no message id`, { status: 200, retryable: false });
  }
  return { messageId: answer.id };
}

/**
 * Replaces the content of a message the bot posted. Only the content is sent: the message stays in the topic it was
 * posted in (moving it would need the organization's topic-editing permission). Zulip refuses edits after the
 * organization's time limit for editing (a 400 BAD_REQUEST, "The time limit for editing this message has passed").
 */
export async function editZulipMessage(target: ZulipTarget, messageId: number, content: string): Promise<void> {
  await callZulip(target, 'PATCH', `messages/${encodeURIComponent(String(messageId))}`, { content }, `editing message ${messageId} in ${where(target)}`);
}

/**
 * True when a refused edit was refused because the message is gone (deleted, or no longer visible to the bot):
 * a 404, or Zulip's 400 BAD_REQUEST "Invalid message(s)". Zulip translates `msg` into the bot's language, so when the
 * words differ the message itself is asked for: it is gone when that is refused the same way.
 */
async function messageIsGone(target: ZulipTarget, messageId: number, error: ZulipError): Promise<boolean> {
  if (error.status === 404) return true;
  if (error.status !== 400 || error.code !== 'BAD_REQUEST') return false;
  if (error.message.includes('Invalid message(s)')) return true;
  try {
    await callZulip(target, 'GET', `messages/${encodeURIComponent(String(messageId))}`, null, `looking up message ${messageId}`);
    return false;
  } catch (lookup) {
    return lookup instanceof ZulipError && (lookup.status === 404 || (lookup.status === 400 && lookup.code === 'BAD_REQUEST'));
  }
}

/**
 * Delivers a meeting's summary: edits the message posted before when there is one, so a corrected transcript
 * updates the same message; posts a new one when there is none, or when Zulip says that message no longer exists.
 * Any other refusal of the edit (wrong bot, editing turned off or its time limit passed) is thrown, not reposted.
 */
export async function deliverToZulip(target: ZulipTarget, content: string, previousMessageId: number | null): Promise<{ messageId: number; edited: boolean }> {
  if (previousMessageId !== null) {
    try {
      await editZulipMessage(target, previousMessageId, content);
      return { messageId: previousMessageId, edited: true };
    } catch (error) {
      if (!(error instanceof ZulipError) || !(await messageIsGone(target, previousMessageId, error))) throw error;
    }
  }
  const { messageId } = await postZulipMessage(target, content);
  return { messageId, edited: false };
}

/** Text shown inline (a title, a name): one line, with markdown's own characters taken literally. */
function inline(text: string): string {
  return neutralizeMentions(text.replace(/\s+/g, ' ').trim().replace(/[\\`*_[\]]/g, '\\$&'));
}

/**
 * Mentions written in a summary or a name (`@**all**`, `@**Alice**`, `@_**silent**`, `@*group*`) would notify
 * people; escaping the star after `@` shows them as text.
 */
function neutralizeMentions(text: string): string {
  return text.replace(/@(_?)\*(\*?)/g, (_mention, silent: string, second: string) => `@${silent}\\*${second ? '\\*' : ''}`);
}

/** The link's URL with what would end a markdown link early (spaces, parentheses, angle brackets) percent-encoded. */
function linkTarget(link: string): string {
  const parentheses: Record<string, string> = { '(': '%28', ')': '%29' };
  return link.trim().replace(/[\s()<>]/g, (character) => parentheses[character] ?? encodeURIComponent(character));
}

function duration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

const SUMMARY_LIMIT = 6_000;
const ACTION_ITEM_LIMIT = 40;

/**
 * A finished meeting's message in Zulip markdown: its title in bold, linked to the transcript; how long it lasted and
 * who took part; the summary; the action items with their owners and due dates; and a last line saying the message
 * is updated in place. A long summary or item list is shortened so that the whole stays well under Zulip's
 * 10,000-character cut.
 */
export function zulipSummaryContent(input: {
  title: string;
  link: string;
  summary: string | null;
  actionItems: Array<{ text: string; owner: string | null; due: string | null }>;
  participants: string[];
  durationSeconds: number | null;
  revision: number;
}): string {
  const lines: string[] = [`**[${inline(input.title) || 'Meeting'}](${linkTarget(input.link)})**`];
  const facts = [
    input.durationSeconds !== null && input.durationSeconds >= 0 ? duration(input.durationSeconds) : null,
    input.participants.length ? `with ${input.participants.map(inline).join(', ')}` : null,
  ].filter((fact) => fact !== null);
  if (facts.length) lines.push(facts.join(' · '));
  lines.push('');

  const summary = input.summary?.trim();
  if (summary) {
    lines.push(neutralizeMentions(summary.length > SUMMARY_LIMIT ? `${summary.slice(0, SUMMARY_LIMIT).trimEnd()} …` : summary));
  } else {
    lines.push('_No summary for this meeting._');
  }
  lines.push('');

  if (input.actionItems.length) {
    lines.push('**Action items**');
    for (const item of input.actionItems.slice(0, ACTION_ITEM_LIMIT)) {
      const details = [item.owner ? inline(item.owner) : null, item.due ? `due ${inline(item.due)}` : null].filter((detail) => detail !== null);
      lines.push(`- ${inline(item.text)}${details.length ? ` — ${details.join(', ')}` : ''}`);
    }
    const more = input.actionItems.length - ACTION_ITEM_LIMIT;
    if (more > 0) lines.push(`- …and ${more} more in the transcript`);
  } else {
    lines.push('No action items.');
  }
  lines.push('');
  lines.push(`_Revision ${input.revision}: this message is updated in place when the transcript is corrected._`);
  return lines.join('\n');
}
