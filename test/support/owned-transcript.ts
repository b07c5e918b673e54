// A product whose room belongs to Alice (Bob is another user), with an ended raw-tracks transcript seeded in it and
// the room's webhook pointed at a receiver signing with `secret`: what the corrections and versions API tests share.
import { startTestProduct, type TestProduct, type TestUser } from './product.ts';
import { seedRecording, seedRoom } from './recordings.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
import { Room } from '../../db/entities.ts';

export interface OwnedTranscript {
  product: TestProduct;
  receiver: WebhookReceiver;
  alice: TestUser;
  bob: TestUser;
  asAlice: ReturnType<TestProduct['as']>;
  transcriptId: string;
  recordingId: string;
}

export async function startOwnedTranscript(name: string, secret: string): Promise<OwnedTranscript> {
  const receiver = await startWebhookReceiver();
  const product = await startTestProduct({ name, worker: { queues: ['meetings'] } });
  const alice = await product.createUser({ email: `alice-${name}@example.com` });
  const bob = await product.createUser({ email: `bob-${name}@example.com` });
  const em = product.services.db.em.fork();
  const { room, meeting } = await seedRoom(em, { name, ownerId: alice.id });
  await em.nativeUpdate(Room, { id: room.id }, { webhookUrl: receiver.url, webhookSecret: secret });
  const seeded = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true });
  return { product, receiver, alice, bob, asAlice: product.as(alice.headers), transcriptId: seeded.transcript!.id, recordingId: seeded.recording.id };
}
