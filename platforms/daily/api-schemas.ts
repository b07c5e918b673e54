import { z } from 'zod';
import { dailyTrackSchema } from './recordings.ts';

// Daily REST bodies, in Daily's own (mixed) casing: rooms, tokens, recordings and meetings are snake_case
// except `s3key`/`mtgSessionId` on recordings; recording start/stop and /webhooks are camelCase.
// Response schemas are loose: Daily adds fields freely, we validate only what we read.

export interface DailyRecordingsBucket {
  bucket_name: string;
  bucket_region: string;
  assume_role_arn?: string;
  allow_api_access?: boolean;
  allow_streaming_from_bucket?: boolean;
}

export interface DailyRoomProperties {
  /** Unix seconds. */
  exp?: number;
  nbf?: number;
  eject_at_room_exp?: boolean;
  enable_recording?: string | string[];
  recordings_bucket?: DailyRecordingsBucket;
  [property: string]: unknown;
}

export interface DailyCreateRoomBody {
  name?: string;
  privacy?: 'public' | 'private';
  properties?: DailyRoomProperties;
}

export const dailyRoomSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  api_created: z.boolean().optional(),
  privacy: z.string(),
  url: z.string(),
  created_at: z.string(),
  config: z.record(z.string(), z.unknown()),
});
export type DailyRoom = z.infer<typeof dailyRoomSchema>;

export const dailyRoomDeletedSchema = z.looseObject({ deleted: z.boolean(), name: z.string() });

export interface DailyMeetingTokenProperties {
  room_name?: string;
  user_name?: string;
  /** At most 36 characters. */
  user_id?: string;
  is_owner?: boolean;
  /** Unix seconds. */
  exp?: number;
  nbf?: number;
  [property: string]: unknown;
}

export const dailyMeetingTokenSchema = z.looseObject({ token: z.string().min(1) });

export const dailyMeetingTokenPropertiesSchema = z.looseObject({
  room_name: z.string().optional(),
  user_name: z.string().optional(),
  user_id: z.string().optional(),
  is_owner: z.boolean().optional(),
  exp: z.number().optional(),
});

export type DailyRecordingKind = 'cloud' | 'cloud-audio-only' | 'raw-tracks';

/** POST /rooms/:name/recordings/start — camelCase. */
export interface DailyStartRecordingBody {
  type?: DailyRecordingKind;
  instanceId?: string;
  layout?: { preset: string; [option: string]: unknown };
  maxDuration?: number;
  minIdleTimeOut?: number;
}

/** POST /rooms/:name/recordings/stop — raw-tracks must say `type: 'raw-tracks'`. */
export interface DailyStopRecordingBody {
  type?: 'cloud' | 'raw-tracks';
  instanceId?: string;
}

export const dailySentSchema = z.looseObject({ status: z.literal('sent') });

export const dailyRecordingSchema = z.looseObject({
  id: z.string(),
  room_name: z.string(),
  start_ts: z.number(),
  status: z.enum(['finished', 'in-progress', 'canceled']),
  max_participants: z.number().optional(),
  duration: z.number().nullish(),
  s3key: z.string().nullish(),
  mtgSessionId: z.string().nullish(),
  /** Observed in production, "may be missing"; never trust it alone. */
  type: z.string().nullish(),
  tracks: z.array(dailyTrackSchema).nullish(),
});
export type DailyRecording = z.infer<typeof dailyRecordingSchema>;

export const dailyRecordingListSchema = z.looseObject({
  total_count: z.number(),
  data: z.array(dailyRecordingSchema),
});

export interface DailyListRecordingsQuery {
  /** At most 100. */
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  room_name?: string;
}

export const dailyMeetingParticipantSchema = z.looseObject({
  user_id: z.string().nullable(),
  participant_id: z.string(),
  user_name: z.string().nullable(),
  join_time: z.number(),
  duration: z.number(),
});

export const dailyMeetingParticipantsSchema = z.looseObject({ data: z.array(dailyMeetingParticipantSchema) });

export const dailyMeetingSchema = z.looseObject({
  id: z.string(),
  room: z.string(),
  start_time: z.number(),
  duration: z.number(),
  ongoing: z.boolean(),
  max_participants: z.number(),
  participants: z.array(dailyMeetingParticipantSchema).optional(),
});
export type DailyMeeting = z.infer<typeof dailyMeetingSchema>;

export const dailyMeetingListSchema = z.looseObject({ total_count: z.number(), data: z.array(dailyMeetingSchema) });

export type DailyWebhookRetryType = 'circuit-breaker' | 'exponential';

/** POST /webhooks and POST /webhooks/:uuid — camelCase, no other keys allowed. */
export interface DailyWebhookBody {
  url: string;
  basicAuth?: string;
  retryType?: DailyWebhookRetryType;
  eventTypes?: string[];
  /** Base64 secret; Daily provisions one when absent. */
  hmac?: string;
}

export const dailyWebhookSchema = z.looseObject({
  uuid: z.string(),
  url: z.string(),
  hmac: z.string(),
  basicAuth: z.string().nullish(),
  retryType: z.string(),
  eventTypes: z.array(z.string()),
  state: z.string(),
  failedCount: z.number(),
  lastMomentPushed: z.string().nullish(),
  domainId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DailyWebhook = z.infer<typeof dailyWebhookSchema>;

export const dailyWebhookListSchema = z.array(dailyWebhookSchema);

export const dailyErrorBodySchema = z.looseObject({ error: z.string(), info: z.string().optional() });
