// Activities are plain async functions built from their dependencies; the worker passes real clients,
// tests pass real clients pointed at test servers.
import type { Database } from '../db/orm.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { createMeetingActivities } from './meetings.ts';

export interface ActivityDependencies {
  db: Database;
  storage: ObjectStorage;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createMeetingActivities(deps),
  };
}
