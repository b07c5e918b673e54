// What the API answers, as the browser reads it. Every operation the client calls is listed in client.ts
// (API_OPERATIONS) and checked against the API's OpenAPI document by test/web-client.test.ts.
import type { RecordingStatus } from '../../../shared/recording-statuses.ts';
import type { MeetingListStatus } from '../../../shared/meeting-list-statuses.ts';
import type { PlatformRollout } from '../../../shared/platform-rollout.ts';

export interface ApiErrorDetail {
  field: string;
  message: string;
}

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: 'admin' | 'user';
  /** false: signs in through the identity provider only, so there is no password to change. */
  hasPassword: boolean;
}

/** An account as admins see it (GET /v1/users). */
export interface UserAccount extends User {
  createdAt: string;
  lastLoginAt: string | null;
}

export interface NewUser {
  email: string;
  displayName?: string;
  password: string;
  role: 'admin' | 'user';
}

/** An API key, never the key itself (that is in the answer that made it only). */
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

/** An action item of a transcript: who does it and by when, when that could be told, and where it was said. */
export interface ActionItem {
  id: string;
  transcriptId: string;
  text: string;
  owner: string | null;
  /** YYYY-MM-DD */
  due: string | null;
  startSeconds: number | null;
  /** The transcript page at its moment. */
  link: string;
  done: boolean;
  doneAt: string | null;
  doneBy: string | null;
  source: 'summary' | 'person';
  createdAt: string;
  updatedAt: string;
}

export interface RoomActionItem extends ActionItem {
  transcript: { id: string; title: string | null; recordedAt: string; meetingId: string | null };
}

export interface ActionItemChange {
  text?: string;
  owner?: string | null;
  due?: string | null;
  done?: boolean;
}

/** Your WebDAV folder for copies of your recordings; the password is never answered. */
export interface WebDavFolder {
  url: string;
  username: string;
  hasPassword: boolean;
  updatedAt: string;
}

export interface AuthConfig {
  localAccounts: boolean;
  /** `signInUrl` (ours) starts the provider's sign-in; null when the provider only verifies bearer tokens. */
  oidc: null | { issuer: string; clientId: string | null; audience: string; signInUrl: string | null };
}

export const PLATFORMS = ['daily', 'whereby', '100ms', 'livekit'] as const;
export const RECORDING_TYPES = ['none', 'local', 'cloud'] as const;
export const RECORDING_TRIGGERS = ['none', 'prompt', 'automatic', 'automatic-2nd-participant'] as const;
export const ROOM_MODES = ['normal', 'group'] as const;

export type Platform = (typeof PLATFORMS)[number];
/** How people know each platform. */
export const PLATFORM_LABELS: Record<Platform, string> = { daily: 'Daily', whereby: 'Whereby', '100ms': '100ms', livekit: 'LiveKit' };
/** Platforms that start and stop recording by themselves (RecordingCapabilities.startedBy 'platform'): the page does
 * not ask our API to record there (it answers 409 recording_started_by_platform). */
export const PLATFORMS_RECORDING_THEMSELVES: readonly Platform[] = ['whereby'];

export interface RoomSettings {
  platform: Platform;
  recordingType: (typeof RECORDING_TYPES)[number];
  recordingTrigger: (typeof RECORDING_TRIGGERS)[number];
  locked: boolean;
  roomMode: (typeof ROOM_MODES)[number];
  shared: boolean;
  skipConsent: boolean;
  webhookUrl: string | null;
  retentionDays: number | null;
  allowAnonymous?: boolean;
  /** Names and terms the recognizer and the summary engine are told. */
  vocabulary: string[];
  background: string | null;
  /** Mail each transcript's notes to the meeting's participants who have an account. */
  emailParticipants: boolean;
  /** Post each transcript's notes to this Zulip stream (edited in place after corrections); null: none. */
  zulipStream: string | null;
  /** The Zulip topic; null: the room's name. */
  zulipTopic: string | null;
}

export interface Room extends RoomSettings {
  id: string;
  name: string;
  ownerId: string;
  hasWebhookSecret: boolean;
  /** Whether you own it (admins: always); absent in the guest view. */
  isOwner?: boolean;
  /** The part of a room a guest sees (no settings). */
  guest?: true;
  createdAt: string;
  updatedAt: string;
}

export type RoomInput = Partial<RoomSettings> & { name?: string; webhookSecret?: string | null };

/**
 * GET /v1/room-defaults: a new room's settings unless set, what each configured platform takes, and the rule that
 * gives a new room its platform when its owner does not choose (`defaults.platform`: its answer for most names).
 */
export interface RoomDefaults {
  defaults: Required<RoomSettings>;
  platforms: Array<{ name: Platform; roomModes: Array<RoomSettings['roomMode']> }>;
  rollout: PlatformRollout<Platform>;
  /** What this server can deliver: mail (SMTP_URL), Zulip (its bot). */
  delivery: { email: boolean; zulip: boolean };
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  hasMore: boolean;
}

