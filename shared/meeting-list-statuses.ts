// What the meetings list filters on (GET /v1/meetings?status=…): one list for the API (api/meetings.ts) and
// the browser's meetings page, so the page offers exactly what the API accepts. No imports.
//   active  still open
//   ended   over
export const MEETING_LIST_STATUSES = ['active', 'ended'] as const;
export type MeetingListStatus = (typeof MEETING_LIST_STATUSES)[number];

/** How the browser names each. */
export const MEETING_LIST_STATUS_LABELS: Record<MeetingListStatus, string> = { active: 'Open now', ended: 'Ended' };
