// Temporal Schedules the product relies on, created (or brought up to date) at every start of a worker
// that runs workflows. Idempotent: create, and when it exists, update its spec and action in place (an
// operator's pause and note are kept). Visible in the Temporal UI under Schedules.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { retentionWorkflow, RETENTION_SCHEDULE_ID, type RetentionInput } from '../workflows/retention.ts';
import { operatorDigestWorkflow, OPERATOR_DIGEST_SCHEDULE_ID } from '../workflows/operator-digest.ts';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Config } from './config.ts';

export interface RetentionScheduleOptions {
  taskQueue: string;
  /** RECORDING_RETENTION_DAYS; undefined: only rooms with their own retentionDays lose recordings. */
  defaultRetentionDays?: number;
  /** UTC hour of the daily run. */
  hourUtc?: number;
}

const NOTE = 'Deletes recordings whose retention ran out (room retentionDays, else RECORDING_RETENTION_DAYS), each through its own recording-deletion/<id> workflow. Managed by the meeting recorder: updated at every worker start.';

function retentionAction(options: RetentionScheduleOptions): ScheduleOptionsStartWorkflowAction<typeof retentionWorkflow> {
  const input: RetentionInput = { defaultRetentionDays: options.defaultRetentionDays ?? null };
  return {
    type: 'startWorkflow',
    workflowType: retentionWorkflow,
    // The schedule suffixes each run's id with its time: recording-retention-2026-11-22T03:00:00Z.
    workflowId: RETENTION_SCHEDULE_ID,
    taskQueue: options.taskQueue,
    args: [input],
    staticSummary: `Recording retention (default ${input.defaultRetentionDays === null ? 'none: rooms decide' : `${input.defaultRetentionDays} day(s)`})`,
  };
}

/** Creates the daily `recording-retention` schedule, or updates it to this configuration. */
export async function ensureRetentionSchedule(client: Client, options: RetentionScheduleOptions): Promise<'created' | 'updated'> {
  const spec = { calendars: [{ hour: options.hourUtc ?? 3, minute: 0, comment: 'daily' }] };
  // One run at a time; a run missed while the cluster was down is caught up within a day.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' };
  const action = retentionAction(options);
  try {
    await client.schedule.create({
      scheduleId: RETENTION_SCHEDULE_ID,
      spec,
      action,
      policies,
      memo: { purpose: 'recording retention', defaultRetentionDays: options.defaultRetentionDays ?? null },
      state: { note: NOTE },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(RETENTION_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec,
    action,
    policies: { ...previous.policies, ...policies },
    state: { ...previous.state, note: previous.state.paused ? previous.state.note : NOTE },
  }));
  return 'updated';
}

const DIGEST_NOTE = "Sends what is stuck or failed (GET /v1/admin/health's report) to OPERATOR_WEBHOOK_URL, OPERATOR_DIGEST_EMAIL and OPERATOR_DIGEST_ZULIP_STREAM when there is anything. Managed by the meeting recorder: updated at every worker start, removed when neither is set.";

/** The `operator-digest` schedule every `digestMinutes` while an operators' webhook or address is configured; removed otherwise. */
export async function ensureOperatorDigestSchedule(client: Client, options: { taskQueue: string; digest: Config['operatorDigest'] }): Promise<'created' | 'updated' | 'removed' | 'none'> {
  const handle = client.schedule.getHandle(OPERATOR_DIGEST_SCHEDULE_ID);
  if (!options.digest) {
    try {
      await handle.delete();
      return 'removed';
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return 'none';
      throw error;
    }
  }
  const spec = { intervals: [{ every: `${options.digest.digestMinutes} minutes` }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' };
  const action: ScheduleOptionsStartWorkflowAction<typeof operatorDigestWorkflow> = {
    type: 'startWorkflow', workflowType: operatorDigestWorkflow, workflowId: OPERATOR_DIGEST_SCHEDULE_ID, taskQueue: options.taskQueue, args: [],
    staticSummary: `Operators' digest (every ${options.digest.digestMinutes} min)`,
  };
  try {
    await client.schedule.create({ scheduleId: OPERATOR_DIGEST_SCHEDULE_ID, spec, action, policies, state: { note: DIGEST_NOTE } });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await handle.update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies }, state: { ...previous.state, note: previous.state.paused ? previous.state.note : DIGEST_NOTE } }));
  return 'updated';
}

/** Every schedule, from a process that runs workflows (so schedules and their workers appear together). */
export async function ensureSchedules(client: Client, config: Pick<Config, 'temporal' | 'worker' | 'defaultRetentionDays' | 'operatorDigest'>): Promise<void> {
  if (!config.worker.queues.includes('meetings')) return;
  await ensureRetentionSchedule(client, { taskQueue: config.temporal.taskQueue, defaultRetentionDays: config.defaultRetentionDays });
  await ensureOperatorDigestSchedule(client, { taskQueue: config.temporal.taskQueue, digest: config.operatorDigest });
}