export interface Meeting {
  id: string;
  roomName: string;
  platform: Platform;
  platformRoomName: string;
  roomUrl: string | null;
  startDate: string;
  endDate: string;
  endedAt: string | null;
  active: boolean;
  participantCount: number;
  recordingType: string;
  recordingTrigger: RoomSettings['recordingTrigger'];
  hasCloudRecording: boolean;
}

/** POST /v1/meetings/{id}/knock: whether you may join a locked room's meeting yet. */
export interface KnockAnswer {
  admitted: boolean;
  participantKey: string;
  meetingToken: string | null;
}

/** Someone who knocked on a locked room's meeting, as its owner sees them. */
export interface Knock {
  participantKey: string;
  userName: string;
  knockedAt: string;
  admittedAt: string | null;
}

/** A meeting in the meetings list: who took part, and its recordings and transcripts. */
export interface MeetingSummary extends Meeting {
  participants: string[];
  recordings: Array<{ id: string; type: 'cloud' | 'raw-tracks'; status: string }>;
  transcripts: Array<{ id: string; recordingId: string; status: TranscriptStatus; title: string | null }>;
}

/** GET /v1/meetings/{id}/timeline: the meeting's transcripts in the order recorded (api/meetings.ts). */
export interface MeetingTimeline extends Meeting {
  participants: string[];
  parts: Array<{
    transcriptId: string;
    recordingId: string;
    recordingType: 'cloud' | 'raw-tracks';
    status: TranscriptStatus;
    title: string | null;
    recordedAt: string;
    durationSeconds: number | null;
    startSeconds: number;
    gapBeforeSeconds: number | null;
  }>;
}

/** GET /v1/search's filters (api/search.ts). */
export interface SearchFilters {
  q: string;
  room?: string;
  speaker?: string;
  /** ISO instants: recorded at or after `from`, before `to`. */
  from?: string;
  to?: string;
}

export interface SearchHit {
  transcriptId: string;
  recordingId: string;
  title: string | null;
  roomName: string | null;
  recordedAt: string;
  kind: 'turn' | 'title' | 'summary' | 'topic' | 'action-item';
  speakerName: string | null;
  start: number | null;
  end: number | null;
  snippet: Array<{ text: string; match: boolean }>;
  rank: number;
  link: string;
}

export interface SearchAnswer extends Page<SearchHit> {
  query: string;
  /** More passages matched than are ranked: `total` is that cap. */
  totalCapped: boolean;
}

export interface MeetingFilters {
  room?: string;
  status?: '' | MeetingListStatus;
}

export interface JoinAnswer {
  token: string;
  roomUrl: string;
  isOwner: boolean;
  meeting: Meeting;
  /** Anonymous participants (issue #5): sent as a bearer token on this meeting's calls. */
  meetingToken?: string;
  participantKey?: string;
}

export type RecordingControlStatus = 'idle' | 'waiting-for-participant' | 'starting' | 'recording' | 'stopping' | 'stopped' | 'failed';

export interface RecordingRequestResult {
  status: RecordingControlStatus;
  note?: string;
}

export type KnownRecordingStatus = 'pending' | 'recording' | 'ready' | 'error' | 'missing';

export interface MeetingState {
  meetingId: string;
  phase: 'open' | 'awaiting-recordings' | 'reconciling' | 'ended';
  endReason: 'api' | 'end-date' | 'platform' | null;
  recording: { status: RecordingControlStatus; startsIssued: number; lastError: string | null };
  presentSessions: string[];
  participantsSeen: number;
  /** Each recording's life: pending (requested) → recording (the platform confirmed) → ready | error | missing. */
  recordings: Array<{ id: string; kind: 'cloud' | 'raw-tracks' | null; status: KnownRecordingStatus; error?: string }>;
  /** Per-track platforms (LiveKit): each published microphone recorded on its own, until they become one raw-tracks recording. */
  speakerTracks?: Array<{ recordingId: string | null; status: 'starting' | 'recording' | 'ready' | 'error' | 'missing'; error?: string }>;
}

export type TranscriptStatus = 'idle' | 'processing' | 'ended' | 'error';

export interface TranscriptProgress {
  step: string;
  tracksDone: number;
  tracksTotal: number;
  percent: number;
}

export interface TranscriptSummary {
  id: string;
  recordingId: string;
  status: TranscriptStatus;
  progress: TranscriptProgress | null;
  title: string | null;
  durationSeconds: number | null;
  participants: Array<{ speaker: number; name: string }>;
  createdAt: string;
}

export interface Segment {
  speaker: number;
  speakerName: string;
  start: number;
  end: number;
  text: string;
}

export type ShareMode = 'private' | 'shared' | 'public';
export type TranscriptShareMode = 'inherit' | 'private' | 'public';

