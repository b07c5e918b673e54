// The typed client of our API: every call the browser makes goes through `call()`, named in API_OPERATIONS
// with its OpenAPI path, so a test can check each one exists in GET /v1/openapi.json.
import type {
  AccessLogEntry, ActionItem, TranscriptVersion, TranscriptVersionContent, TranscriptVersionChanges, VersionRestored, SpeechOptions, ActionItemChange, RoomActionItem, ApiKey, WebDavFolder, Corrected, TranscriptEdit, NewUser, UserAccount, AppConfig, AuthConfig, JoinAnswer, Meeting, MeetingFilters, MeetingState, MeetingSummary, MeetingTimeline, Page, Recording, RecordingFilters,
  RecordingRequestResult, Room, SearchAnswer, SearchFilters, RoomDefaults, RoomInput, Knock, KnockAnswer, ShareMode, Sharing, Transcript, TranscriptShareMode, TranscriptSharing, TranscriptSummary, User, Waveform, ApiErrorDetail,
} from './types.ts';

export const API_OPERATIONS = {
  authConfig: ['GET', '/v1/auth/config'],
  authMe: ['GET', '/v1/auth/me'],
  login: ['POST', '/v1/auth/login'],
  logout: ['POST', '/v1/auth/logout'],
  changePassword: ['PUT', '/v1/auth/password'],
  listUsers: ['GET', '/v1/users'],
  createUser: ['POST', '/v1/users'],
  listApiKeys: ['GET', '/v1/api-keys'],
  createApiKey: ['POST', '/v1/api-keys'],
  revokeApiKey: ['DELETE', '/v1/api-keys/{id}'],
  getWebDav: ['GET', '/v1/me/webdav'],
  setWebDav: ['PUT', '/v1/me/webdav'],
  removeWebDav: ['DELETE', '/v1/me/webdav'],
  roomDefaults: ['GET', '/v1/room-defaults'],
  listRooms: ['GET', '/v1/rooms'],
  createRoom: ['POST', '/v1/rooms'],
  getRoom: ['GET', '/v1/rooms/{name}'],
  updateRoom: ['PATCH', '/v1/rooms/{name}'],
  deleteRoom: ['DELETE', '/v1/rooms/{name}'],
  openMeeting: ['POST', '/v1/rooms/{name}/meetings'],
  listMeetings: ['GET', '/v1/meetings'],
  getMeeting: ['GET', '/v1/meetings/{id}'],
  meetingState: ['GET', '/v1/meetings/{id}/state'],
  meetingTimeline: ['GET', '/v1/meetings/{id}/timeline'],
  joinMeeting: ['POST', '/v1/meetings/{id}/join'],
  knock: ['POST', '/v1/meetings/{id}/knock'],
  listKnocks: ['GET', '/v1/meetings/{id}/knocks'],
  admitKnock: ['POST', '/v1/meetings/{id}/knocks/admit'],
  giveConsent: ['POST', '/v1/meetings/{id}/consent'],
  startRecording: ['POST', '/v1/meetings/{id}/recordings/start'],
  stopRecording: ['POST', '/v1/meetings/{id}/recordings/stop'],
  endMeeting: ['POST', '/v1/meetings/{id}/end'],
  cloudRecording: ['GET', '/v1/meetings/{id}/cloud-recording'],
  search: ['GET', '/v1/search'],
  listTranscripts: ['GET', '/v1/transcripts'],
  getTranscript: ['GET', '/v1/transcripts/{id}'],
  transcriptEvents: ['GET', '/v1/transcripts/{id}/events'],
  transcriptWaveform: ['GET', '/v1/transcripts/{id}/waveform'],
  transcriptAudio: ['GET', '/v1/transcripts/{id}/audio.mp3'],
  transcriptExport: ['GET', '/v1/transcripts/{id}/export'],
  listRecordings: ['GET', '/v1/recordings'],
  getRecording: ['GET', '/v1/recordings/{id}'],
  deleteRecording: ['DELETE', '/v1/recordings/{id}'],
  recordingAccessLog: ['GET', '/v1/recordings/{id}/access-log'],
  recordingSharing: ['GET', '/v1/recordings/{id}/sharing'],
  shareRecording: ['PUT', '/v1/recordings/{id}/sharing'],
  transcriptSharing: ['GET', '/v1/transcripts/{id}/sharing'],
  shareTranscript: ['PUT', '/v1/transcripts/{id}/sharing'],
  renameSpeaker: ['PATCH', '/v1/transcripts/{id}/speakers/{speaker}'],
  mergeSpeaker: ['POST', '/v1/transcripts/{id}/speakers/{speaker}/merge'],
  correctTurn: ['PATCH', '/v1/transcripts/{id}/turns/{index}'],
  listEdits: ['GET', '/v1/transcripts/{id}/edits'],
  revertEdit: ['POST', '/v1/transcripts/{id}/edits/{editId}/revert'],
  listActionItems: ['GET', '/v1/transcripts/{id}/action-items'],
  listTranscriptVersions: ['GET', '/v1/transcripts/{id}/versions'],
  getTranscriptVersion: ['GET', '/v1/transcripts/{id}/versions/{number}'],
  transcriptVersionChanges: ['GET', '/v1/transcripts/{id}/versions/{number}/changes'],
  restoreTranscriptVersion: ['POST', '/v1/transcripts/{id}/versions/{number}/restore'],
  reprocessRecording: ['POST', '/v1/recordings/{id}/reprocess'],
  speechOptions: ['GET', '/v1/speech'],
  addActionItem: ['POST', '/v1/transcripts/{id}/action-items'],
  changeActionItem: ['PATCH', '/v1/transcripts/{id}/action-items/{itemId}'],
  deleteActionItem: ['DELETE', '/v1/transcripts/{id}/action-items/{itemId}'],
  roomActionItems: ['GET', '/v1/rooms/{name}/action-items'],
} as const satisfies Record<string, readonly [string, `/v1/${string}`]>;

