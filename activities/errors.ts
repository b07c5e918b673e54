// Errors classified once (the HTTP statuses by runtime/retryable.ts): what Temporal retries (network, 5xx, 429, timeouts, "not hosting a call yet")
// and what ends an attempt for good (4xx refusals, bad credentials, malformed answers).
import { ApplicationFailure } from '@temporalio/activity';
import { PlatformApiError, PlatformResponseError } from '../platforms/platform.ts';
import { isRefusedStatus } from '../runtime/retryable.ts';

export const PLATFORM_REFUSED = 'PlatformRequestRefused';

/** Rethrows `error` as a non-retryable failure when retrying cannot help; otherwise as is. */
export function classifyPlatformError(error: unknown): never {
  if (error instanceof PlatformApiError && isRefusedStatus(error.status)) {
    throw ApplicationFailure.nonRetryable(error.message, PLATFORM_REFUSED, { status: error.status, errorType: error.errorType });
  }
  if (error instanceof PlatformResponseError) throw ApplicationFailure.nonRetryable(error.message, PLATFORM_REFUSED);
  throw error;
}

/** Speech and summary services: retryable (network, timeouts, 429, 5xx) vs final (4xx, bad credentials, bad output). */
export function classifyServiceError(error: unknown): never {
  const retryable = (error as { retryable?: unknown }).retryable;
  if (retryable === false) {
    const type = (error as Error).name === 'SummaryServiceError' ? 'SummaryRequestRefused' : 'SpeechRequestRefused';
    throw ApplicationFailure.nonRetryable((error as Error).message, type, { status: (error as { status?: number }).status ?? null });
  }
  throw error;
}
