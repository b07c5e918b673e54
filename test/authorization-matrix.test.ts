// The authorization matrix: every endpoint the API mounts × every kind of caller → the status it must get.
// The table below must name every endpoint (a new one fails this test until its row is written), and each
// row is checked for every role against the real product.
//
// The cast: a room owned by `owner` (not shared, no anonymous participants), its meeting, and in it three
// recordings: `shared` (a raw-tracks recording with its transcript, shared with `viewer`), `public` (another,
// with a public link) and a cloud recording shared with `viewer`. Callers: anonymous, a participant holding
// this meeting's token, a stranger (signed in, nothing shared), the viewer, the owner, an admin, and an
// anonymous caller holding the public link. Destructive requests get fresh things per role.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestProduct, uniqueName, type TestProduct, type TestUser, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD } from './support/product.ts';
import { endpoints } from '../api/app.ts';
import { Meeting, MeetingAdmission, Recording, RecordingShare, Transcript } from '../db/entities.ts';
import { hashShareLink } from '../api/access.ts';
import { keepCurrentVersion } from '../transcripts/versions.ts';
import { createApiKey } from '../auth/api-keys.ts';
import { User } from '../auth/entities.ts';
import { readFile } from 'node:fs/promises';
import { README, withTable } from '../scripts/api-table.ts';

const ROLES = ['anonymous', 'participant', 'stranger', 'viewer', 'owner', 'admin', 'publicLink'] as const;
type Role = (typeof ROLES)[number];
type Expected = Record<Role, number>;

interface Request {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}
interface Row {
  expect: Expected;
  request(role: Role): Promise<Request> | Request;
}

/** Expected statuses per declared rule; rows override where the endpoint differs. */
function byRule(ok: number, rule: string): Expected {
  switch (rule) {
    case 'public':
      return { anonymous: ok, participant: ok, stranger: ok, viewer: ok, owner: ok, admin: ok, publicLink: ok };
    case 'platform-signature':
      // No signature in these requests: refused for everyone, whatever user credential they carry.
      return { anonymous: 401, participant: 401, stranger: 401, viewer: 401, owner: 401, admin: 401, publicLink: 401 };
    case 'signed-in':
      return { anonymous: 401, participant: 403, stranger: ok, viewer: ok, owner: ok, admin: ok, publicLink: 401 };
    case 'admin':
      return { anonymous: 401, participant: 403, stranger: 403, viewer: 403, owner: 403, admin: ok, publicLink: 401 };
    case 'room-guest':
      // The room admits no anonymous participants and is not shared: only its owner and admins may know it.
      return { anonymous: 404, participant: 404, stranger: 404, viewer: 404, owner: ok, admin: ok, publicLink: 404 };
    case 'room-viewer':
      // The room is not shared: the same as its owner's rule (a shared room's viewers: test/action-items-api.test.ts).
    case 'room-owner':
      return { anonymous: 401, participant: 403, stranger: 404, viewer: 404, owner: ok, admin: ok, publicLink: 401 };
    case 'meeting-participant':
      return { anonymous: 404, participant: ok, stranger: 404, viewer: 404, owner: ok, admin: ok, publicLink: 404 };
    case 'meeting-host':
      return { anonymous: 401, participant: 403, stranger: 404, viewer: 404, owner: ok, admin: ok, publicLink: 401 };
    case 'recording-viewer':
      return { anonymous: 401, participant: 403, stranger: 404, viewer: ok, owner: ok, admin: ok, publicLink: ok };
    case 'recording-owner':
      return { anonymous: 401, participant: 403, stranger: 404, viewer: 403, owner: ok, admin: ok, publicLink: 401 };
    default:
      throw new Error(`No expectations for rule ${rule}`);
  }
}