export interface Transcript extends TranscriptSummary {
  error: string | null;
  shortSummary: string | null;
  longSummary: string | null;
  topics: Array<{ title: string; summary: string; start: number; end: number }>;
  actionItems: string[];
  /** `mixed-audio`: a composite-only platform; one speaker, the whole room (no diarization offline). */
  speakers: 'per-speaker-audio' | 'mixed-audio';
  engines: { speech: string | null; summary: string | null; offline: boolean };
  /** The language it was heard in (ISO 639-1). */
  language: string;
  segments: Segment[];
  audio: { url: string; waveformUrl: string } | null;
  audioDeleted: boolean;
  exports: Partial<Record<'vtt' | 'srt' | 'txt' | 'txt-timestamps' | 'json', string>>;
  /** `inherit`: whoever may see the recording may see the transcript. */
  shareMode: TranscriptShareMode;
  /** The caller owns it (room owner or admin): sharing controls. */
  isOwner: boolean;
  meetingId: string | null;
  hasCloudRecording: boolean;
  /** Advances with every correction; a correction names the one it was based on. */
  revision: number;
  /** Where its notes went as its room asks (owners only; null: nowhere). */
  delivery: TranscriptDelivery | null;
}

export interface TranscriptDelivery {
  email: { status: 'sent' | 'failed' | 'no-recipients'; at: string; sent: number; failed: number; error: string | null } | null;
  zulip: { status: 'posted' | 'edited' | 'failed'; at: string; stream: string; topic: string; error: string | null } | null;
}

export interface TranscriptEdit {
  id: string;
  revision: number;
  kind: 'rename-speaker' | 'merge-speakers' | 'move-turn' | 'edit-text' | 'revert';
  summary: string;
  userId: string | null;
  at: string;
  revertOf: string | null;
  revertible: boolean;
}

/** A correction's answer: the transcript's new revision and content. */
export interface Corrected {
  revision: number;
  edit: TranscriptEdit;
  participants: Array<{ speaker: number; name: string }>;
  segments: Segment[];
}

/** What GET /v1/transcripts/:id/events sends on each change. */
export interface TranscriptEvent {
  status: TranscriptStatus;
  progress: TranscriptProgress | null;
  error: string | null;
}

export interface Waveform {
  peaks: number[];
  durationSeconds: number;
}

export interface Recording {
  id: string;
  type: 'cloud' | 'raw-tracks' | string;
  status: RecordingStatus;
  /** The meeting's title, from its transcript once made. */
  title: string | null;
  participants: string[];
  roomName: string;
  meetingId: string;
  recordedAt: string | null;
  durationSeconds: number | null;
  sizeBytes: number | null;
  transcriptId: string | null;
  expiresAt: string | null;
  /** Its media was deleted because someone in the meeting refused consent (the transcript stays). */
  mediaDeleted: boolean;
  /** The copy to the room owner's WebDAV folder; null when none was set when it finished. */
  ownerCopy: OwnerCopy | null;
  downloadUrl?: string;
}

export interface OwnerCopy {
  status: 'copied' | 'failed';
  at: string;
  url: string;
  files: Array<{ name: string; bytes: number; outcome: 'sent' | 'already-there' | 'failed' }>;
  error?: string;
}

export interface RecordingFilters {
  status?: string;
  room?: string;
  from?: string;
  to?: string;
}

export interface Sharing {
  mode: ShareMode;
  users: Array<{ id: string; email: string; displayName: string }>;
  /** The URL is shown once, in the answer that made the link. */
  publicLink: { url: string | null; expiresAt: string | null } | null;
}

export interface TranscriptSharing {
  mode: TranscriptShareMode;
  publicLink: { url: string | null; expiresAt: string | null } | null;
}

export interface AccessLogEntry {
  at: string;
  action: 'view' | 'download' | 'share' | 'delete' | 'edit';
  userId: string | null;
  userEmail: string | null;
  transcriptId: string | null;
  detail: string | null;
}

/**
 * How the room page holds a meeting's call, by the meeting's platform (those run here): driving that platform's
 * simulator through its control API on our origin (embedded mode: a simulated call), or, when the path is null,
 * the platform's own client (Daily Prebuilt, livekit-client).
 */
export interface AppConfig {
  calls: Partial<Record<Platform, { simulatorControlPath: string | null }>>;
}

/** A version of a transcript: one kept per rerun of its recording, and the current one (the last). */
export interface TranscriptVersion {
  number: number;
  current: boolean;
  madeAt: string;
  speechEngine: string | null;
  summaryEngine: string | null;
  language: string;
  title: string | null;
  shortSummary: string | null;
  revision: number;
  /** The version it is a restored copy of, if it is one. */
  restoredFrom: number | null;
}

/** A restored version's answer: the transcript's revision now, the current version's number, and what the one shown until then was kept as. */
export interface VersionRestored {
  revision: number;
  current: number;
  kept: number;
}

/** The speech recognition a rerun uses here: the default engine, and every one it may choose (the default first). */
export interface SpeechOptions {
  engine: string;
  engines: string[];
  languages: string[];
  defaultLanguage: string;
}

export interface TranscriptVersionContent extends TranscriptVersion {
  segments: Array<{ speaker: number; speakerName: string; start: number; end: number; text: string }>;
}

export interface TranscriptVersionChanges {
  from: number;
  to: number;
  wordsRemoved: number;
  wordsAdded: number;
  parts: Array<{ change: 'same' | 'removed' | 'added'; text: string }>;
}
