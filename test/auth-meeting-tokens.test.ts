// Anonymous participants' tokens: scoped to one meeting, signed with the app secret, short-lived.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleanDisplayName, isMeetingToken, issueMeetingToken, MEETING_TOKEN_SCOPE, verifyMeetingToken } from '../auth/meeting-tokens.ts';

const appSecret = 'test-app-secret-that-is-long-enough-0123456789';
const meetingId = '6f1c7a52-4f0e-4c44-9d0b-7d1c3c1f0a11';
const t0 = new Date('2026-11-21T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('meeting tokens', () => {
  it('carries the meeting, a random participant key, the name, the scope and the expiry', () => {
    const { token, claims } = issueMeetingToken({ appSecret, meetingId, name: '  Guest Lovelace ', ttlSeconds: 3600, now: t0 });
    assert.ok(isMeetingToken(token));
    const verified = verifyMeetingToken(token, { appSecret, meetingId, now: at(60) });
    assert.ok(verified.ok);
    assert.deepEqual(verified.claims, claims);
    assert.equal(claims.scope, MEETING_TOKEN_SCOPE);
    assert.equal(claims.scope, 'meeting:participate');
    assert.equal(claims.meetingId, meetingId);
    assert.equal(claims.name, 'Guest Lovelace');
    assert.match(claims.participantKey, /^p_[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(claims.expiresAt, at(3600));
    assert.notEqual(issueMeetingToken({ appSecret, meetingId, name: 'Guest', now: t0 }).claims.participantKey, claims.participantKey);
  });

  it('keeps a participant key across a re-issue when asked', () => {
    const first = issueMeetingToken({ appSecret, meetingId, name: 'Guest', now: t0 });
    const again = issueMeetingToken({ appSecret, meetingId, name: 'Guest', participantKey: first.claims.participantKey, now: at(10) });
    assert.equal(again.claims.participantKey, first.claims.participantKey);
  });

  it('refuses a tampered payload or signature, and another secret', () => {
    const { token } = issueMeetingToken({ appSecret, meetingId, name: 'Guest', now: t0 });
    const [payload, signature] = token.slice(4).split('.') as [string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
    forged.mid = '00000000-0000-4000-8000-000000000000';
    const forgedToken = `mtk_${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
    assert.deepEqual(verifyMeetingToken(forgedToken, { appSecret, now: t0 }), { ok: false, reason: 'bad_signature' });
    for (const position of [token.length - 20, token.length - 1]) {
      const flipped = `${token.slice(0, position)}${token[position] === 'A' ? 'B' : 'A'}${token.slice(position + 1)}`;
      assert.deepEqual(verifyMeetingToken(flipped, { appSecret, now: t0 }), { ok: false, reason: 'bad_signature' }, `changed at ${position}`);
    }
    assert.deepEqual(verifyMeetingToken(token, { appSecret: `${appSecret}-other`, now: t0 }), { ok: false, reason: 'bad_signature' });
    for (const junk of ['', 'mtk_', `mtk_${payload}`, `${token}.x`, token.replace('mtk_', 'mtx_')]) {
      assert.deepEqual(verifyMeetingToken(junk, { appSecret, now: t0 }), { ok: false, reason: 'malformed' }, junk);
    }
  });

  it('refuses an expired token, with a little clock skew allowed', () => {
    const { token } = issueMeetingToken({ appSecret, meetingId, name: 'Guest', ttlSeconds: 600, now: t0 });
    assert.ok(verifyMeetingToken(token, { appSecret, now: at(620), clockSkewSeconds: 30 }).ok);
    assert.deepEqual(verifyMeetingToken(token, { appSecret, now: at(630), clockSkewSeconds: 30 }), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyMeetingToken(token, { appSecret, now: at(601), clockSkewSeconds: 0 }), { ok: false, reason: 'expired' });
  });

  it('refuses a token for another meeting', () => {
    const { token } = issueMeetingToken({ appSecret, meetingId, name: 'Guest', now: t0 });
    assert.deepEqual(verifyMeetingToken(token, { appSecret, meetingId: '00000000-0000-4000-8000-000000000000', now: t0 }), { ok: false, reason: 'wrong_meeting' });
  });

  it('cleans a display name and refuses an empty one, a short secret and an overlong lifetime', () => {
    assert.equal(cleanDisplayName(' A\u0000li\u202ece\n '), 'Alice');
    assert.equal([...cleanDisplayName('é'.repeat(100))].length, 64);
    assert.throws(() => issueMeetingToken({ appSecret, meetingId, name: ' \n ' }), /display name/);
    assert.throws(() => issueMeetingToken({ appSecret: 'short', meetingId, name: 'Guest' }), /at least 32/);
    assert.throws(() => issueMeetingToken({ appSecret, meetingId, name: 'Guest', ttlSeconds: 7 * 24 * 3600 }), /ttlSeconds/);
  });
});