describe('authorization matrix: every endpoint × every role', { timeout: 600_000 }, () => {
  let product: TestProduct;
  let owner: TestUser;
  let viewer: TestUser;
  let stranger: TestUser;
  let admin: TestUser;
  let participantToken: string;
  let publicToken: string;
  let roomName: string;
  let meetingId: string;
  const ids = { shared: '', public: '', cloud: '', sharedTranscript: '', publicTranscript: '' };

  const headersFor = (role: Role): Record<string, string> => {
    switch (role) {
      case 'anonymous':
      case 'publicLink':
        return {};
      case 'participant':
        return { authorization: `Bearer ${participantToken}` };
      case 'stranger':
        return stranger.headers;
      case 'viewer':
        return viewer.headers;
      case 'owner':
        return owner.headers;
      case 'admin':
        return admin.headers;
    }
  };
  const share = (role: Role, path: string) => (role === 'publicLink' ? `${path}${path.includes('?') ? '&' : '?'}share=${publicToken}` : path);
  /** The public-link caller asks for the public recording; everyone else for the one shared with the viewer. */
  const recordingFor = (role: Role) => (role === 'publicLink' ? ids.public : ids.shared);
  const transcriptFor = (role: Role) => (role === 'publicLink' ? ids.publicTranscript : ids.sharedTranscript);

  async function createRoom(name: string): Promise<void> {
    const created = await product.request('POST', '/v1/rooms', { name, allowAnonymous: true, recordingTrigger: 'none' }, owner.headers);
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
  async function openMeeting(room: string): Promise<string> {
    const meeting = await product.request('POST', `/v1/rooms/${room}/meetings`, {}, owner.headers);
    assert.ok([200, 201].includes(meeting.status), JSON.stringify(meeting.body));
    return meeting.body.id as string;
  }
  /** A completed raw-tracks recording with an ended transcript and its files in storage. */
  async function addRecording(meeting: string, type: 'raw-tracks' | 'cloud' = 'raw-tracks'): Promise<{ recordingId: string; transcriptId: string | null }> {
    const em = product.services.db.em.fork();
    const recordingId = randomUUID();
    const objectKey = type === 'cloud' ? `matrix/${recordingId}.mp4` : `matrix/${recordingId}/`;
    await product.services.storage.put(type === 'cloud' ? objectKey : `${objectKey}track.webm`, Buffer.from('media'), { contentType: 'application/octet-stream' });
    em.create(Recording, {
      id: recordingId, meeting, type, bucket: product.services.storage.bucket, objectKey, trackKeys: type === 'cloud' ? null : [`${objectKey}track.webm`],
      recordedAt: new Date(), durationSeconds: 60, sizeBytes: 5, status: 'completed',
    });
    if (type === 'cloud') {
      await em.flush();
      await em.nativeUpdate(Meeting, { id: meeting }, { cloudRecordingKey: objectKey });
      return { recordingId, transcriptId: null };
    }
    const transcript = em.create(Transcript, {
      recording: recordingId, status: 'ended', title: 'Matrix', audioKey: `transcripts/${recordingId}/audio.mp3`, waveformKey: `transcripts/${recordingId}/waveform.json`,
    });
    await em.flush();
    const put = (key: string, body: string) => product.services.storage.put(key, Buffer.from(body), { contentType: 'application/octet-stream' });
    await put(transcript.audioKey!, 'ID3audio');
    await put(transcript.waveformKey!, JSON.stringify({ peaks: [0, 1], durationSeconds: 60 }));
    await put(`transcripts/${transcript.id}/segments.json`, JSON.stringify([{ speaker: 0, name: 'A', start: 0, end: 1, text: 'hello' }]));
    for (const file of ['transcript.vtt', 'transcript.srt', 'transcript.txt', 'transcript-timestamps.txt', 'transcript.json']) await put(`transcripts/${transcript.id}/${file}`, 'WEBVTT\n');
    return { recordingId, transcriptId: transcript.id };
  }

  before(async () => {
    product = await startTestProduct({ name: 'matrix', env: { LOGIN_RATE_LIMIT_PER_MINUTE: '1000', PUBLIC_RATE_LIMIT_PER_MINUTE: '1000' } });
    owner = await product.createUser();
    viewer = await product.createUser();
    stranger = await product.createUser();
    admin = await product.createUser({ role: 'admin' });

    roomName = uniqueName('matrix');
    await createRoom(roomName);
    meetingId = await openMeeting(roomName);
    // The participant joins while the room still admits people without an account, and keeps their token.
    const joined = await product.as({})('POST', `/v1/meetings/${meetingId}/join`, { userName: 'Guest' });
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    participantToken = joined.body.meetingToken;
    assert.match(participantToken, /^mtk_/);
    assert.equal((await product.request('PATCH', `/v1/rooms/${roomName}`, { allowAnonymous: false }, owner.headers)).status, 200);

    const shared = await addRecording(meetingId);
    const pub = await addRecording(meetingId);
    const cloud = await addRecording(meetingId, 'cloud');
    Object.assign(ids, { shared: shared.recordingId, public: pub.recordingId, cloud: cloud.recordingId, sharedTranscript: shared.transcriptId!, publicTranscript: pub.transcriptId! });
    const em = product.services.db.em.fork();
    publicToken = `shr_${randomUUID()}`;
    await em.nativeUpdate(Recording, { id: ids.public }, { shareMode: 'public', publicLinkHash: hashShareLink(publicToken), publicLinkExpiresAt: new Date(Date.now() + 3600_000) });
    em.create(MeetingAdmission, { meeting: meetingId, participantKey: 'user:knocker', userName: 'Knocker' });
    for (const id of [ids.shared, ids.cloud]) {
      await em.nativeUpdate(Recording, { id }, { shareMode: 'shared' });
      em.create(RecordingShare, { recording: id, user: viewer.id });
    }
    await em.flush();
  });
  after(async () => {
    await product?.stop();
  });

  const freshRoom = async () => {
    const name = uniqueName('fresh');
    await createRoom(name);
    await product.request('PATCH', `/v1/rooms/${name}`, { allowAnonymous: false }, owner.headers);
    return name;
  };
  const freshRecording = async () => (await addRecording(meetingId)).recordingId;
  /** An ended transcript of its own, with two speakers, at revision 0 (corrections change what they touch). */
  const freshTranscript = async () => {
    const { transcriptId } = await addRecording(meetingId);
    const segments = [0, 1].map((speaker) => ({ speaker, speakerName: `S${speaker}`, start: speaker, end: speaker + 1, text: 'hello', words: [] }));
    await product.services.storage.put(`transcripts/${transcriptId}/segments.json`, Buffer.from(JSON.stringify(segments)), { contentType: 'application/json' });
    return transcriptId!;
  };
  /** Owners and admins correct a fresh transcript; the others ask for the cast's (and are refused). */
  const correctable = async (role: Role) => (role === 'owner' || role === 'admin' ? freshTranscript() : transcriptFor(role));

  /** Owners and admins change an item of a fresh transcript; the others ask for one of the cast's transcripts. */
  const actionItemFor = async (role: Role) => {
    if (role !== 'owner' && role !== 'admin') return `/v1/transcripts/${transcriptFor(role)}/action-items/${randomUUID()}`;
    const id = await freshTranscript();
    const added = await product.request('POST', `/v1/transcripts/${id}/action-items`, { text: 'Ship it' }, owner.headers);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    return `/v1/transcripts/${id}/action-items/${added.body.id}`;
  };

  const rows: Record<string, (rule: string) => Row> = {
    'GET /healthz': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/healthz' }) }),
    'GET /readyz': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/readyz' }) }),
    'GET /metrics': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/metrics' }) }),
    'GET /v1/admin/health': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/admin/health' }) }),
    'GET /v1/auth/config': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/auth/config' }) }),
    // No provider in this product: both answer 404 oidc_not_configured, to everyone alike.
    'GET /v1/auth/oidc/start': (rule) => ({ expect: byRule(404, rule), request: () => ({ path: '/v1/auth/oidc/start?next=/' }) }),
    'GET /v1/auth/oidc/callback': (rule) => ({ expect: byRule(404, rule), request: () => ({ path: '/v1/auth/oidc/callback?code=x&state=y' }) }),
    'POST /v1/auth/login': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/auth/login', body: { email: TEST_ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD } }) }),
    'POST /v1/auth/logout': (rule) => ({ expect: byRule(204, rule), request: () => ({ path: '/v1/auth/logout' }) }),
    'GET /v1/auth/me': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/auth/me' }) }),
    // No one here has a WebDAV folder; a PUT naming a closed port is checked, refused (422) and not kept.
    'GET /v1/me/webdav': (rule) => ({ expect: byRule(404, rule), request: () => ({ path: '/v1/me/webdav' }) }),
    'PUT /v1/me/webdav': (rule) => ({ expect: byRule(422, rule), request: () => ({ path: '/v1/me/webdav', body: { url: 'http://127.0.0.1:9/dav/', username: 'u', password: 'p' } }) }),
    'DELETE /v1/me/webdav': (rule) => ({ expect: byRule(204, rule), request: () => ({ path: '/v1/me/webdav' }) }),
    'PUT /v1/auth/password': (rule) => ({
      expect: byRule(204, rule),
      request: async (role) => {
        // A user of its own per role (changing the password signs out other sessions; keep the cast's).
        if (['stranger', 'viewer', 'owner', 'admin'].includes(role)) {
          const user = await product.createUser({ role: role === 'admin' ? 'admin' : 'user' });
          return { path: '/v1/auth/password', body: { currentPassword: user.password, newPassword: 'a-brand-new-passphrase' }, headers: user.headers };
        }
        return { path: '/v1/auth/password', body: { currentPassword: 'whatever-it-is', newPassword: 'a-brand-new-passphrase' } };
      },
    }),
    'POST /v1/users': (rule) => ({ expect: byRule(201, rule), request: () => ({ path: '/v1/users', body: { email: `${uniqueName('new')}@example.com`, password: 'long-enough-password' } }) }),
    'GET /v1/users': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/users' }) }),
    'POST /v1/api-keys': (rule) => ({ expect: byRule(201, rule), request: () => ({ path: '/v1/api-keys', body: { name: 'matrix' } }) }),
    'GET /v1/api-keys': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/api-keys' }) }),
    'DELETE /v1/api-keys/:id': (rule) => ({
      expect: byRule(200, rule),
      request: async (role) => {
        // Each user revokes a key of their own.
        const email = { stranger: stranger.email, viewer: viewer.email, owner: owner.email, admin: admin.email }[role as 'owner'] ?? TEST_ADMIN_EMAIL;
        const em = product.services.db.em.fork();
        const { apiKey } = await createApiKey(em, await em.findOneOrFail(User, { email }), { name: 'to revoke' });
        return { path: `/v1/api-keys/${apiKey.id}` };
      },
    }),
    'POST /v1/rooms': (rule) => ({ expect: byRule(201, rule), request: () => ({ path: '/v1/rooms', body: { name: uniqueName('made') } }) }),
    'GET /v1/rooms': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/rooms' }) }),
    'GET /v1/room-defaults': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/room-defaults' }) }),
    'GET /v1/rooms/:name': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/rooms/${roomName}` }) }),
    'PATCH /v1/rooms/:name': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/rooms/${roomName}`, body: { skipConsent: false } }) }),
    'DELETE /v1/rooms/:name': (rule) => ({ expect: byRule(204, rule), request: async () => ({ path: `/v1/rooms/${await freshRoom()}` }) }),
    'POST /v1/rooms/:name/meetings': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/rooms/${roomName}/meetings`, body: {} }) }),
    'GET /v1/meetings': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/meetings' }) }),
    'GET /v1/meetings/:id': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}` }) }),
    'GET /v1/meetings/:id/state': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/state` }) }),
    'GET /v1/meetings/:id/timeline': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/timeline` }) }),
    'POST /v1/meetings/:id/join': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/join`, body: { userName: 'Someone' } }) }),
    'POST /v1/meetings/:id/knock': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/knock`, body: { userName: 'Someone' } }) }),
    'GET /v1/meetings/:id/knocks': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/knocks` }) }),
    'POST /v1/meetings/:id/knocks/admit': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/knocks/admit`, body: { participantKey: 'user:knocker' } }) }),
    'POST /v1/meetings/:id/recordings/start': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/recordings/start`, body: {} }) }),
    'POST /v1/meetings/:id/recordings/stop': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/meetings/${meetingId}/recordings/stop` }) }),
    'GET /v1/meetings/:id/cloud-recording': (rule) => ({
      // The cloud video is watched with the transcript: the public link of the meeting's raw-tracks recording opens it too.
      expect: byRule(307, rule),
      request: (role) => ({ path: share(role, `/v1/meetings/${meetingId}/cloud-recording`) }),
    }),
    'POST /v1/meetings/:id/end': (rule) => ({
      expect: byRule(202, rule),
      request: async () => {
        const name = await freshRoom();
        return { path: `/v1/meetings/${await openMeeting(name)}/end` };
      },
    }),
    'POST /v1/meetings/:id/consent': (rule) => ({
      // Consent is tied to a person: an anonymous caller has no identity to tie it to.
      expect: { ...byRule(200, rule), anonymous: 401, publicLink: 401 },
      request: () => ({ path: `/v1/meetings/${meetingId}/consent`, body: { consentGiven: true } }),
    }),
    'GET /v1/recordings': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/recordings' }) }),
    'GET /v1/recordings/:id': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/recordings/${recordingFor(role)}`) }) }),
    'GET /v1/recordings/:id/download': (rule) => ({ expect: byRule(307, rule), request: (role) => ({ path: share(role, `/v1/recordings/${recordingFor(role)}/download`) }) }),
    'GET /v1/recordings/:id/status': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/recordings/${recordingFor(role)}/status`) }) }),
    'DELETE /v1/recordings/:id': (rule) => ({
      expect: byRule(202, rule),
      request: async (role) => {
        const id = await freshRecording();
        const em = product.services.db.em.fork();
        await em.nativeUpdate(Recording, { id }, { shareMode: 'shared' });
        em.create(RecordingShare, { recording: id, user: viewer.id });
        await em.flush();
        return { path: share(role, `/v1/recordings/${id}`) };
      },
    }),
    'GET /v1/recordings/:id/sharing': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/recordings/${recordingFor(role)}/sharing`) }) }),
    'PUT /v1/recordings/:id/sharing': (rule) => ({
      expect: byRule(200, rule),
      request: (role) => ({ path: share(role, `/v1/recordings/${recordingFor(role)}/sharing`), body: { mode: 'shared', userEmails: [viewer.email] } }),
    }),
    'GET /v1/recordings/:id/access-log': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/recordings/${recordingFor(role)}/access-log`) }) }),
    'POST /v1/recordings/:id/reprocess': (rule) => ({
      // Allowed, then refused by the recording's state (these rows have no real tracks): 409, never 2xx here.
      expect: byRule(202, rule),
      request: async (role) => ({ path: share(role, `/v1/recordings/${role === 'owner' || role === 'admin' ? await freshRecording() : recordingFor(role)}/reprocess`) }),
    }),
    'GET /v1/speech': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/speech' }) }),
    'GET /v1/search': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/search?q=release' }) }),
    'GET /v1/transcripts': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/transcripts' }) }),
    'GET /v1/transcripts/:id': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}`) }) }),
    'GET /v1/transcripts/:id/export': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/export?format=vtt`) }) }),
    'GET /v1/transcripts/:id/audio.mp3': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/audio.mp3`) }) }),
    'GET /v1/transcripts/:id/waveform': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/waveform`) }) }),
    'GET /v1/transcripts/:id/events': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/events`) }) }),
    'GET /v1/transcripts/:id/sharing': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/sharing`) }) }),
    'PUT /v1/transcripts/:id/sharing': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/sharing`), body: { mode: 'inherit' } }) }),
    'PATCH /v1/transcripts/:id/speakers/:speaker': (rule) => ({
      expect: byRule(200, rule),
      request: async (role) => ({ path: share(role, `/v1/transcripts/${await correctable(role)}/speakers/0`), body: { revision: 0, name: 'Renamed' } }),
    }),
    'POST /v1/transcripts/:id/speakers/:speaker/merge': (rule) => ({
      expect: byRule(200, rule),
      request: async (role) => ({ path: share(role, `/v1/transcripts/${await correctable(role)}/speakers/1/merge`), body: { revision: 0, into: 0 } }),
    }),
    'PATCH /v1/transcripts/:id/turns/:index': (rule) => ({
      expect: byRule(200, rule),
      request: async (role) => ({ path: share(role, `/v1/transcripts/${await correctable(role)}/turns/0`), body: { revision: 0, text: 'hello there' } }),
    }),
    'GET /v1/transcripts/:id/edits': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/edits`) }) }),
    'POST /v1/transcripts/:id/edits/:editId/revert': (rule) => ({
      expect: byRule(200, rule),
      request: async (role) => {
        if (role !== 'owner' && role !== 'admin') return { path: share(role, `/v1/transcripts/${transcriptFor(role)}/edits/${randomUUID()}/revert`), body: { revision: 0 } };
        const id = await freshTranscript();
        const renamed = await product.request('PATCH', `/v1/transcripts/${id}/speakers/0`, { revision: 0, name: 'To revert' }, owner.headers);
        assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
        return { path: `/v1/transcripts/${id}/edits/${renamed.body.edit.id}/revert`, body: { revision: 1 } };
      },
    }),
    'GET /v1/transcripts/:id/action-items': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/action-items`) }) }),
    'POST /v1/transcripts/:id/action-items': (rule) => ({
      expect: byRule(201, rule),
      request: async (role) => ({ path: share(role, `/v1/transcripts/${await correctable(role)}/action-items`), body: { text: 'Ship it' } }),
    }),
    'PATCH /v1/transcripts/:id/action-items/:itemId': (rule) => ({ expect: byRule(200, rule), request: async (role) => ({ path: share(role, await actionItemFor(role)), body: { done: true } }) }),
    'DELETE /v1/transcripts/:id/action-items/:itemId': (rule) => ({ expect: byRule(204, rule), request: async (role) => ({ path: share(role, await actionItemFor(role)) }) }),
    'GET /v1/transcripts/:id/versions': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/versions`) }) }),
    'GET /v1/transcripts/:id/versions/:number': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/versions/1`) }) }),
    'GET /v1/transcripts/:id/versions/:number/changes': (rule) => ({ expect: byRule(200, rule), request: (role) => ({ path: share(role, `/v1/transcripts/${transcriptFor(role)}/versions/1/changes?from=1`) }) }),
    'POST /v1/transcripts/:id/versions/:number/restore': (rule) => ({
      expect: byRule(200, rule),
      request: async (role) => {
        if (role !== 'owner' && role !== 'admin') return { path: share(role, `/v1/transcripts/${transcriptFor(role)}/versions/1/restore`), body: { revision: 0 } };
        // A fresh transcript with one earlier version (as a rerun keeps it), which owners and admins bring back.
        const id = await freshTranscript();
        const { recording } = await product.services.db.em.fork().findOneOrFail(Transcript, id);
        assert.equal(await keepCurrentVersion(product.services.db.em.fork(), product.services.storage, recording.id), 1);
        return { path: `/v1/transcripts/${id}/versions/1/restore`, body: { revision: 0 } };
      },
    }),
    'GET /v1/rooms/:name/action-items': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: `/v1/rooms/${roomName}/action-items` }) }),
    'POST /v1/webhooks/:platform': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/webhooks/daily', body: { test: 'test' } }) }),
    'GET /v1/openapi.json': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/openapi.json' }) }),
    'GET /v1/docs': (rule) => ({ expect: byRule(200, rule), request: () => ({ path: '/v1/docs' }) }),
  };

  it('has a row for every endpoint, and every row is a mounted endpoint', () => {
    const mounted = endpoints.map((e) => `${e.method.toUpperCase()} ${e.path}`);
    const missing = mounted.filter((key) => !rows[key]);
    assert.deepEqual(missing, [], `endpoints without a row in the authorization matrix: ${missing.join(', ')}`);
    const stale = Object.keys(rows).filter((key) => !mounted.includes(key));
    assert.deepEqual(stale, [], `rows for endpoints that no longer exist: ${stale.join(', ')}`);
  });

  it("the README's endpoint table is generated from the same declarations and is current (npm run docs:api)", async () => {
    const readme = await readFile(README, 'utf8');
    assert.equal(withTable(readme), readme);
  });

  for (const spec of endpoints) {
    const key = `${spec.method.toUpperCase()} ${spec.path}`;
    it(`${key} (${spec.access.name})`, async () => {
      const row = rows[key]?.(spec.access.name);
      assert.ok(row, `no matrix row for ${key}`);
      const actual: Partial<Record<Role, number>> = {};
      for (const role of ROLES) {
        const request = await row.request(role);
        const response = await product.as(request.headers ?? headersFor(role))(spec.method.toUpperCase(), request.path, request.body);
        // Reprocess of a row without media is allowed but refused by state: 409 stands for "got past authorization".
        actual[role] = key === 'POST /v1/recordings/:id/reprocess' && response.status === 409 ? 202 : response.status;
        if (response.status >= 400) {
          assert.equal(typeof response.body?.error?.code, 'string', `${key} as ${role}: error body without a code: ${JSON.stringify(response.body)}`);
        }
      }
      assert.deepEqual(actual, row.expect, `${key}: statuses per role`);
    });
  }
});
