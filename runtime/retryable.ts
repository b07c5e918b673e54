// Which HTTP answers are worth trying again, decided once for every outside service we call (the video
// platform, speech and summary services, room owners' webhooks): a timeout (408), rate limiting (429) and the
// server's own failures (5xx). Anything else in 4xx is a refusal that the same request will get again.
// Callers add what only they know (a quota that waiting does not refill) on top of this rule.

export interface RetryableStatusOptions {
  /** Also 425 Too Early (the summary service's rule; the others treat 425 as a refusal). */
  tooEarly?: boolean;
}

/** True for an answer that trying the same request again can turn into a success. */
export function isRetryableStatus(status: number, options: RetryableStatusOptions = {}): boolean {
  return status === 408 || status === 429 || status >= 500 || (options.tooEarly === true && status === 425);
}

/** True for an error answer (4xx/5xx) that the same request will get again: a refusal. */
export function isRefusedStatus(status: number, options: RetryableStatusOptions = {}): boolean {
  return status >= 400 && !isRetryableStatus(status, options);
}
