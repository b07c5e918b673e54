// The one rule for HTTP answers worth trying again (runtime/retryable.ts), as each caller applies it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRefusedStatus, isRetryableStatus } from '../runtime/retryable.ts';

describe('retryable statuses', () => {
  it('retries timeouts, rate limits and server failures; a refusal is final', () => {
    assert.deepEqual([408, 429, 500, 502, 503, 599].map((status) => isRetryableStatus(status)), [true, true, true, true, true, true]);
    assert.deepEqual([200, 301, 400, 401, 403, 404, 409, 425, 499].map((status) => isRetryableStatus(status)), [false, false, false, false, false, false, false, false, false]);
  });

  it('retries 425 Too Early only when the caller says so (the summary service)', () => {
    assert.equal(isRetryableStatus(425), false);
    assert.equal(isRetryableStatus(425, { tooEarly: true }), true);
  });

  it('calls only error answers refusals (the platform rule: 4xx but 408 and 429)', () => {
    assert.deepEqual([400, 403, 404, 409, 425, 499].map((status) => isRefusedStatus(status)), [true, true, true, true, true, true]);
    assert.deepEqual([200, 302, 408, 429, 500, 503].map((status) => isRefusedStatus(status)), [false, false, false, false, false, false]);
  });
});
