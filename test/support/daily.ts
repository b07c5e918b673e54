// The Daily simulator for product tests: a real HTTP server in the test process, writing into the test
// product's storage, with the product's webhook endpoint registered on it (handshake included).
import { randomBytes } from 'node:crypto';
import { startDailySimulator, type DailySimulator, type DailySimulatorOptions } from '../../platforms/daily/simulator/index.ts';
import type { ObjectStorage } from '../../storage/object-storage.ts';
import { freePort } from './servers.ts';

export interface TestDailyPlan {
  port: number;
  apiKey: string;
  webhookSecret: string;
  /** Environment that points the product at the simulator as if it were Daily. */
  env: Record<string, string>;
}

export async function planTestDaily(): Promise<TestDailyPlan> {
  const port = await freePort();
  const apiKey = randomBytes(16).toString('hex');
  const webhookSecret = randomBytes(32).toString('base64');
  return { port, apiKey, webhookSecret, env: { DAILY_API_KEY: apiKey, DAILY_API_URL: `http://127.0.0.1:${port}/v1`, DAILY_WEBHOOK_SECRET: webhookSecret } };
}

export function startTestDaily(plan: TestDailyPlan, storage: ObjectStorage, options: Partial<DailySimulatorOptions> = {}): Promise<DailySimulator> {
  return startDailySimulator({
    host: '127.0.0.1', port: plan.port, apiKey: plan.apiKey, domain: 'sim', storage, clock: { mode: 'real' }, meetingEndedDelayMs: 500,
    webhookRetry: { backoffBaseMs: 100, maxBackoffMs: 2000, timeoutMs: 5000, maxTries: 5, failureThreshold: 3 },
    ...options,
  });
}

/** A participant webhook's body as Daily sends it (its id is the same for every delivery of the one event). */
export function participantWebhookBody(event: { room: string; type: 'participant.joined' | 'participant.left'; sessionId: string; joinedAtMs: number }): string {
  const nowMs = Date.now();
  const left = event.type === 'participant.left';
  return JSON.stringify({
    version: '1.0.0',
    type: event.type,
    id: `ptcpt-${left ? 'left' : 'join'}-${event.sessionId}-${event.joinedAtMs}`,
    payload: {
      room: event.room,
      user_name: `Participant ${event.sessionId.slice(0, 8)}`,
      session_id: event.sessionId,
      joined_at: event.joinedAtMs / 1000,
      will_eject_at: null,
      owner: false,
      permissions: { hasPresence: true, canSend: true, canReceive: { base: true }, canAdmin: false },
      ...(left && { duration: Math.max(1, Math.round((nowMs - event.joinedAtMs) / 1000)) }),
    },
    event_ts: nowMs / 1000,
  });
}
