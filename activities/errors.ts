// Errors classified once: what Temporal retries (network, 5xx, 429, timeouts, "not hosting a call yet")
// and what ends an attempt for good (4xx refusals, bad credentials, malformed answers).
import { ApplicationFailure } from '@temporalio/activity';
import { DailyApiError, DailyResponseError } from '../platforms/daily/client.ts';

export const PLATFORM_REFUSED = 'PlatformRequestRefused';

/** Rethrows `error` as a non-retryable failure when retrying cannot help; otherwise as is. */
export function classifyPlatformError(error: unknown): never {
  if (error instanceof DailyApiError && error.status >= 400 && error.status < 500 && error.status !== 429 && error.status !== 408) {
    throw ApplicationFailure.nonRetryable(error.message, PLATFORM_REFUSED, { status: error.status, errorType: error.errorType });
  }
  if (error instanceof DailyResponseError) throw ApplicationFailure.nonRetryable(error.message, PLATFORM_REFUSED);
  throw error;
}
