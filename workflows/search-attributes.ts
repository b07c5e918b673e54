// Custom search attributes: how an operator finds a run in the Temporal UI
// (e.g. `RoomName = 'standup'`). Registered by the embedded dev server and by ensureSearchAttributes().
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MeetingIdAttribute = defineSearchAttributeKey('MeetingId', SearchAttributeType.KEYWORD);
export const RoomNameAttribute = defineSearchAttributeKey('RoomName', SearchAttributeType.KEYWORD);
export const PlatformAttribute = defineSearchAttributeKey('Platform', SearchAttributeType.KEYWORD);
export const MeetingStateAttribute = defineSearchAttributeKey('MeetingState', SearchAttributeType.KEYWORD);

export const RecordingIdAttribute = defineSearchAttributeKey('RecordingId', SearchAttributeType.KEYWORD);

export const customSearchAttributes = [MeetingIdAttribute, RoomNameAttribute, PlatformAttribute, MeetingStateAttribute, RecordingIdAttribute];
