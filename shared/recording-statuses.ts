// A recording's statuses, in the order of its life: one list for the API (db/entities.ts, the recordings
// filter) and the browser client (the recordings page's filter), so the page offers exactly what the API
// accepts. No imports: the browser bundles this file as it is.
//   pending     requested; the platform has not confirmed it yet
//   recording   the platform confirmed it (Daily's recording.started)
//   processing  ready at the platform; its transcript is being made
//   completed   stored (and transcribed, for raw tracks)
//   failed      the platform, or its transcript, ended in error
//   missing     never ready at the platform, or never reported by it
export const RECORDING_STATUSES = ['pending', 'recording', 'processing', 'completed', 'failed', 'missing'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/** How the browser names each status. */
export const RECORDING_STATUS_LABELS: Record<RecordingStatus, string> = {
  pending: 'Pending', recording: 'Recording', processing: 'Processing', completed: 'Completed', failed: 'Failed', missing: 'Missing',
};
