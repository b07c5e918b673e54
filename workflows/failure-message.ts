// What a failure says, for warnings and the Temporal UI: an activity's own error rather than Temporal's wrapper.
import { ActivityFailure } from '@temporalio/workflow';

export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return (error as Error).message ?? String(error);
}
