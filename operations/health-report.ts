// What an operator must look at (issue 18 item 4): recordings stuck past their timeouts, transcripts that stopped
// moving, and what failed in the last days (recordings, transcripts, copies to owners' storage). Read from the
// database only, so the API (`GET /v1/admin/health`) and a scheduled digest can both ask it; each list is capped,
// its count is not.
import type { Database } from '../db/orm.ts';

export interface HealthReportOptions {
  now?: Date;
  /** A recording pending or recording this long after it started is stuck: the longest one may run plus the wait for it. */
  recordingStuckAfterSeconds: number;
  /** A transcript processing with no progress for this long has stalled. */
  transcriptStalledAfterSeconds?: number;
  /** How far back failures are listed. */
  failuresSinceSeconds?: number;
  limit?: number;
}

interface Item {
  id: string;
  roomName: string | null;
  meetingId: string | null;
}
export interface StuckRecording extends Item { kind: string; status: string; recordedAt: string; waitingSeconds: number }
export interface StalledTranscript extends Item { recordingId: string; step: string | null; lastProgressAt: string }
export interface FailedRecording extends Item { kind: string; status: string; error: string | null; at: string }
export interface FailedTranscript extends Item { recordingId: string; error: string | null; at: string }
export interface FailedCopy extends Item { kind: string; url: string; error: string | null; at: string }
/** A transcript's notes that did not reach a channel (mail, Zulip): its `delivery` says which and why. */
export interface FailedDelivery extends Item { recordingId: string; channel: 'email' | 'zulip'; error: string | null; at: string }

export interface HealthReport {
  generatedAt: string;
  /** True when every list is empty. */
  healthy: boolean;
  stuckRecordings: { count: number; items: StuckRecording[] };
  stalledTranscripts: { count: number; items: StalledTranscript[] };
  failedRecordings: { count: number; items: FailedRecording[] };
  failedTranscripts: { count: number; items: FailedTranscript[] };
  failedCopies: { count: number; items: FailedCopy[] };
  failedDeliveries: { count: number; items: FailedDelivery[] };
}

type Row = Record<string, unknown>;
const iso = (value: unknown) => new Date(value as string | Date).toISOString();

export async function healthReport(db: Database, options: HealthReportOptions): Promise<HealthReport> {
  const now = options.now ?? new Date();
  const limit = options.limit ?? 50;
  const stuckBefore = new Date(now.getTime() - options.recordingStuckAfterSeconds * 1000);
  const stalledBefore = new Date(now.getTime() - (options.transcriptStalledAfterSeconds ?? 1800) * 1000);
  const since = new Date(now.getTime() - (options.failuresSinceSeconds ?? 7 * 86_400) * 1000);
  const connection = db.em.getConnection();
  // Every list: its rows (newest first, capped) and its count, with the room and meeting named.
  const list = async (from: string, where: string, params: unknown[], columns: string, orderBy: string): Promise<{ count: number; rows: Row[] }> => {
    const joined = `${from} left join meeting m on m.id = r.meeting_id left join room ro on ro.id = m.room_id where r.deletion_requested_at is null and ${where}`;
    const [counted] = await connection.execute<Row[]>(`select count(*) as count from ${joined}`, params);
    const rows = await connection.execute<Row[]>(`select ${columns}, m.id as meeting_id, ro.name as room_name from ${joined} order by ${orderBy} desc limit ${limit}`, params);
    return { count: Number(counted?.count ?? 0), rows };
  };
  const item = (row: Row): Item => ({ id: row.id as string, roomName: (row.room_name as string | null) ?? null, meetingId: (row.meeting_id as string | null) ?? null });

  const stuck = await list('recording r', `r.status in ('pending', 'recording') and r.recorded_at < ?`, [stuckBefore], 'r.id, r.type, r.status, r.recorded_at', 'r.recorded_at');
  const stalled = await list('transcript t join recording r on r.id = t.recording_id', `t.status = 'processing' and t.updated_at < ?`, [stalledBefore], "t.id, r.id as recording_id, t.progress->>'step' as step, t.updated_at", 't.updated_at');
  const failedRecordings = await list('recording r', `r.status in ('failed', 'missing') and r.updated_at >= ?`, [since], 'r.id, r.type, r.status, r.error, r.updated_at', 'r.updated_at');
  const failedTranscripts = await list('transcript t join recording r on r.id = t.recording_id', `t.status = 'error' and t.updated_at >= ?`, [since], 't.id, r.id as recording_id, t.error, t.updated_at', 't.updated_at');
  const failedCopies = await list('recording r', `r.owner_copy->>'status' = 'failed' and (r.owner_copy->>'at')::timestamptz >= ?`, [since], "r.id, r.type, r.owner_copy->>'url' as url, r.owner_copy->>'error' as error, (r.owner_copy->>'at')::timestamptz as copied_at", "(r.owner_copy->>'at')::timestamptz");
  // One row per channel that failed (a transcript whose mail and Zulip message both failed is listed twice).
  const failedDeliveries = await list(
    "transcript t join recording r on r.id = t.recording_id cross join lateral (select key as channel, value from jsonb_each(coalesce(t.delivery, '{}'::jsonb))) d",
    `d.value->>'status' = 'failed' and (d.value->>'at')::timestamptz >= ?`, [since],
    "t.id, r.id as recording_id, d.channel, coalesce(d.value->>'error', d.value->'failed'->0->>'error') as error, (d.value->>'at')::timestamptz as delivered_at", "(d.value->>'at')::timestamptz",
  );

  const report: HealthReport = {
    generatedAt: now.toISOString(),
    healthy: false,
    stuckRecordings: {
      count: stuck.count,
      items: stuck.rows.map((r) => ({ ...item(r), kind: r.type as string, status: r.status as string, recordedAt: iso(r.recorded_at), waitingSeconds: Math.round((now.getTime() - new Date(r.recorded_at as string).getTime()) / 1000) })),
    },
    stalledTranscripts: { count: stalled.count, items: stalled.rows.map((r) => ({ ...item(r), recordingId: r.recording_id as string, step: (r.step as string | null) ?? null, lastProgressAt: iso(r.updated_at) })) },
    failedRecordings: { count: failedRecordings.count, items: failedRecordings.rows.map((r) => ({ ...item(r), kind: r.type as string, status: r.status as string, error: (r.error as string | null) ?? null, at: iso(r.updated_at) })) },
    failedTranscripts: { count: failedTranscripts.count, items: failedTranscripts.rows.map((r) => ({ ...item(r), recordingId: r.recording_id as string, error: (r.error as string | null) ?? null, at: iso(r.updated_at) })) },
    failedCopies: { count: failedCopies.count, items: failedCopies.rows.map((r) => ({ ...item(r), kind: r.type as string, url: r.url as string, error: (r.error as string | null) ?? null, at: iso(r.copied_at) })) },
    failedDeliveries: {
      count: failedDeliveries.count,
      items: failedDeliveries.rows.map((r) => ({ ...item(r), recordingId: r.recording_id as string, channel: r.channel as 'email' | 'zulip', error: (r.error as string | null) ?? null, at: iso(r.delivered_at) })),
    },
  };
  report.healthy = [report.stuckRecordings, report.stalledTranscripts, report.failedRecordings, report.failedTranscripts, report.failedCopies, report.failedDeliveries].every((l) => l.count === 0);
  return report;
}
