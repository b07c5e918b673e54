// Recorded platform events on their way to the meeting: the dispatcher signals each meeting's workflow in arrival
// order, retries while Temporal is unreachable, and picks up rows a previous process recorded but did not deliver.
// A late recording (the meeting's run has finished) goes straight to its own workflow, `recording/<id>`.
// api/webhooks.ts verifies and records; this delivers.
import { WorkflowNotFoundError } from '@temporalio/client';
import { context as traceContext, type Context as TraceContext } from '@opentelemetry/api';
import { Meeting, WebhookEvent } from '../db/entities.ts';
import type { PlatformEvent } from '../platforms/platform.ts';
import type { Services } from '../runtime/services.ts';
import { meetingEventSignal, meetingEventsSignal } from '../workflows/meeting.ts';
import { startRecordingPipeline } from '../recordings/pipeline.ts';
import { compositeTranscriptFor } from '../recordings/messages.ts';
import { SPEAKER_AUDIO, meetingWorkflowId, type MeetingEvent } from './messages.ts';

/** A recorded event's outcomes once it needs no more delivery. */
export const DELIVERED = new Set(['signaled', 'recording-workflow', 'unmatched', 'ignored', 'late', 'recording-not-allowed']);

interface Delivery {
  rowId: string;
  meetingId: string;
  event: PlatformEvent;
  /** The trace the webhook's request was in (runtime/tracing.ts; the empty root context when tracing is off). */
  trace?: TraceContext;
}

/** Events waiting for one meeting are signalled together, at most this many per signal (its payload stays small). */
const MAX_EVENTS_PER_SIGNAL = 50;

/**
 * Delivers recorded webhooks to Temporal: per meeting in arrival order, retrying until Temporal answers. The events
 * that wait for a meeting while its previous signal is on its way go together in the next (meetingEventsSignal).
 */
