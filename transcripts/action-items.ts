// Action items as things: what the summary found, with an owner when one can be told (a participant named in the
// item, or the speaker who committed to it in the first person), a due date when one was said (relative to the
// meeting's day: "by Friday", "tomorrow", "end of the month", "on March 3"), and the moment it was said (the turn
// that shares the most words with it). Pure functions: the pipeline (activities/transcription.ts) and the API
// (api/action-items.ts) store and serve them; exports as CSV and Markdown are made here too.
import type { Segment } from './words.ts';

export interface DerivedActionItem {
  text: string;
  owner: string | null;
  /** `YYYY-MM-DD`, the day it is due. */
  due: string | null;
  startSeconds: number | null;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH = `(${MONTHS.map((m) => `${m}|${m.slice(0, 3)}`).join('|')})\\.?`;
const FIRST_PERSON = /\b(?:i|i['’]ll|i['’]m|i am|let me|i can|i will|i shall)\b/i;
const OFFLINE_SPEAKER_PREFIX = /^([^:]{1,80}):\s+/;

const day = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (date: Date, days: number) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + days));

/** The day a phrase in `text` names, counted from `from` (the meeting's day, UTC); null when none is said. */
export function dueDateIn(text: string, from: Date): string | null {
  const t = text.toLowerCase();
  const today = addDays(from, 0);
  let m: RegExpExecArray | null;
  if ((m = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(t))) {
    const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return Number.isNaN(date.getTime()) ? null : day(date);
  }
  const monthDay = new RegExp(`\\b${MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b|\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}`).exec(t);
  if (monthDay) {
    const monthName = monthDay[1] ?? monthDay[4]!;
    const month = MONTHS.findIndex((name) => name.startsWith(monthName.slice(0, 3)));
    const date = Number(monthDay[2] ?? monthDay[3]);
    if (date >= 1 && date <= 31) {
      let due = new Date(Date.UTC(today.getUTCFullYear(), month, date));
      // A day already past this year is next year's ("on January 5" said in December).
      if (due < today) due = new Date(Date.UTC(today.getUTCFullYear() + 1, month, date));
      return day(due);
    }
  }
  if (/\b(?:today|tonight|end of (?:the )?day|eod)\b/.test(t)) return day(today);
  if (/\btomorrow\b/.test(t)) return day(addDays(today, 1));
  if (/\b(?:end of (?:the |this )?week|eow)\b/.test(t)) return day(addDays(today, (5 - today.getUTCDay() + 7) % 7));
  if (/\bend of (?:the |this )?month\b/.test(t)) return day(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 0)));
  if (/\bnext week\b/.test(t)) return day(addDays(today, ((1 - today.getUTCDay() + 7) % 7) || 7));
  if ((m = /\bin (\d{1,2}|a|one|two|three) (day|week)s?\b/.exec(t))) {
    const count = ({ a: 1, one: 1, two: 2, three: 3 } as Record<string, number>)[m[1]!] ?? Number(m[1]);
    return day(addDays(today, count * (m[2] === 'week' ? 7 : 1)));
  }
  if ((m = new RegExp(`\\b(?:by|on|before|until|this|next|due)\\s+(${WEEKDAYS.join('|')})\\b`).exec(t))) {
    const target = WEEKDAYS.indexOf(m[1]!);
    // The coming one (said on a Friday, "by Friday" is a week on); "next Friday" said earlier in the same week is
    // the one after this week's.
    let ahead = (target - today.getUTCDay() + 7) % 7 || 7;
    if (m[0].startsWith('next') && target > today.getUTCDay()) ahead += 7;
    return day(addDays(today, ahead));
  }
  return null;
}

const STOP = new Set('the a an and or to of in on at for by with we i you it is be will this that our us let let\'s me my your from as are can should need needs going'.split(' '));
const contentWords = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}']+/u).filter((w) => w.length > 2 && !STOP.has(w));