type Operation = keyof typeof API_OPERATIONS;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[];
  /** What the error's `details` said when it is not a list of fields (a 409 revision_conflict's current revision and turn). */
  readonly facts: unknown;
  constructor(status: number, code: string, message: string, details: unknown = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? (details as ApiErrorDetail[]) : [];
    this.facts = Array.isArray(details) ? null : details;
  }
  /** The message the API gave for one form field, if any. */
  field(name: string): string | undefined {
    return this.details.find((d) => d.field === name)?.message;
  }
}

/** Meeting-scoped tokens of anonymous participants, sent as a bearer token on that meeting's calls. */
const meetingTokens = new Map<string, string>();
export const rememberMeetingToken = (meetingId: string, token: string) => meetingTokens.set(meetingId, token);

let onUnauthenticated: (() => void) | undefined;
/** Called when the API says the session is gone (401), so the app can show the sign-in page. */
export function whenUnauthenticated(listener: () => void) {
  onUnauthenticated = listener;
}

/** A link the API gave, carrying a public link's `share` token (the API adds it only for anonymous callers). */
export function withShare(url: string, share: string | undefined): string {
  if (!share || /[?&]share=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}share=${encodeURIComponent(share)}`;
}

/** The token of a public link the API made (`…?share=<token>`). */
export const shareToken = (url: string) => new URL(url, location.origin).searchParams.get('share');

/** The concrete URL of an operation: `{name}` filled in, query parameters appended. */
export function operationUrl(op: Operation, params: Record<string, string> = {}, query: Record<string, string | number | undefined> = {}): string {
  const path = API_OPERATIONS[op][1].replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(params[key] ?? ''));
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(key, String(value));
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Statuses that are answers, not errors (their body is returned as is). */
  accept?: number[];
  signal?: AbortSignal;
}

async function call<T>(op: Operation, options: CallOptions = {}): Promise<T> {
  const [method] = API_OPERATIONS[op];
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const meetingId = API_OPERATIONS[op][1].startsWith('/v1/meetings/') ? options.params?.id : undefined;
  const bearer = meetingId ? meetingTokens.get(meetingId) : undefined;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let response: Response;
  try {
    response = await fetch(operationUrl(op, options.params, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok || options.accept?.includes(response.status)) return body as T;
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  if (response.status === 401 && op !== 'login' && op !== 'authMe') onUnauthenticated?.();
  throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? `${method} ${API_OPERATIONS[op][1]} answered ${response.status}`, error?.details ?? []);
}

const id = (value: string) => ({ id: value });

export const api = {
  /** How the page should hold calls (served by the web app module, not part of /v1). */
  async appConfig(): Promise<AppConfig> {
    const response = await fetch('/app-config.json', { credentials: 'same-origin' }).catch(() => undefined);
    if (!response?.ok) return { calls: {} };
    return (await response.json()) as AppConfig;
  },

  authConfig: () => call<AuthConfig>('authConfig'),
  /** The signed-in user; null when signed out; undefined when the server has no accounts (one local user). */
  async me(): Promise<User | null | undefined> {
    try {
      return (await call<{ user: User }>('authMe')).user;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  },
  login: async (email: string, password: string) => (await call<{ user: User }>('login', { body: { email, password } })).user,
  logout: () => call<void>('logout'),
  changePassword: (currentPassword: string, newPassword: string) => call<void>('changePassword', { body: { currentPassword, newPassword } }),

  listUsers: (limit = 100, offset = 0) => call<Page<UserAccount>>('listUsers', { query: { limit, offset } }),
  createUser: (input: NewUser) => call<UserAccount>('createUser', { body: input }),
  listApiKeys: async () => (await call<{ items: ApiKey[] }>('listApiKeys')).items,
  createApiKey: (input: { name: string; expiresAt?: string }) => call<{ key: string; apiKey: ApiKey }>('createApiKey', { body: input }),
  revokeApiKey: (keyId: string) => call<ApiKey>('revokeApiKey', { params: id(keyId) }),
  /** Your WebDAV folder, null when none is set. */
  async getWebDav(): Promise<WebDavFolder | null> {
    const answer = await call<WebDavFolder | { error: unknown }>('getWebDav', { accept: [404] });
    return 'url' in answer ? answer : null;
  },
  setWebDav: (input: { url: string; username: string; password: string }) => call<WebDavFolder>('setWebDav', { body: input }),
  removeWebDav: () => call<void>('removeWebDav'),

  roomDefaults: () => call<RoomDefaults>('roomDefaults'),
  listRooms: (limit = 100, offset = 0) => call<Page<Room>>('listRooms', { query: { limit, offset } }),
  createRoom: (input: RoomInput) => call<Room>('createRoom', { body: input }),
  getRoom: (name: string) => call<Room>('getRoom', { params: { name } }),
  updateRoom: (name: string, input: RoomInput) => call<Room>('updateRoom', { params: { name }, body: input }),
  deleteRoom: (name: string) => call<void>('deleteRoom', { params: { name } }),

  openMeeting: (roomName: string) => call<Meeting>('openMeeting', { params: { name: roomName }, body: {} }),
  listMeetings: (query: MeetingFilters & { limit: number; offset: number }) => call<Page<MeetingSummary>>('listMeetings', { query: { ...query } }),
  getMeeting: (meetingId: string) => call<Meeting>('getMeeting', { params: id(meetingId) }),
  meetingTimeline: (meetingId: string) => call<MeetingTimeline>('meetingTimeline', { params: id(meetingId) }),
  meetingState: (meetingId: string, signal?: AbortSignal) => call<MeetingState>('meetingState', { params: id(meetingId), signal }),
  knock: (meetingId: string, userName: string) => call<KnockAnswer>('knock', { params: id(meetingId), body: { userName } }),
  listKnocks: async (meetingId: string) => (await call<{ items: Knock[] }>('listKnocks', { params: id(meetingId) })).items,
  admitKnock: (meetingId: string, participantKey: string) => call<Knock>('admitKnock', { params: id(meetingId), body: { participantKey } }),
  joinMeeting: (meetingId: string, userName: string) => call<JoinAnswer>('joinMeeting', { params: id(meetingId), body: { userName } }),
  giveConsent: (meetingId: string, consentGiven: boolean) => call<unknown>('giveConsent', { params: id(meetingId), body: { consentGiven } }),
  startRecording: (meetingId: string, manual = false) => call<RecordingRequestResult>('startRecording', { params: id(meetingId), body: { manual } }),
  stopRecording: (meetingId: string) => call<RecordingRequestResult>('stopRecording', { params: id(meetingId) }),
  endMeeting: (meetingId: string) => call<Meeting>('endMeeting', { params: id(meetingId) }),
  cloudRecordingUrl: (meetingId: string, share?: string) => operationUrl('cloudRecording', id(meetingId), { share }),

  search: (query: SearchFilters & { limit: number; offset: number }, signal?: AbortSignal) => call<SearchAnswer>('search', { query: { ...query }, signal }),
  listTranscripts: (query: { recordingId?: string; status?: string; limit?: number; offset?: number }) => call<Page<TranscriptSummary>>('listTranscripts', { query }),
  // `share`: the page was opened through a public link; every call of that page carries it.
  getTranscript: (transcriptId: string, share?: string) => call<Transcript>('getTranscript', { params: id(transcriptId), query: { share } }),
  transcriptEventsUrl: (transcriptId: string, share?: string) => operationUrl('transcriptEvents', id(transcriptId), { share }),
  waveform: (transcriptId: string, share?: string) => call<Waveform>('transcriptWaveform', { params: id(transcriptId), query: { share } }),
  transcriptSharing: (transcriptId: string) => call<TranscriptSharing>('transcriptSharing', { params: id(transcriptId) }),
  shareTranscript: (transcriptId: string, input: { mode: TranscriptShareMode; publicLinkExpiresAt?: string | null }) =>
    call<TranscriptSharing>('shareTranscript', { params: id(transcriptId), body: input }),
  // Corrections: each names the revision it was based on; a stale one is a 409 revision_conflict.
  renameSpeaker: (transcriptId: string, speaker: number, revision: number, name: string) =>
    call<Corrected>('renameSpeaker', { params: { id: transcriptId, speaker: String(speaker) }, body: { revision, name } }),
  mergeSpeaker: (transcriptId: string, speaker: number, revision: number, into: number) =>
    call<Corrected>('mergeSpeaker', { params: { id: transcriptId, speaker: String(speaker) }, body: { revision, into } }),
  correctTurn: (transcriptId: string, index: number, revision: number, change: { speaker: number } | { text: string }) =>
    call<Corrected>('correctTurn', { params: { id: transcriptId, index: String(index) }, body: { revision, ...change } }),
  listEdits: (transcriptId: string) => call<Page<TranscriptEdit> & { revision: number }>('listEdits', { params: id(transcriptId), query: { limit: 100 } }),
  revertEdit: (transcriptId: string, editId: string, revision: number) => call<Corrected>('revertEdit', { params: { id: transcriptId, editId }, body: { revision } }),

  listTranscriptVersions: async (transcriptId: string, share?: string) => (await call<{ items: TranscriptVersion[] }>('listTranscriptVersions', { params: id(transcriptId), query: { share } })).items,
  getTranscriptVersion: (transcriptId: string, number: number, share?: string) =>
    call<TranscriptVersionContent>('getTranscriptVersion', { params: { id: transcriptId, number: String(number) }, query: { share } }),
  transcriptVersionChanges: (transcriptId: string, number: number, share?: string) =>
    call<TranscriptVersionChanges>('transcriptVersionChanges', { params: { id: transcriptId, number: String(number) }, query: { share } }),
  restoreTranscriptVersion: (transcriptId: string, number: number, revision: number) =>
    call<VersionRestored>('restoreTranscriptVersion', { params: { id: transcriptId, number: String(number) }, body: { revision } }),
  reprocessRecording: (recordingId: string, language: string, engine?: string) => call<{ workflowId: string; runId: string }>('reprocessRecording', { params: { id: recordingId }, body: { language, ...(engine && { engine }) } }),
  speechOptions: () => call<SpeechOptions>('speechOptions'),
  listActionItems: async (transcriptId: string, share?: string) => (await call<{ items: ActionItem[] }>('listActionItems', { params: id(transcriptId), query: { share } })).items,
  addActionItem: (transcriptId: string, input: { text: string; owner?: string; due?: string; startSeconds?: number }) => call<ActionItem>('addActionItem', { params: id(transcriptId), body: input }),
  changeActionItem: (transcriptId: string, itemId: string, change: ActionItemChange) => call<ActionItem>('changeActionItem', { params: { id: transcriptId, itemId }, body: change }),
  deleteActionItem: (transcriptId: string, itemId: string) => call<void>('deleteActionItem', { params: { id: transcriptId, itemId } }),
  roomActionItems: (roomName: string, query: { status: 'open' | 'done' | 'all'; limit: number; offset: number }) => call<Page<RoomActionItem>>('roomActionItems', { params: { name: roomName }, query: { ...query } }),
  /** A file of action items (format csv or markdown): of a transcript, or of a room's meetings. */
  actionItemsFileUrl: (of: { transcriptId: string; share?: string } | { roomName: string; status: string }, format: 'csv' | 'markdown') =>
    'transcriptId' in of
      ? operationUrl('listActionItems', id(of.transcriptId), { format, share: of.share })
      : operationUrl('roomActionItems', { name: of.roomName }, { format, status: of.status }),

  listRecordings: (query: RecordingFilters & { limit: number; offset: number }) => call<Page<Recording>>('listRecordings', { query: { ...query } }),
  getRecording: (recordingId: string) => call<Recording>('getRecording', { params: id(recordingId) }),
  deleteRecording: (recordingId: string) => call<unknown>('deleteRecording', { params: id(recordingId) }),
  accessLog: (recordingId: string) => call<Page<AccessLogEntry>>('recordingAccessLog', { params: id(recordingId), query: { limit: 50 } }),
  sharing: (recordingId: string) => call<Sharing>('recordingSharing', { params: id(recordingId) }),
  share: (recordingId: string, input: { mode: ShareMode; userEmails?: string[]; publicLinkExpiresAt?: string | null }) =>
    call<Sharing>('shareRecording', { params: id(recordingId), body: input }),
};
