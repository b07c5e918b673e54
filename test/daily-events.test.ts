import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DailyPlatform } from '../platforms/daily/daily-platform.ts';
import { parseDailyTrackKey } from '../platforms/daily/recordings.ts';
import { uuidV5 } from '../platforms/instance-ids.ts';
import { WebhookPayloadError, compositeInstanceId, speakerAudioInstanceId } from '../platforms/platform.ts';
import type { ParsedWebhook, PlatformEvent } from '../platforms/platform.ts';

// Daily's documented webhook examples (test/fixtures/daily/*.json) through parseWebhook.

const platform = new DailyPlatform({ apiKey: 'unused', webhookSecret: Buffer.from('secret').toString('base64') });
const fixture = (name: string) => readFileSync(new URL(`fixtures/daily/${name}.json`, import.meta.url));
const modified = (name: string, change: (body: { payload: Record<string, unknown> }) => void) => {
  const body = JSON.parse(fixture(name).toString('utf8')) as { payload: Record<string, unknown> };
  change(body);
  return Buffer.from(JSON.stringify(body));
};

function eventOf(parsed: ParsedWebhook): PlatformEvent {
  assert.equal(parsed.kind, 'event');
  return parsed.event;
}

describe('DailyPlatform.parseWebhook', () => {
  it('recognizes the {"test":"test"} handshake', () => {
    assert.deepEqual(platform.parseWebhook(Buffer.from('{"test":"test"}')), { kind: 'handshake' });
  });

  it('normalizes participant.joined (room → roomName, float joined_at)', () => {
    assert.deepEqual(eventOf(platform.parseWebhook(fixture('participant-joined'))), {
      type: 'participant.joined',
      eventId: 'ptcpt-join-6497c79b-f326-4942-aef8-c36a29140ad1-1708972279961',
      sentAt: new Date(1708972279961),
      occurredAt: new Date(1708972279960),
      roomName: 'test',
      sessionId: '0c0d2dda-f21d-4cf9-ab56-86bf3c407ffa',
      userId: '6497c79b-f326-4942-aef8-c36a29140ad1',
      userName: 'testuser',
      isOwner: false,
      joinedAt: new Date(1708972279960),
    });
  });

  it('normalizes participant.left with its duration and accepts room_name instead of room', () => {
    const event = eventOf(platform.parseWebhook(fixture('participant-left')));
    assert.equal(event.type, 'participant.left');
    assert.equal(event.durationSeconds, 11.419);
    assert.equal(event.occurredAt.getTime(), 1708972302986);
    const aliased = modified('participant-left', (body) => {
      body.payload.room_name = body.payload.room;
      delete body.payload.room;
    });
    assert.equal((eventOf(platform.parseWebhook(aliased)) as { roomName: string }).roomName, 'test');
  });

  it('normalizes meeting.started and meeting.ended', () => {
    const started = eventOf(platform.parseWebhook(fixture('meeting-started')));
    assert.deepEqual(started, {
      type: 'meeting.started',
      eventId: 'met-sta-f2aa1ade-ff80-464c-b46e-50ffa577d48d-1708526032',
      sentAt: new Date(1708526033049),
      occurredAt: new Date(1708526032672),
      platformMeetingId: 'f2aa1ade-ff80-464c-b46e-50ffa577d48d',
      roomName: 'TrPmUX1DzjSwDaAFDfNj',
      startedAt: new Date(1708526032672),
    });
    const ended = eventOf(platform.parseWebhook(fixture('meeting-ended')));
    assert.equal(ended.type, 'meeting.ended');
    assert.equal(ended.endedAt.getTime(), 1708526104671);
    assert.equal(ended.startedAt.getTime(), 1708526032000);
  });

  it('normalizes recording.started (no room name in Daily’s payload)', () => {
    const event = eventOf(platform.parseWebhook(fixture('recording-started')));
    assert.equal(event.type, 'recording.started');
    assert.equal(event.recordingId, '08fa0b24-9220-44c5-846c-3f116cf8e738');
    assert.equal(event.instanceId, 'c3df927c-f738-4471-a2b7-066fa7e95a6b');
    assert.equal(event.startedAt.getTime(), 1692124183000);
  });

  it('infers cloud for a ready-to-download without type or tracks', () => {
    const event = eventOf(platform.parseWebhook(fixture('recording-ready-cloud')));
    assert.equal(event.type, 'recording.ready');
    assert.equal(event.recordingType, 'cloud');
    assert.equal(event.objectKey, 'api-test-1j8fizhzd30c/Xcm97xRZ08b2dePKb78g/1692124183028');
    assert.equal(event.durationSeconds, 9);
    assert.equal(event.maxParticipants, 1);
    assert.equal(event.tracks, null);
  });

  it('normalizes raw-tracks with s3Key or s3key, parsing session and start from each key', () => {
    for (const spelling of ['s3Key', 's3key']) {
      const body = modified('recording-ready-raw-tracks', (b) => {
        for (const track of b.payload.tracks as Array<Record<string, unknown>>) {
          const key = track.s3Key;
          delete track.s3Key;
          track[spelling] = key;
        }
      });
      const event = eventOf(platform.parseWebhook(body));
      assert.equal(event.type, 'recording.ready');
      assert.equal(event.recordingType, 'raw-tracks');
      assert.equal(event.tracks?.length, 3);
      assert.deepEqual(event.tracks?.[0], {
        type: 'audio',
        key: 'monadical/daily-20251020193458/1760988935484-52f7f48b-fbab-431f-9a50-87b9abfc8255-cam-audio-1760988935922',
        size: 831843,
        sessionId: '52f7f48b-fbab-431f-9a50-87b9abfc8255',
        startedAt: new Date(1760988935922),
      });
    }
  });

  it('accepts both recording.error action spellings and numeric or string timestamps', () => {
    const event = eventOf(platform.parseWebhook(fixture('recording-error')));
    assert.deepEqual(event, {
      type: 'recording.error',
      eventId: 'rec-err-c3df927c-f738-4471-a2b7-066fa7e95a6b-1693402871',
      sentAt: new Date(1693402871203),
      occurredAt: new Date(1693402871000),
      instanceId: 'c3df927c-f738-4471-a2b7-066fa7e95a6b',
      roomName: 'iM5wNQvwtK4980eP049T',
      message: 'cloud-recording-error: Error fetching STS credentials',
      at: new Date(1693402871000),
    });
    const typo = modified('recording-error', (b) => {
      b.payload.action = 'clourd-recording-err';
      b.payload.timestamp = 1693402872;
    });
    const typoEvent = eventOf(platform.parseWebhook(typo));
    assert.equal(typoEvent.type === 'recording.error' && typoEvent.at.getTime(), 1693402872000);
  });

  it('ignores event types we do not consume', () => {
    const body = Buffer.from('{"version":"1.0.0","type":"streaming.started","id":"x","payload":{},"event_ts":1}');
    assert.deepEqual(platform.parseWebhook(body), { kind: 'ignored', type: 'streaming.started' });
  });

  it('throws WebhookPayloadError for malformed JSON, a broken envelope or a broken payload', () => {
    assert.throws(() => platform.parseWebhook(Buffer.from('{"version":')), (error: unknown) => {
      assert.ok(error instanceof WebhookPayloadError);
      assert.match(error.message, /not JSON/);
      return true;
    });
    assert.throws(() => platform.parseWebhook(Buffer.from('{"type":"participant.joined"}')), WebhookPayloadError);
    const broken = modified('recording-ready-raw-tracks', (b) => {
      delete b.payload.recording_id;
    });
    assert.throws(() => platform.parseWebhook(broken), (error: unknown) => {
      assert.ok(error instanceof WebhookPayloadError);
      assert.equal(error.eventType, 'recording.ready-to-download');
      assert.match(error.message, /recording_id/);
      return true;
    });
  });
});

