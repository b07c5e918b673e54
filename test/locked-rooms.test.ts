// A locked room: its platform room is private (the URL alone lets nobody in), and a platform token for its
// meeting goes only to the room's owner and to those the owner let in after they knocked, with or without an account.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, uniqueName, type TestProduct } from './support/product.ts';
import type { DailyPlatform } from '../platforms/daily/daily-platform.ts';

describe('locked rooms', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'locked', worker: false });
  });
  after(() => product?.stop());

  it('give a platform token only to the owner and those the owner lets in', async () => {
    const owner = await product.createUser();
    const colleague = await product.createUser();
    const name = uniqueName('locked');
    const asOwner = (method: string, path: string, body?: unknown) => product.request(method, path, body, owner.headers);
    assert.equal((await asOwner('POST', '/v1/rooms', { name, locked: true, shared: true, allowAnonymous: true, recordingTrigger: 'none' })).status, 201);
    const meeting = (await asOwner('POST', `/v1/rooms/${name}/meetings`, {})).body;
    const platformRoom = await (product.services.platforms.get('daily') as DailyPlatform).client.getRoom(meeting.platformRoomName);
    assert.equal(platformRoom.privacy, 'private', 'the platform room admits token holders only');

    // The owner joins at once, with host rights.
    const ownerJoin = await asOwner('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Ada' });
    assert.equal(ownerJoin.status, 200, JSON.stringify(ownerJoin.body));
    assert.equal(ownerJoin.body.isOwner, true);

    // A signed-in colleague (the room is shared) and a guest are refused until let in.
    const asColleague = (method: string, path: string, body?: unknown) => product.request(method, path, body, colleague.headers);
    const refused = await asColleague('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Grace' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'not_admitted');
    assert.equal(refused.body.token, undefined, 'no platform token');
    const knock = await asColleague('POST', `/v1/meetings/${meeting.id}/knock`, { userName: 'Grace' });
    assert.deepEqual(knock.body, { admitted: false, participantKey: `user:${colleague.id}`, meetingToken: null });

    const guestKnock = await product.as({})('POST', `/v1/meetings/${meeting.id}/knock`, { userName: 'Linus' });
    assert.equal(guestKnock.body.admitted, false);
    const asGuest = product.as({ authorization: `Bearer ${guestKnock.body.meetingToken}` });
    assert.equal((await asGuest('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Linus' })).status, 403);
    assert.equal((await product.as({})('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Eve' })).status, 403, 'a fresh guest too');

    // Only the owner sees the knocks and lets people in.
    assert.equal((await asColleague('GET', `/v1/meetings/${meeting.id}/knocks`)).status, 403);
    assert.equal((await asGuest('POST', `/v1/meetings/${meeting.id}/knocks/admit`, { participantKey: guestKnock.body.participantKey })).status, 403);
    const knocks = (await asOwner('GET', `/v1/meetings/${meeting.id}/knocks`)).body.items;
    assert.deepEqual(knocks.map((k: { userName: string; admittedAt: string | null }) => [k.userName, k.admittedAt]), [['Grace', null], ['Linus', null]]);
    assert.equal((await asOwner('POST', `/v1/meetings/${meeting.id}/knocks/admit`, { participantKey: 'user:nobody' })).status, 404);
    const admitted = await asOwner('POST', `/v1/meetings/${meeting.id}/knocks/admit`, { participantKey: guestKnock.body.participantKey });
    assert.equal(admitted.status, 200);
    assert.ok(admitted.body.admittedAt);

    // The guest let in joins with their meeting token; the colleague still waits.
    const guestJoin = await asGuest('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Linus' });
    assert.equal(guestJoin.status, 200, JSON.stringify(guestJoin.body));
    assert.equal(guestJoin.body.participantKey, guestKnock.body.participantKey);
    assert.equal(guestJoin.body.isOwner, false);
    assert.equal((await asGuest('POST', `/v1/meetings/${meeting.id}/knock`, { userName: 'Linus' })).body.admitted, true);
    assert.equal((await asColleague('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Grace' })).status, 403);

    // Unlocked, the room admits as before.
    assert.equal((await asOwner('PATCH', `/v1/rooms/${name}`, { locked: false })).status, 200);
    assert.equal((await asColleague('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Grace' })).status, 200);
  });
});
