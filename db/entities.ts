// The data model. Entities are defined without decorators (defineEntity), so the code runs under plain
// type stripping. Optimistic locking (`version`) where two writers can meet: meeting, recording, transcript.
import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { authEntities, User } from '../auth/entities.ts';
import { RECORDING_STATUSES } from '../shared/recording-statuses.ts';
import { RECORDING_KINDS, RECORDING_TRIGGERS, RECORDING_TYPES } from '../meetings/messages.ts';
import { CORRECTION_KINDS, type ContentPart } from '../transcripts/corrections.ts';

export const PLATFORMS = ['daily', 'whereby', '100ms', 'livekit'] as const;
export type PlatformName = (typeof PLATFORMS)[number];
// A meeting's recording kinds, triggers and types are the meeting's messages' (meetings/messages.ts).
export { RECORDING_KINDS, RECORDING_TRIGGERS, RECORDING_TYPES };
export type { RecordingKind } from '../meetings/messages.ts';
export const ROOM_MODES = ['normal', 'group'] as const;
export type RoomMode = (typeof ROOM_MODES)[number];
export { RECORDING_STATUSES, type RecordingStatus } from '../shared/recording-statuses.ts';
export const TRANSCRIPT_STATUSES = ['idle', 'processing', 'ended', 'error'] as const;
export type TranscriptStatus = (typeof TRANSCRIPT_STATUSES)[number];
/** Who may see a recording besides its room's owner and admins: nobody, named users, or anyone with the link. */
export const SHARE_MODES = ['private', 'shared', 'public'] as const;
export type ShareMode = (typeof SHARE_MODES)[number];
/** A transcript follows its recording's rule (`inherit`) unless its owner set one of its own. */
export const TRANSCRIPT_SHARE_MODES = ['inherit', 'private', 'public'] as const;
export type TranscriptShareMode = (typeof TRANSCRIPT_SHARE_MODES)[number];
export const ACCESS_ACTIONS = ['view', 'download', 'share', 'delete', 'edit'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

const id = () => p.uuid().primary().onCreate(() => randomUUID());
const createdAt = () => p.datetime().onCreate(() => new Date());
const updatedAt = () => p.datetime().onCreate(() => new Date()).onUpdate(() => new Date());

/**
 * What a room's settings are unless its owner sets them: the one source for the database's column defaults,
 * the API's create (a field left out) and the web's new-room form (GET /v1/room-defaults). Guests stay out
 * (`allowAnonymous: false`) until the owner lets them in.
 */
export const ROOM_DEFAULTS = {
  platform: 'daily',
  recordingType: 'cloud',
  recordingTrigger: 'automatic-2nd-participant',
  locked: false,
  roomMode: 'normal',
  shared: false,
  skipConsent: false,
  allowAnonymous: false,
  webhookUrl: null,
  retentionDays: null,
  vocabulary: [] as string[],
  background: null,
  emailParticipants: false,
  zulipStream: null,
  zulipTopic: null,
} as const satisfies {
  platform: PlatformName; recordingType: (typeof RECORDING_TYPES)[number]; recordingTrigger: (typeof RECORDING_TRIGGERS)[number];
  locked: boolean; roomMode: RoomMode; shared: boolean; skipConsent: boolean; allowAnonymous: boolean; webhookUrl: null; retentionDays: null;
  vocabulary: string[]; background: null; emailParticipants: boolean; zulipStream: null; zulipTopic: null;
};

/** A persistent, named template from which meetings are held. */
export const Room = defineEntity({
  name: 'Room',
  properties: {
    id: id(),
    name: p.string().length(64).unique(),
    ownerId: p.string().length(128).index(),
    platform: p.enum(PLATFORMS).default(ROOM_DEFAULTS.platform),
    recordingType: p.enum(RECORDING_TYPES).default(ROOM_DEFAULTS.recordingType),
    recordingTrigger: p.enum(RECORDING_TRIGGERS).default(ROOM_DEFAULTS.recordingTrigger),
    locked: p.boolean().default(ROOM_DEFAULTS.locked),
    roomMode: p.enum(ROOM_MODES).default(ROOM_DEFAULTS.roomMode),
    shared: p.boolean().default(ROOM_DEFAULTS.shared),
    skipConsent: p.boolean().default(ROOM_DEFAULTS.skipConsent),
    /** Whether people without an account may join its meetings (they get a token for that meeting only). */
    allowAnonymous: p.boolean().default(ROOM_DEFAULTS.allowAnonymous),
    webhookUrl: p.string().length(2048).nullable(),
    webhookSecret: p.string().length(256).nullable().hidden(),
    retentionDays: p.integer().nullable(),
    /** Names and terms said in its meetings (product names, jargon): given to the recognizer, and to the summary engine. */
    vocabulary: p.json<string[]>().nullable(),
    /** Who the team is and what the meeting series is for: given to the summary engine. */
    background: p.text().nullable(),
    /** When a transcript of its meetings ends: mail its notes to the participants who have an account (delivery/email.ts). */
    emailParticipants: p.boolean().default(ROOM_DEFAULTS.emailParticipants),
    /** When a transcript of its meetings ends: post its notes to this Zulip stream (delivery/zulip.ts), edited in place later. */
    zulipStream: p.string().length(128).nullable(),
    /** The Zulip topic; none: the room's name. */
    zulipTopic: p.string().length(128).nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type Room = InferEntity<typeof Room>;

/** One session of a room, owned at run time by the workflow `meeting/<id>`. */
export const Meeting = defineEntity({
  name: 'Meeting',
  properties: {
    id: id(),
    room: () => p.manyToOne(Room).deleteRule('cascade').index(),
    platform: p.enum(PLATFORMS),
    /** `{room}-{YYYYMMDDHHMMSS}` in UTC: the platform's room name for this meeting. */
    platformRoomName: p.string().length(128).index(),
    roomUrl: p.string().length(2048).nullable(),
    hostRoomUrl: p.string().length(2048).nullable(),
    startDate: p.datetime(),
    endDate: p.datetime(),
    endedAt: p.datetime().nullable(),
    active: p.boolean().default(true),
    participantCount: p.integer().default(0),
    // Settings copied from the room when the meeting was created.
    recordingType: p.enum(RECORDING_TYPES),
    recordingTrigger: p.enum(RECORDING_TRIGGERS),
    calendarEventId: p.string().length(256).nullable(),
    calendarMetadata: p.json<Record<string, unknown>>().nullable(),
    /** Daily's meeting session id (`mtgSessionId`), once known. */
    platformMeetingId: p.string().length(128).nullable(),
    /** Recording instance ids: cloud = the meeting id; raw-tracks = UUIDv5 of it (stored to route webhooks back). */
    rawTracksInstanceId: p.uuid().nullable().unique(),
    cloudRecordingKey: p.string().length(1024).nullable(),
    cloudRecordingDuration: p.integer().nullable(),
    /** The last recording error the platform reported for this meeting. */
    recordingError: p.text().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: p.integer().version(),
  },
  // One active meeting per room: concurrent "create meeting" requests meet here and share one meeting.
  uniques: [{ name: 'meeting_one_active_per_room', properties: ['room'], where: { active: true } }],
});
export type Meeting = InferEntity<typeof Meeting>;

export interface StoredTrackFacts {
  sessionId: string;
  /** ISO 8601: the track's first sample. */
  startedAt: string;
}

/** One platform recording object; its id is the platform's recording id. */
export const Recording = defineEntity({
  name: 'Recording',
  properties: {
    id: p.string().length(128).primary(),
    meeting: () => p.manyToOne(Meeting).nullable().deleteRule('set null').index(),
    type: p.enum(RECORDING_KINDS),
    bucket: p.string().length(256),
    objectKey: p.string().length(1024),
    /** null = not multitrack, [] = multitrack with no audio. */
    trackKeys: p.json<string[]>().nullable(),
    /** By track key, what the platform's events said of a track recorded on its own (per-track platforms); the
     * others' keys tell it themselves (Platform.describeTrack). */
    trackFacts: p.json<Record<string, StoredTrackFacts>>().nullable(),
    recordedAt: p.datetime(),
    durationSeconds: p.integer().nullable(),
    sizeBytes: p.bigint('number').nullable(),
    status: p.enum(RECORDING_STATUSES).default('pending'),
    error: p.text().nullable(),
    shareMode: p.enum(SHARE_MODES).default('private'),
    /** Hex sha256 of the public link's token (mode `public`); the token itself is shown once. */
    publicLinkHash: p.string().length(64).nullable().unique().hidden(),
    publicLinkExpiresAt: p.datetime().nullable(),
    /** Set when its owner (or retention) asked for deletion: from then on it is gone for every reader. */
    deletionRequestedAt: p.datetime().nullable(),
    /** Its media (tracks, MP4, mixed audio) was deleted because someone in its meeting refused consent; the row and words stay. */
    mediaDeleted: p.boolean().default(false),
    /** The copy of its files to the room owner's WebDAV folder (copies/webdav.ts), once tried; null: none configured then. */
    ownerCopy: p.json<OwnerCopyOutcome>().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: p.integer().version(),
  },
});
export type Recording = InferEntity<typeof Recording>;

export interface OwnerCopyOutcome {
  status: 'copied' | 'failed';
  at: string;
  /** The folder's URL the files went to. */
  url: string;
  files: Array<{ name: string; bytes: number; outcome: 'sent' | 'already-there' | 'failed' }>;
  error?: string;
}

/** A user's own storage for copies of their recordings (Nextcloud over WebDAV); the password sealed (copies/sealed-secret.ts). */
export const WebDavSetting = defineEntity({
  name: 'WebDavSetting',
  properties: {
    id: id(),
    userId: p.string().length(128).unique(),
    url: p.string().length(2048),
    username: p.string().length(256),
    passwordSealed: p.text().hidden(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type WebDavSetting = InferEntity<typeof WebDavSetting>;

export interface TranscriptProgress {
  step: string;
  tracksDone: number;
  tracksTotal: number;
  percent: number;
}
export interface TranscriptParticipant {
  speaker: number;
  platformParticipantId: string | null;
  name: string;
  userId: string | null;
}
export interface TranscriptTopic {
  title: string;
  summary: string;
  start: number;
  end: number;
}

export interface TranscriptDelivery {
  /** The mail to the meeting's participants with an account: who got it (user ids), who did not and why. */
  email?: { status: 'sent' | 'failed' | 'no-recipients'; at: string; sentTo: string[]; failed: Array<{ userId: string; error: string }>; error?: string };
  /** The Zulip message: its id (edited in place after a correction or a rerun), where, and at which revision. */
  zulip?: { status: 'posted' | 'edited' | 'failed'; at: string; stream: string; topic: string; messageId: number | null; revision: number; error?: string };
}

/** The transcript of one raw-tracks recording (1:1). */
export const Transcript = defineEntity({
  name: 'Transcript',
  properties: {
    id: id(),
    recording: () => p.oneToOne(Recording).owner().unique().deleteRule('cascade'),
    status: p.enum(TRANSCRIPT_STATUSES).default('idle'),
    progress: p.json<TranscriptProgress>().nullable(),
    error: p.text().nullable(),
    title: p.string().length(512).nullable(),
    shortSummary: p.text().nullable(),
    longSummary: p.text().nullable(),
    topics: p.json<TranscriptTopic[]>().nullable(),
    actionItems: p.json<string[]>().nullable(),
    participants: p.json<TranscriptParticipant[]>().nullable(),
    webvtt: p.text().nullable(),
    durationSeconds: p.double().nullable(),
    language: p.string().length(16).default('en'),
    audioKey: p.string().length(1024).nullable(),
    waveformKey: p.string().length(1024).nullable(),
    audioDeleted: p.boolean().default(false),
    /** Which engines made it: the offline ones are labelled as such (poor accuracy, extractive summary). */
    speechEngine: p.string().length(64).nullable(),
    summaryEngine: p.string().length(64).nullable(),
    shareMode: p.enum(TRANSCRIPT_SHARE_MODES).default('inherit'),
    publicLinkHash: p.string().length(64).nullable().unique().hidden(),
    publicLinkExpiresAt: p.datetime().nullable(),
    /** Advances with every correction (and when the pipeline writes the content again): an edit names the one it was based on. */
    revision: p.integer().default(0),
    /** The correction whose files are current (`transcripts/<id>/revisions/<it>/`); null: the pipeline's own files. */
    contentVersion: p.uuid().nullable(),
    /** The kept version whose content was brought back as the current one (transcripts/versions.ts); null: the pipeline's own run. */
    restoredFrom: p.integer().nullable(),
    /** Where its notes were delivered when it ended (mail, Zulip), and how that went: a failure is a warning here. */
    delivery: p.json<TranscriptDelivery>().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    version: p.integer().version(),
  },
});
export type Transcript = InferEntity<typeof Transcript>;

/**
 * One correction of a transcript (transcripts/corrections.ts): who made it, when, and the parts it changed before
 * and after, so it can be reverted (a revert is a correction of its own, naming the one it reverts).
 */
export const TranscriptEdit = defineEntity({
  name: 'TranscriptEdit',
  properties: {
    id: id(),
    transcript: () => p.manyToOne(Transcript).deleteRule('cascade').index(),
    /** The revision this edit made. */
    revision: p.integer(),
    kind: p.enum(CORRECTION_KINDS),
    summary: p.string().length(512),
    userId: p.string().length(128).nullable(),
    before: p.json<ContentPart>(),
    after: p.json<ContentPart>(),
    revertOf: p.uuid().nullable(),
    at: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ properties: ['transcript', 'revision'] }],
});
export type TranscriptEdit = InferEntity<typeof TranscriptEdit>;

export const ACTION_ITEM_SOURCES = ['summary', 'person'] as const;

/**
 * An action item of a transcript (transcripts/action-items.ts derives them from its summary): its owner (a
 * participant), due day and moment when they could be told; done or not. A person's change marks it `touched` and a
 * deletion of the summary's item leaves a mark (`deletedAt`), so a rerun of the pipeline, which replaces the summary's
 * untouched items, keeps the one and does not bring back the other; they go with their transcript.
 */
export const ActionItem = defineEntity({
  name: 'ActionItem',
  properties: {
    id: id(),
    transcript: () => p.manyToOne(Transcript).deleteRule('cascade').index(),
    position: p.integer(),
    text: p.text(),
    owner: p.string().length(256).nullable(),
    /** `YYYY-MM-DD`. */
    due: p.string().length(10).nullable(),
    startSeconds: p.double().nullable(),
    done: p.boolean().default(false),
    doneAt: p.datetime().nullable(),
    doneBy: p.string().length(128).nullable(),
    source: p.enum(ACTION_ITEM_SOURCES),
    /** The summary's words when it made the item: a rerun that finds it again knows it (touched or deleted) by them. */
    summaryText: p.text().nullable(),
    touched: p.boolean().default(false),
    /** A summary's item a person deleted stays as this mark, so that a rerun does not bring it back. */
    deletedAt: p.datetime().nullable(),
    createdBy: p.string().length(128).nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type ActionItem = InferEntity<typeof ActionItem>;

/**
 * An earlier version of a transcript (transcripts/versions.ts): the content a rerun of its recording's pipeline
 * replaced, kept with what made it (engines, language) and its words as its files were then (segments.json and the
 * exports under `transcripts/<id>/versions/<number>/`). The corrections made to it are the transcript's edits up to
 * its `revision`. Numbered from 1; the transcript itself is the current version.
 */
export const TranscriptVersion = defineEntity({
  name: 'TranscriptVersion',
  properties: {
    id: id(),
    transcript: () => p.manyToOne(Transcript).deleteRule('cascade').index(),
    number: p.integer(),
    /** When this content was last written (the transcript's updatedAt as it was replaced). */
    madeAt: p.datetime(),
    speechEngine: p.string().length(64).nullable(),
    summaryEngine: p.string().length(64).nullable(),
    language: p.string().length(16),
    title: p.string().length(512).nullable(),
    shortSummary: p.text().nullable(),
    longSummary: p.text().nullable(),
    topics: p.json<TranscriptTopic[]>().nullable(),
    participants: p.json<TranscriptParticipant[]>().nullable(),
    durationSeconds: p.double().nullable(),
    /** The transcript's revision when it was replaced: its corrections are the edits up to this one. */
    revision: p.integer(),
    /** The version it was a restored copy of, if it was one. */
    restoredFrom: p.integer().nullable(),
    createdAt: createdAt(),
  },
  uniques: [{ properties: ['transcript', 'number'] }],
});
export type TranscriptVersion = InferEntity<typeof TranscriptVersion>;

export const PASSAGE_KINDS = ['title', 'summary', 'topic', 'turn', 'action-item'] as const;
export type PassageKind = (typeof PASSAGE_KINDS)[number];

/**
 * The search index of an ended transcript (transcripts/search-index.ts writes it, api/search.ts reads it): one row
 * per speaker turn, and one for the title, the summary, each topic and each action item, with its full-text vector.
 * Rebuilt whole when the transcript ends and in the transaction of each correction; it goes with its transcript.
 */
export const TranscriptPassage = defineEntity({
  name: 'TranscriptPassage',
  properties: {
    id: p.bigint().primary().autoincrement(),
    transcript: () => p.manyToOne(Transcript).deleteRule('cascade').index(),
    kind: p.enum(PASSAGE_KINDS),
    /** Its place in the transcript: the turn's index, the topic's… */
    position: p.integer(),
    speakerName: p.string().length(256).nullable(),
    /** Where it is said, in seconds from the recording's start (turns and topics). */
    startSeconds: p.double().nullable(),
    endSeconds: p.double().nullable(),
    text: p.text(),
    /** The text-search configuration the vector was made with (english, simple, …): snippets use the same. */
    textConfig: p.string().length(32),
    search: p.string().columnType('tsvector').hidden().lazy(),
  },
  indexes: [{ properties: ['search'], type: 'fulltext' }],
});
export type TranscriptPassage = InferEntity<typeof TranscriptPassage>;

/** A participant's presence in a meeting, from the platform's participant webhooks. */
export const ParticipantSession = defineEntity({
  name: 'ParticipantSession',
  properties: {
    id: id(),
    meeting: () => p.manyToOne(Meeting).deleteRule('cascade').index(),
    sessionId: p.string().length(128),
    userId: p.string().length(128).nullable(),
    userName: p.string().length(256).nullable(),
    isOwner: p.boolean().default(false),
    joinedAt: p.datetime(),
    leftAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['meeting', 'sessionId'] }],
});
export type ParticipantSession = InferEntity<typeof ParticipantSession>;

/** Every inbound webhook, stored before it is acknowledged; (platform, eventId) makes redelivery harmless. */
export const WebhookEvent = defineEntity({
  name: 'WebhookEvent',
  properties: {
    id: id(),
    platform: p.enum(PLATFORMS),
    eventId: p.string().length(256),
    type: p.string().length(128),
    receivedAt: p.datetime().onCreate(() => new Date()),
    payload: p.json<unknown>(),
    meetingId: p.uuid().nullable().index(),
    outcome: p.string().length(64).default('received'),
    outcomeDetail: p.text().nullable(),
  },
  uniques: [{ properties: ['platform', 'eventId'] }],
});
export type WebhookEvent = InferEntity<typeof WebhookEvent>;

/** A participant's answer to "may we keep the audio?". */
export const MeetingConsent = defineEntity({
  name: 'MeetingConsent',
  properties: {
    id: id(),
    meeting: () => p.manyToOne(Meeting).deleteRule('cascade').index(),
    /** The identity the answer is tied to: a user id, or a join token's subject for anonymous participants. */
    participantKey: p.string().length(256),
    consentGiven: p.boolean(),
    answeredAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ properties: ['meeting', 'participantKey'] }],
});
export type MeetingConsent = InferEntity<typeof MeetingConsent>;

/** Someone asking to enter a locked room's meeting, and whether its owner let them in. */
export const MeetingAdmission = defineEntity({
  name: 'MeetingAdmission',
  properties: {
    id: id(),
    meeting: () => p.manyToOne(Meeting).deleteRule('cascade').index(),
    /** The knocker's identity: `user:<id>`, or the participant key of their meeting token. */
    participantKey: p.string().length(256),
    userName: p.string().length(256),
    knockedAt: p.datetime().onCreate(() => new Date()),
    admittedAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['meeting', 'participantKey'] }],
});
export type MeetingAdmission = InferEntity<typeof MeetingAdmission>;

/** Who viewed, downloaded, shared or deleted what, when and from where. */
export const RecordingAccessLog = defineEntity({
  name: 'RecordingAccessLog',
  properties: {
    id: id(),
    recordingId: p.string().length(128).index(),
    transcriptId: p.uuid().nullable(),
    userId: p.string().length(128).nullable(),
    action: p.enum(ACCESS_ACTIONS),
    /** What exactly: the export format, the share change, "public link", "retention"… */
    detail: p.string().length(512).nullable(),
    at: p.datetime().onCreate(() => new Date()),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
  },
});
export type RecordingAccessLog = InferEntity<typeof RecordingAccessLog>;

/** A user a recording's owner shared it with (mode `shared`). */
export const RecordingShare = defineEntity({
  name: 'RecordingShare',
  properties: {
    id: id(),
    recording: () => p.manyToOne(Recording).deleteRule('cascade').index(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    createdAt: createdAt(),
  },
  uniques: [{ properties: ['recording', 'user'] }],
});
export type RecordingShare = InferEntity<typeof RecordingShare>;

export const entities = [...authEntities, RecordingShare, Room, Meeting, Recording, Transcript, ParticipantSession, WebhookEvent, MeetingConsent, MeetingAdmission, RecordingAccessLog, TranscriptPassage, TranscriptEdit, WebDavSetting, ActionItem, TranscriptVersion];