/** The turn an item was said in: the one sharing the most words with it (at least two, or half the item's). */
export function momentOf(text: string, segments: readonly Pick<Segment, 'start' | 'text' | 'speakerName'>[]): { startSeconds: number; speakerName: string; text: string } | null {
  const wanted = new Set(contentWords(text));
  if (wanted.size === 0) return null;
  let best: { score: number; segment: (typeof segments)[number] } | null = null;
  for (const segment of segments) {
    const said = new Set(contentWords(segment.text));
    let score = 0;
    for (const word of wanted) if (said.has(word)) score += 1;
    if (score > (best?.score ?? 0)) best = { score, segment };
  }
  if (!best || (best.score < 2 && best.score < wanted.size / 2)) return null;
  return { startSeconds: best.segment.start, speakerName: best.segment.speakerName, text: best.segment.text };
}

/** The participant named in the text (whole name first, then a first name), the earliest mention winning. */
export function participantNamed(text: string, participants: readonly string[]): string | null {
  let found: { at: number; name: string } | null = null;
  for (const name of participants) {
    for (const form of [name, name.split(/\s+/)[0]!]) {
      if (form.length < 2) continue;
      const match = new RegExp(`(^|[^\\p{L}])${form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[^\\p{L}])`, 'iu').exec(text);
      if (match && (!found || match.index < found.at)) found = { at: match.index, name };
      if (match) break;
    }
  }
  return found?.name ?? null;
}

/**
 * The summary's action items as things. The offline summariser writes "Speaker: what they said."; the owner is that
 * speaker (or the speaker of the turn it was said in) when they spoke in the first person, else the participant named.
 */
export function deriveActionItems(items: readonly string[], segments: readonly Pick<Segment, 'start' | 'text' | 'speakerName'>[], participants: readonly string[], meetingDay: Date): DerivedActionItem[] {
  return items.map((raw) => {
    const text = raw.trim();
    const prefix = OFFLINE_SPEAKER_PREFIX.exec(text);
    const speaker = prefix && participants.includes(prefix[1]!) ? prefix[1]! : null;
    const said = speaker ? text.slice(prefix![0].length) : text;
    const moment = momentOf(said, segments);
    const named = participantNamed(said, participants.filter((p) => p !== speaker));
    const committed = speaker ?? moment?.speakerName ?? null;
    // "I'll send it to Ava" is the speaker's; "Ava, please send it" and "Ava will send it" are Ava's.
    const owner = committed && FIRST_PERSON.test(said) ? committed : named;
    return { text, owner, due: dueDateIn(said, meetingDay) ?? (moment ? dueDateIn(moment.text, meetingDay) : null), startSeconds: moment?.startSeconds ?? null };
  });
}

/** One item as exported, with where it was said. */
export interface ExportedActionItem {
  text: string;
  owner: string | null;
  due: string | null;
  done: boolean;
  meeting: string;
  recordedAt: string;
  link: string;
}

const csvField = (value: string) => (/[",\n\r]/.test(value) || /^[=+\-@\t]/.test(value) ? `"${(/^[=+\-@\t]/.test(value) ? `'${value}` : value).replace(/"/g, '""')}"` : value);

/** RFC 4180 CSV (CRLF), with a header; a cell a spreadsheet would run as a formula is quoted and prefixed with '. */
export function actionItemsCsv(items: readonly ExportedActionItem[]): string {
  const rows = [['done', 'text', 'owner', 'due', 'meeting', 'recorded_at', 'link'], ...items.map((i) => [i.done ? 'yes' : 'no', i.text, i.owner ?? '', i.due ?? '', i.meeting, i.recordedAt, i.link])];
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** A Markdown task list, grouped by meeting. */
export function actionItemsMarkdown(title: string, items: readonly ExportedActionItem[]): string {
  const lines = [`# ${title}`, ''];
  let meeting: string | null = null;
  for (const item of items) {
    const heading = `${item.meeting} (${item.recordedAt.slice(0, 10)})`;
    if (heading !== meeting) {
      if (meeting !== null) lines.push('');
      lines.push(`## ${heading}`, '');
      meeting = heading;
    }
    const facts = [item.owner && `owner: ${item.owner}`, item.due && `due: ${item.due}`].filter(Boolean).join(', ');
    lines.push(`- [${item.done ? 'x' : ' '}] ${item.text.replace(/\n+/g, ' ')}${facts ? ` (${facts})` : ''} [said here](${item.link})`);
  }
  if (items.length === 0) lines.push('No action items.');
  return lines.join('\n') + '\n';
}
