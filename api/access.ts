// Who may see what: every read of a transcript or recording goes through here, so the rules live in one
// place. Until accounts land (issue #5) there is one local user, who may see everything.
import type { Transcript } from '../db/entities.ts';
import type { ApiContext } from './app.ts';

export async function assertCanView(_ctx: ApiContext, _transcript: Transcript): Promise<void> {
  // Issue #5: owner, shared-with viewers, public links, admins; 404 (not 403) for what the caller may not know exists.
}
