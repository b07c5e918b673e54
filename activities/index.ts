// Activities are plain async functions built from their dependencies; the worker passes real clients,
// tests pass real clients pointed at test servers.
import type { Database } from '../db/orm.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import type { PlatformRegistry } from '../platforms/index.ts';
import type { Platform } from '../platforms/platform.ts';
import { createMeetingActivities } from './meetings.ts';
import { createRecordingActivities } from './recordings.ts';
import { createTranscriptionActivities, type TranscriptionDependencies } from './transcription.ts';
import { createDeletionActivities } from './deletion.ts';
import { createConsentActivities } from './consent.ts';
import { createOwnerCopyActivities } from './owner-copies.ts';
import { createOperationsActivities } from './operations.ts';
import { createDeliveryActivities, type DeliveryDependencies } from './delivery.ts';

export interface ActivityDependencies {
  db: Database;
  storage: ObjectStorage;
  /** The platforms configured here: each activity acts on its meeting's own. */
  platforms: PlatformRegistry;
  /** Absent on workers that run no transcription (e.g. a test of the meeting workflow alone). */
  transcription?: TranscriptionDependencies;
  /** Copies to room owners' WebDAV folders: the key their passwords are sealed under. Absent: none are made. */
  copies?: { appSecret: string };
  /** The operators' digest: when a recording counts as stuck, and where the digest goes (none: it is only computed). */
  operations?: { recordingStuckAfterSeconds: number; webhookUrl?: string; webhookSecret?: string; email?: string; zulip?: { stream: string; topic: string } };
  /** Where finished transcripts' notes may go (mail, Zulip); absent: nowhere (a room asking for it gets a warning). */
  delivery?: DeliveryDependencies;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createMeetingActivities(deps),
    ...createRecordingActivities(deps),
    ...createTranscriptionActivities(deps),
    ...createDeletionActivities(deps),
    ...createConsentActivities(deps),
    ...createOwnerCopyActivities(deps),
    ...createOperationsActivities(deps),
    ...createDeliveryActivities(deps),
  };
}

/** The meeting's platform. Inputs of runs started before meetings named theirs carry none: those were all Daily's. */
export function platformOf(platforms: PlatformRegistry, name: string | undefined): Platform {
  return platforms.get(name ?? 'daily');
}
