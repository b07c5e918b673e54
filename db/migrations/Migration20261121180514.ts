import { Migration } from '@mikro-orm/migrations';

// The first schema: rooms, meetings, recordings, transcripts and the records around them.
export class Migration20261121180514 extends Migration {

  override name = 'Migration20261121180514';

  override up(): void | Promise<void> {
    this.addSql(`create table "recording_access_log" ("id" uuid not null, "recording_id" varchar(128) not null, "transcript_id" uuid null, "user_id" varchar(128) null, "action" text not null, "at" timestamptz not null, "ip" varchar(64) null, "user_agent" varchar(512) null, primary key ("id"));`);
    this.addSql(`create index "recording_access_log_recording_id_index" on "recording_access_log" ("recording_id");`);
    this.addSql(`alter table "recording_access_log" add constraint "recording_access_log_action_check" check ("action" in ('view', 'download', 'share', 'delete'));`);

    this.addSql(`create table "room" ("id" uuid not null, "name" varchar(64) not null, "owner_id" varchar(128) not null, "platform" text not null default 'daily', "recording_type" text not null default 'cloud', "recording_trigger" text not null default 'automatic-2nd-participant', "locked" boolean not null default false, "room_mode" text not null default 'normal', "shared" boolean not null default false, "skip_consent" boolean not null default false, "webhook_url" varchar(2048) null, "webhook_secret" varchar(256) null, "retention_days" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "room" add constraint "room_name_unique" unique ("name");`);
    this.addSql(`create index "room_owner_id_index" on "room" ("owner_id");`);
    this.addSql(`alter table "room" add constraint "room_platform_check" check ("platform" in ('daily', 'whereby', '100ms', 'livekit'));`);
    this.addSql(`alter table "room" add constraint "room_recording_type_check" check ("recording_type" in ('none', 'local', 'cloud'));`);
    this.addSql(`alter table "room" add constraint "room_recording_trigger_check" check ("recording_trigger" in ('none', 'prompt', 'automatic', 'automatic-2nd-participant'));`);
    this.addSql(`alter table "room" add constraint "room_room_mode_check" check ("room_mode" in ('normal', 'group'));`);

    this.addSql(`create table "meeting" ("id" uuid not null, "room_id" uuid not null, "platform" text not null, "platform_room_name" varchar(128) not null, "room_url" varchar(2048) null, "host_room_url" varchar(2048) null, "start_date" timestamptz not null, "end_date" timestamptz not null, "ended_at" timestamptz null, "active" boolean not null default true, "participant_count" int not null default 0, "recording_type" text not null, "recording_trigger" text not null, "calendar_event_id" varchar(256) null, "calendar_metadata" jsonb null, "platform_meeting_id" varchar(128) null, "raw_tracks_instance_id" uuid null, "cloud_recording_key" varchar(1024) null, "cloud_recording_duration" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "meeting_room_id_index" on "meeting" ("room_id");`);
    this.addSql(`create index "meeting_platform_room_name_index" on "meeting" ("platform_room_name");`);
    this.addSql(`alter table "meeting" add constraint "meeting_raw_tracks_instance_id_unique" unique ("raw_tracks_instance_id");`);
    this.addSql(`create unique index "meeting_one_active_per_room" on "meeting" ("room_id") where "active" = true;`);
    this.addSql(`alter table "meeting" add constraint "meeting_platform_check" check ("platform" in ('daily', 'whereby', '100ms', 'livekit'));`);
    this.addSql(`alter table "meeting" add constraint "meeting_recording_type_check" check ("recording_type" in ('none', 'local', 'cloud'));`);
    this.addSql(`alter table "meeting" add constraint "meeting_recording_trigger_check" check ("recording_trigger" in ('none', 'prompt', 'automatic', 'automatic-2nd-participant'));`);

    this.addSql(`create table "recording" ("id" varchar(128) not null, "meeting_id" uuid null, "type" text not null, "bucket" varchar(256) not null, "object_key" varchar(1024) not null, "track_keys" jsonb null, "recorded_at" timestamptz not null, "duration_seconds" int null, "size_bytes" bigint null, "status" text not null default 'pending', "error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "recording_meeting_id_index" on "recording" ("meeting_id");`);
    this.addSql(`alter table "recording" add constraint "recording_type_check" check ("type" in ('cloud', 'raw-tracks'));`);
    this.addSql(`alter table "recording" add constraint "recording_status_check" check ("status" in ('pending', 'recording', 'processing', 'completed', 'failed', 'missing'));`);

    this.addSql(`create table "participant_session" ("id" uuid not null, "meeting_id" uuid not null, "session_id" varchar(128) not null, "user_id" varchar(128) null, "user_name" varchar(256) null, "is_owner" boolean not null default false, "joined_at" timestamptz not null, "left_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "participant_session_meeting_id_index" on "participant_session" ("meeting_id");`);
    this.addSql(`alter table "participant_session" add constraint "participant_session_meeting_id_session_id_unique" unique ("meeting_id", "session_id");`);

    this.addSql(`create table "meeting_consent" ("id" uuid not null, "meeting_id" uuid not null, "participant_key" varchar(256) not null, "consent_given" boolean not null, "answered_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "meeting_consent_meeting_id_index" on "meeting_consent" ("meeting_id");`);
    this.addSql(`alter table "meeting_consent" add constraint "meeting_consent_meeting_id_participant_key_unique" unique ("meeting_id", "participant_key");`);

    this.addSql(`create table "transcript" ("id" uuid not null, "recording_id" varchar(128) not null, "status" text not null default 'idle', "progress" jsonb null, "error" text null, "title" varchar(512) null, "short_summary" text null, "long_summary" text null, "topics" jsonb null, "action_items" jsonb null, "participants" jsonb null, "webvtt" text null, "duration_seconds" double precision null, "language" varchar(16) not null default 'en', "audio_key" varchar(1024) null, "waveform_key" varchar(1024) null, "audio_deleted" boolean not null default false, "share_mode" text not null default 'private', "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`alter table "transcript" add constraint "transcript_recording_id_unique" unique ("recording_id");`);
    this.addSql(`alter table "transcript" add constraint "transcript_status_check" check ("status" in ('idle', 'processing', 'ended', 'error'));`);
    this.addSql(`alter table "transcript" add constraint "transcript_share_mode_check" check ("share_mode" in ('private', 'shared', 'public'));`);

    this.addSql(`create table "webhook_event" ("id" uuid not null, "platform" text not null, "event_id" varchar(256) not null, "type" varchar(128) not null, "received_at" timestamptz not null, "payload" jsonb not null, "meeting_id" uuid null, "outcome" varchar(64) not null default 'received', "outcome_detail" text null, primary key ("id"));`);
    this.addSql(`create index "webhook_event_meeting_id_index" on "webhook_event" ("meeting_id");`);
    this.addSql(`alter table "webhook_event" add constraint "webhook_event_platform_event_id_unique" unique ("platform", "event_id");`);
    this.addSql(`alter table "webhook_event" add constraint "webhook_event_platform_check" check ("platform" in ('daily', 'whereby', '100ms', 'livekit'));`);

    this.addSql(`alter table "meeting" add constraint "meeting_room_id_foreign" foreign key ("room_id") references "room" ("id") on delete cascade;`);

    this.addSql(`alter table "recording" add constraint "recording_meeting_id_foreign" foreign key ("meeting_id") references "meeting" ("id") on delete set null;`);

    this.addSql(`alter table "participant_session" add constraint "participant_session_meeting_id_foreign" foreign key ("meeting_id") references "meeting" ("id") on delete cascade;`);

    this.addSql(`alter table "meeting_consent" add constraint "meeting_consent_meeting_id_foreign" foreign key ("meeting_id") references "meeting" ("id") on delete cascade;`);

    this.addSql(`alter table "transcript" add constraint "transcript_recording_id_foreign" foreign key ("recording_id") references "recording" ("id") on delete cascade;`);
  }

}
