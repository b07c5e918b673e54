// Everything the worker registers as workflow code.
export { meetingWorkflow } from './meeting.ts';
export { recordingWorkflow } from './recording.ts';
export { recordingDeletionWorkflow } from './recording-deletion.ts';
export { retentionWorkflow } from './retention.ts';
export { consentRefusalWorkflow } from './consent.ts';
export { transcriptUpdatedWorkflow } from './transcript-updated.ts';
export { operatorDigestWorkflow } from './operator-digest.ts';
