import { createHash } from 'node:crypto';

// Recording instance ids derived from our meeting id, so every process (and every retry) asks the platform
// for the same stream. Daily needs different ids for the composite (cloud) and the per-speaker audio (raw tracks)
// running at once.

/** Namespace for per-speaker audio instance ids. Never change it: live meetings' recordings are keyed by it. */
export const RAW_TRACKS_INSTANCE_NAMESPACE = 'c4fca8ea-5217-48b9-a968-f4ed4a984a38';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** RFC 9562 UUID version 5 (SHA-1, name-based). */
export function uuidV5(name: string, namespace: string): string {
  if (!isUuid(namespace)) throw new TypeError(`namespace is not a UUID: ${namespace}`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The composite's instance id is the meeting id itself, which must therefore be a UUID. */
export function compositeInstanceId(meetingId: string): string {
  if (!isUuid(meetingId)) throw new TypeError(`meeting id is not a UUID: ${meetingId}`);
  return meetingId.toLowerCase();
}

export function speakerAudioInstanceId(meetingId: string): string {
  return uuidV5(compositeInstanceId(meetingId), RAW_TRACKS_INSTANCE_NAMESPACE);
}