describe('recording instance ids', () => {
  it('implements UUIDv5 (RFC 9562 vector: www.example.com in the DNS namespace)', () => {
    assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('derives a stable raw-tracks id different from the cloud id', () => {
    const meetingId = '0f8c2b1e-7d4a-4c1b-9e2f-3a5b6c7d8e9f';
    assert.equal(compositeInstanceId(meetingId), meetingId);
    assert.equal(speakerAudioInstanceId(meetingId), speakerAudioInstanceId(meetingId.toUpperCase()));
    assert.notEqual(speakerAudioInstanceId(meetingId), meetingId);
    assert.match(speakerAudioInstanceId(meetingId), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.throws(() => compositeInstanceId('meeting-42'), TypeError);
  });
});

describe('Daily track keys', () => {
  it('parses {recording_start_ms}-{session}-{media}-{track_start_ms}', () => {
    assert.deepEqual(parseDailyTrackKey('dom/room/1760037914930-52f7f48b-fbab-431f-9a50-87b9abfc8255-cam-audio-1760037915265'), {
      recordingStartMs: 1760037914930,
      sessionId: '52f7f48b-fbab-431f-9a50-87b9abfc8255',
      mediaType: 'cam-audio',
      trackStartMs: 1760037915265,
    });
    assert.equal(parseDailyTrackKey('dom/room/1760037914930'), null);
  });
});