export class WebhookDispatcher {
  readonly #services: Pick<Services, 'db' | 'temporal' | 'config' | 'platforms'>;
  /** Per meeting: what waits, and the loop delivering it (one per meeting at a time). */
  readonly #waiting = new Map<string, Delivery[]>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #log: (message: string, fields: Record<string, unknown>) => void;
  #sweep: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(services: Pick<Services, 'db' | 'temporal' | 'config' | 'platforms'>, log: (message: string, fields: Record<string, unknown>) => void) {
    this.#services = services;
    this.#log = log;
  }

  enqueue(delivery: Delivery): void {
    delivery.trace ??= traceContext.active();
    const waiting = this.#waiting.get(delivery.meetingId);
    if (waiting) waiting.push(delivery);
    else this.#waiting.set(delivery.meetingId, [delivery]);
    if (!this.#running.has(delivery.meetingId)) this.#running.set(delivery.meetingId, this.#deliverWaiting(delivery.meetingId));
  }

  /** Recorded but undelivered rows (a previous process stopped between the answer and the signal). */
  async sweep(olderThanMs = 5000): Promise<number> {
    const em = this.#services.db.em.fork();
    const rows = await em.find(WebhookEvent, { outcome: 'received', meetingId: { $ne: null }, receivedAt: { $lt: new Date(Date.now() - olderThanMs) } }, { orderBy: { receivedAt: 'asc' }, limit: 500 });
    for (const row of rows) {
      const platform = this.#services.platforms.find(row.platform);
      if (!platform) continue; // recorded while its platform was configured; delivered once it is again
      const parsed = platform.parseWebhook(Buffer.from(JSON.stringify(row.payload)));
      if (parsed.kind === 'event' && row.meetingId) this.enqueue({ rowId: row.id, meetingId: row.meetingId, event: parsed.event });
    }
    return rows.length;
  }

  start(intervalMs = 5000): void {
    const tick = () => void this.sweep().catch((error: unknown) => this.#log('webhook sweep failed', { error: (error as Error).message }));
    tick();
    this.#sweep = setInterval(tick, intervalMs);
    this.#sweep.unref();
  }

  /** Waits (bounded) for deliveries in flight. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sweep);
    const pending = Promise.allSettled([...this.#running.values()]);
    await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  async #deliverWaiting(meetingId: string): Promise<void> {
    await Promise.resolve(); // the caller's enqueue has set #running before this looks at the queue
    for (;;) {
      const waiting = this.#waiting.get(meetingId);
      if (!waiting?.length) {
        // Nothing awaits between this check and the deletes: an enqueue after them starts a new loop.
        this.#waiting.delete(meetingId);
        this.#running.delete(meetingId);
        return;
      }
      await this.#deliverWithRetry(meetingId, waiting.splice(0, MAX_EVENTS_PER_SIGNAL));
    }
  }

  async #deliverWithRetry(meetingId: string, batch: Delivery[]): Promise<void> {
    for (let attempt = 1; !this.#stopped || attempt === 1; attempt++) {
      try {
        const em = this.#services.db.em.fork();
        const rows = await em.find(WebhookEvent, { id: { $in: batch.map((d) => d.rowId) } });
        const undelivered = new Set(rows.filter((row) => !DELIVERED.has(row.outcome)).map((row) => row.id));
        const pending = batch.filter((d) => undelivered.has(d.rowId)); // another process may have got there first
        if (pending.length === 0) return;
        const meeting = await em.findOneOrFail(Meeting, meetingId, { populate: ['room'] });
        const arrived = new Map(rows.map((row) => [row.id, row.receivedAt]));
        // Signalled in the first webhook's trace: the others of a batch share its signal.
        const outcomes = await traceContext.with(pending[0]!.trace ?? traceContext.active(), () => deliver(this.#services, meeting, pending.map((d) => d.event), pending.map((d) => arrived.get(d.rowId))));
        for (const outcome of new Set(outcomes)) {
          await em.nativeUpdate(WebhookEvent, { id: { $in: pending.filter((_, i) => outcomes[i] === outcome).map((d) => d.rowId) } }, { outcome });
        }
        return;
      } catch (error) {
        this.#log('webhook delivery failed; retrying', { meetingId, eventIds: batch.map((d) => d.event.eventId), attempt, error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 250 * 2 ** Math.min(attempt, 7))).unref());
      }
    }
  }
}

/** Each event's outcome, in their order: signalled to the meeting's workflow (one signal for all), or not. */
async function deliver(services: Pick<Services, 'temporal' | 'config' | 'platforms'>, meeting: Meeting, events: PlatformEvent[], receivedAt: Array<Date | undefined>): Promise<string[]> {
  // A recording the room's type forbids (started at the platform, not by us) is kept out of the pipeline.
  const allowed = events.map((event) => !(event.type.startsWith('recording.') && meeting.recordingType !== 'cloud'));
  const signals = events.flatMap((event, i) => (allowed[i] ? [toMeetingEvent(event, receivedAt[i])] : []));
  let signalled = signals.length === 0;
  if (!signalled) {
    const handle = services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
    try {
      // One event as it always went; several waiting together in one signal.
      if (signals.length === 1) await handle.signal(meetingEventSignal, signals[0]!);
      else await handle.signal(meetingEventsSignal, signals);
      signalled = true;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  const late = signalled ? [] : await Promise.all(signals.map((signal) => deliverLate(services, meeting, signal)));
  let next = 0;
  return allowed.map((ok) => (!ok ? 'recording-not-allowed' : signalled ? 'signaled' : late[next++]!));
}

/** The meeting's run has finished: a late recording still gets processed, once. */
async function deliverLate(services: Pick<Services, 'temporal' | 'config' | 'platforms'>, meeting: Meeting, signal: MeetingEvent): Promise<string> {
  if (signal.type !== 'recording.ready') return 'late';
  // One speaker's track, recorded on its own, belongs to the meeting's per-speaker audio, which its workflow
  // handed off (or marked missing) when it settled: alone it is not a recording to transcribe.
  if (signal.kind === SPEAKER_AUDIO && services.platforms.find(meeting.platform)?.recordingCapabilities.perSpeakerAudio === 'per-track') return 'late';
  const { eventId: _eventId, type: _type, ...ready } = signal;
  try {
    await startRecordingPipeline(services.temporal, services.config.temporal.taskQueue, { meetingId: meeting.id, roomName: meeting.room.name, ...ready, ...compositeTranscriptFor(services.platforms.find(meeting.platform)?.recordingCapabilities.perSpeakerAudio) }, {
      runs: 'once',
      summary: `${ready.kind} recording ${ready.recordingId} of room "${meeting.room.name}" (late webhook)`,
    });
  } catch (error) {
    if ((error as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw error;
  }
  return 'recording-workflow';
}

/** `receivedAt`: when its webhook arrived; participant events carry it to the row they write (the arrival → applied lag). */
export function toMeetingEvent(event: PlatformEvent, receivedAt?: Date): MeetingEvent {
  const at = event.occurredAt.toISOString();
  const arrived = receivedAt ? { receivedAt: receivedAt.toISOString() } : {};
  switch (event.type) {
    case 'participant.joined':
      return { type: event.type, eventId: event.eventId, sessionId: event.sessionId, userId: event.userId ?? null, userName: event.userName ?? null, isOwner: event.isOwner, at, ...arrived };
    case 'participant.left':
      return { type: event.type, eventId: event.eventId, sessionId: event.sessionId, at, ...arrived };
    case 'meeting.started':
    case 'meeting.ended':
      return { type: event.type, eventId: event.eventId, platformMeetingId: event.platformMeetingId, at };
    case 'recording.started':
      return { type: event.type, eventId: event.eventId, recordingId: event.recordingId, instanceId: event.instanceId, at, ...(event.recordingType && { kind: event.recordingType }), ...(event.provisionalId && { provisional: true }) };
    case 'recording.ready':
      return {
        type: event.type, eventId: event.eventId, recordingId: event.recordingId, kind: event.recordingType, startedAt: event.startedAt.toISOString(),
        durationSeconds: event.durationSeconds, objectKey: event.objectKey, platformMeetingId: null,
        tracks: event.tracks?.map((t) => ({ type: t.type, key: t.key, size: t.size, ...(t.sessionId !== undefined && { sessionId: t.sessionId }), ...(t.startedAt && { startedAt: t.startedAt.toISOString() }) })) ?? null,
      };
    case 'recording.error':
      return { type: event.type, eventId: event.eventId, instanceId: event.instanceId, message: event.message, at, ...(event.recordingType && { kind: event.recordingType }) };
    case 'speaker-track.published':
    case 'speaker-track.unpublished':
      return { type: event.type, eventId: event.eventId, sessionId: event.sessionId, trackId: event.trackId, at };
  }
}

