import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DailyPlatform } from '../platforms/daily/daily-platform.ts';
import { signDailyWebhook, verifyDailySignature } from '../platforms/daily/signature.ts';

// Known vector, computed independently with openssl over Daily's documented recording.started example:
//   SECRET=bWVldGluZy1yZWNvcmRlci10ZXN0LWhtYWMta2V5ISE=     # base64 of "meeting-recorder-test-hmac-key!!"
//   KEYHEX=$(printf %s "$SECRET" | base64 -d | xxd -p -c 256)
//   printf '%s.' 1692124183 | cat - test/fixtures/daily/recording-started.json \
//     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEYHEX -binary | base64
const SECRET = 'bWVldGluZy1yZWNvcmRlci10ZXN0LWhtYWMta2V5ISE=';
const TIMESTAMP = '1692124183';
const BODY = readFileSync(new URL('fixtures/daily/recording-started.json', import.meta.url));
const EXPECTED_SIGNATURE = 'Sf5DSce0wFh/juSz3cwVuRKOZVxMsAcxma+bW3oHWHo=';

const platform = new DailyPlatform({ apiKey: 'unused', webhookSecret: SECRET });
const sentAt = new Date(Number(TIMESTAMP) * 1000);

function headers(signature: string | undefined, timestamp: string | undefined) {
  return { 'x-webhook-signature': signature, 'x-webhook-timestamp': timestamp };
}

describe('Daily webhook signature', () => {
  it('matches the openssl-computed vector', () => {
    assert.equal(signDailyWebhook(SECRET, TIMESTAMP, BODY), EXPECTED_SIGNATURE);
    assert.equal(signDailyWebhook(SECRET, TIMESTAMP, BODY.toString('utf8')), EXPECTED_SIGNATURE);
  });

  it('verifies the vector and refuses any change to body, timestamp, secret or signature', () => {
    const input = { secretBase64: SECRET, timestamp: TIMESTAMP, rawBody: BODY, signature: EXPECTED_SIGNATURE };
    assert.equal(verifyDailySignature(input), true);
    assert.equal(verifyDailySignature({ ...input, rawBody: Buffer.concat([BODY, Buffer.from(' ')]) }), false);
    assert.equal(verifyDailySignature({ ...input, timestamp: '1692124184' }), false);
    assert.equal(verifyDailySignature({ ...input, secretBase64: Buffer.from('another secret').toString('base64') }), false);
    assert.equal(verifyDailySignature({ ...input, signature: EXPECTED_SIGNATURE.slice(0, -2) }), false);
    assert.equal(verifyDailySignature({ ...input, signature: `sha256=${EXPECTED_SIGNATURE}` }), false);
  });
});

describe('DailyPlatform.verifyWebhook', () => {
  it('accepts a fresh, correctly signed delivery, whatever the header case or arity', () => {
    assert.deepEqual(platform.verifyWebhook({ rawBody: BODY, headers: headers(EXPECTED_SIGNATURE, TIMESTAMP), now: sentAt }), { ok: true });
    assert.deepEqual(
      platform.verifyWebhook({
        rawBody: BODY,
        headers: { 'X-Webhook-Signature': [EXPECTED_SIGNATURE], 'X-Webhook-Timestamp': TIMESTAMP },
        now: new Date(sentAt.getTime() + 299_000),
      }),
      { ok: true },
    );
  });

  it('says which header is missing as missing_signature', () => {
    for (const [signature, timestamp] of [[undefined, TIMESTAMP], [EXPECTED_SIGNATURE, undefined], ['', TIMESTAMP]] as const) {
      assert.deepEqual(platform.verifyWebhook({ rawBody: BODY, headers: headers(signature, timestamp), now: sentAt }), {
        ok: false,
        reason: 'missing_signature',
      });
    }
  });

  it('refuses a bad signature', () => {
    const tampered = Buffer.from(BODY.toString('utf8').replace('active-participant', 'single-participant'));
    assert.deepEqual(platform.verifyWebhook({ rawBody: tampered, headers: headers(EXPECTED_SIGNATURE, TIMESTAMP), now: sentAt }), {
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses timestamps more than five minutes away from now, either way (replay defence)', () => {
    for (const offsetMs of [301_000, -301_000]) {
      assert.deepEqual(
        platform.verifyWebhook({ rawBody: BODY, headers: headers(EXPECTED_SIGNATURE, TIMESTAMP), now: new Date(sentAt.getTime() + offsetMs) }),
        { ok: false, reason: 'stale_timestamp' },
      );
    }
    // Milliseconds or garbage are not Unix seconds.
    for (const timestamp of ['1692124183000', 'yesterday']) {
      assert.deepEqual(platform.verifyWebhook({ rawBody: BODY, headers: headers(EXPECTED_SIGNATURE, timestamp), now: sentAt }), {
        ok: false,
        reason: 'stale_timestamp',
      });
    }
  });
});
