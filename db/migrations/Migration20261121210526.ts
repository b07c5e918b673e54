import { Migration } from '@mikro-orm/migrations';

// Accounts (users, sessions, API keys), sharing (per recording; a transcript inherits unless set otherwise),
// public links, deletion requests, anonymous joining per room, and what an access-log entry was about.
export class Migration20261121210526 extends Migration {

  override name = 'Migration20261121210526';

  override up(): void | Promise<void> {
    this.addSql(`create table "app_user" ("id" uuid not null, "email" varchar(320) not null, "display_name" varchar(256) not null, "password_hash" varchar(512) null, "role" text not null default 'user', "oidc_issuer" varchar(512) null, "oidc_subject" varchar(256) null, "created_at" timestamptz not null, "last_login_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "app_user" add constraint "app_user_email_unique" unique ("email");`);
    this.addSql(`alter table "app_user" add constraint "app_user_oidc_identity_unique" unique ("oidc_issuer", "oidc_subject");`);

    this.addSql(`create table "user_session" ("id" varchar(64) not null, "user_id" uuid not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "last_seen_at" timestamptz not null, "user_agent" varchar(512) null, "ip" varchar(64) null, primary key ("id"));`);
    this.addSql(`create index "user_session_user_id_index" on "user_session" ("user_id");`);
    this.addSql(`create index "user_session_expires_at_index" on "user_session" ("expires_at");`);

    this.addSql(`create table "recording_share" ("id" uuid not null, "recording_id" varchar(128) not null, "user_id" uuid not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "recording_share_recording_id_index" on "recording_share" ("recording_id");`);
    this.addSql(`create index "recording_share_user_id_index" on "recording_share" ("user_id");`);
    this.addSql(`alter table "recording_share" add constraint "recording_share_recording_id_user_id_unique" unique ("recording_id", "user_id");`);

    this.addSql(`create table "api_key" ("id" uuid not null, "user_id" uuid not null, "name" varchar(128) not null, "prefix" varchar(8) not null, "hash" varchar(64) not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, "expires_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "api_key_user_id_index" on "api_key" ("user_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);

    this.addSql(`alter table "recording_access_log" add "detail" varchar(512) null;`);

    this.addSql(`alter table "room" add "allow_anonymous" boolean not null default true;`);

    this.addSql(`alter table "recording" add "share_mode" text not null default 'private', add "public_link_hash" varchar(64) null, add "public_link_expires_at" timestamptz null, add "deletion_requested_at" timestamptz null;`);
    this.addSql(`alter table "recording" add constraint "recording_public_link_hash_unique" unique ("public_link_hash");`);
    this.addSql(`alter table "recording" add constraint "recording_share_mode_check" check ("share_mode" in ('private', 'shared', 'public'));`);

    this.addSql(`alter table "transcript" drop constraint "transcript_share_mode_check";`);
    // Until now every transcript was 'private' by default, which meant "as its recording": now spelled 'inherit'.
    this.addSql(`update "transcript" set "share_mode" = 'inherit';`);
    this.addSql(`alter table "transcript" add "public_link_hash" varchar(64) null, add "public_link_expires_at" timestamptz null;`);
    this.addSql(`alter table "transcript" alter column "share_mode" set default 'inherit';`);
    this.addSql(`alter table "transcript" add constraint "transcript_public_link_hash_unique" unique ("public_link_hash");`);
    this.addSql(`alter table "transcript" add constraint "transcript_share_mode_check" check ("share_mode" in ('inherit', 'private', 'public'));`);

    this.addSql(`alter table "app_user" add constraint "app_user_email_lower_case" check (email = lower(email));`);
    this.addSql(`alter table "app_user" add constraint "app_user_oidc_pair" check ((oidc_issuer is null) = (oidc_subject is null));`);
    this.addSql(`alter table "app_user" add constraint "app_user_role_check" check ("role" in ('admin', 'user'));`);

    this.addSql(`alter table "user_session" add constraint "user_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`);

    this.addSql(`alter table "recording_share" add constraint "recording_share_recording_id_foreign" foreign key ("recording_id") references "recording" ("id") on delete cascade;`);
    this.addSql(`alter table "recording_share" add constraint "recording_share_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`);

    this.addSql(`alter table "api_key" add constraint "api_key_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "user_session" drop constraint "user_session_user_id_foreign";`);
    this.addSql(`alter table "recording_share" drop constraint "recording_share_user_id_foreign";`);
    this.addSql(`alter table "api_key" drop constraint "api_key_user_id_foreign";`);

    this.addSql(`drop table if exists "app_user" cascade;`);
    this.addSql(`drop table if exists "user_session" cascade;`);
    this.addSql(`drop table if exists "recording_share" cascade;`);
    this.addSql(`drop table if exists "api_key" cascade;`);

    this.addSql(`alter table "recording" drop constraint "recording_public_link_hash_unique";`);
    this.addSql(`alter table "recording" drop constraint "recording_share_mode_check";`);
    this.addSql(`alter table "recording" drop column "share_mode", drop column "public_link_hash", drop column "public_link_expires_at", drop column "deletion_requested_at";`);

    this.addSql(`alter table "recording_access_log" drop column "detail";`);

    this.addSql(`alter table "room" drop column "allow_anonymous";`);

    this.addSql(`alter table "transcript" drop constraint "transcript_public_link_hash_unique";`);
    this.addSql(`alter table "transcript" drop constraint "transcript_share_mode_check";`);
    this.addSql(`alter table "transcript" drop column "public_link_hash", drop column "public_link_expires_at";`);
    this.addSql(`update "transcript" set "share_mode" = 'private';`);
    this.addSql(`alter table "transcript" alter column "share_mode" set default 'private';`);
    this.addSql(`alter table "transcript" add constraint "transcript_share_mode_check" check ("share_mode" in ('private', 'shared', 'public'));`);
  }

}
