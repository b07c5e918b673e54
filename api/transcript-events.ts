// GET /v1/transcripts/:id/events: the transcript's status and progress as server-sent events, so a page
// follows it being made without reloading. The Transcript row is the source (the pipeline writes progress
// there); it is read every second and an event is sent whenever it changes; the stream ends with the
// transcript (ended or error). Who may listen is who may view the transcript.
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { Transcript } from '../db/entities.ts';
import { loadTranscript, rules } from './access.ts';
import { endpoint } from './endpoint.ts';

const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;
/** A stream is closed after this long whatever happens; EventSource reconnects by itself. */
const MAX_STREAM_MS = 30 * 60_000;

const eventSchema = z.object({
  status: z.enum(['idle', 'processing', 'ended', 'error']),
  progress: z.object({ step: z.string(), tracksDone: z.number(), tracksTotal: z.number(), percent: z.number() }).nullable(),
  error: z.string().nullable(),
});
export type TranscriptEvent = z.infer<typeof eventSchema>;

const eventOf = (t: Pick<Transcript, 'status' | 'progress' | 'error'>): TranscriptEvent => ({
  status: t.status,
  progress: t.progress ? { step: t.progress.step, tracksDone: t.progress.tracksDone, tracksTotal: t.progress.tracksTotal, percent: t.progress.percent } : null,
  error: t.error ?? null,
});

export const transcriptEventEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/events',
    summary: "The transcript's status and progress as server-sent events (`event: progress`, JSON data) until it ends",
    description: 'One event at once, then one per change (read every second); a comment line every 15 s keeps the connection open; the stream closes when the transcript is ended or in error.',
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: z.object({ id: z.string() }),
    responses: { 200: { description: 'text/event-stream of progress events', schema: eventSchema, contentType: 'text/event-stream' } },
    async handler(ctx, { params }) {
      const first = await loadTranscript(ctx, params.id, 'view');
      const { db } = ctx.state.services;
      const stream = new PassThrough();
      ctx.req.socket.setTimeout(0);
      ctx.req.socket.setNoDelay(true);
      ctx.status = 200;
      ctx.type = 'text/event-stream';
      ctx.set('Cache-Control', 'no-store');
      ctx.set('X-Accel-Buffering', 'no');
      ctx.body = stream;

      let last = '';
      let closed = false;
      const send = (event: TranscriptEvent) => {
        const data = JSON.stringify(event);
        if (data === last) return;
        last = data;
        stream.write(`event: progress\ndata: ${data}\n\n`);
      };
      const finished = (event: TranscriptEvent) => event.status === 'ended' || event.status === 'error';
      const startedAt = Date.now();
      let lastWrite = Date.now();
      send(eventOf(first));
      if (finished(eventOf(first))) {
        stream.end();
        return;
      }
      const timer = setInterval(() => {
        void (async () => {
          try {
            // A fresh EntityManager each time: the identity map would keep answering the first read.
            const row = await db.em.fork().findOne(Transcript, first.id, { fields: ['status', 'progress', 'error'] });
            if (closed) return;
            if (!row) return stop();
            const before = last;
            send(eventOf(row));
            if (last !== before) lastWrite = Date.now();
            else if (Date.now() - lastWrite > HEARTBEAT_MS) {
              stream.write(': still working\n\n');
              lastWrite = Date.now();
            }
            if (finished(eventOf(row)) || Date.now() - startedAt > MAX_STREAM_MS) stop();
          } catch {
            // The database is briefly unreachable: try again at the next tick.
          }
        })();
      }, POLL_MS);
      const stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        stream.end();
      };
      ctx.req.once('close', stop);
    },
  }),
];
