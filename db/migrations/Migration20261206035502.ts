import { Migration } from '@mikro-orm/migrations';

export class Migration20261206035502 extends Migration {

  override name = 'Migration20261206035502';

  override up(): void | Promise<void> {
    this.addSql(`create table "transcript_edit" ("id" uuid not null, "transcript_id" uuid not null, "revision" int not null, "kind" text not null, "summary" varchar(512) not null, "user_id" varchar(128) null, "before" jsonb not null, "after" jsonb not null, "revert_of" uuid null, "at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "transcript_edit_transcript_id_index" on "transcript_edit" ("transcript_id");`);
    this.addSql(`alter table "transcript_edit" add constraint "transcript_edit_transcript_id_revision_unique" unique ("transcript_id", "revision");`);

    this.addSql(`alter table "recording_access_log" drop constraint "recording_access_log_action_check";`);
    this.addSql(`alter table "recording_access_log" add constraint "recording_access_log_action_check" check ("action" in ('view', 'download', 'share', 'delete', 'edit'));`);

    this.addSql(`alter table "transcript" add "revision" int not null default 0, add "content_version" uuid null;`);

    this.addSql(`alter table "transcript_edit" add constraint "transcript_edit_transcript_id_foreign" foreign key ("transcript_id") references "transcript" ("id") on delete cascade;`);
    this.addSql(`alter table "transcript_edit" add constraint "transcript_edit_kind_check" check ("kind" in ('rename-speaker', 'merge-speakers', 'move-turn', 'edit-text', 'revert'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "transcript_edit" cascade;`);

    this.addSql(`alter table "recording_access_log" drop constraint "recording_access_log_action_check";`);
    this.addSql(`alter table "recording_access_log" add constraint "recording_access_log_action_check" check ("action" in ('view', 'download', 'share', 'delete'));`);

    this.addSql(`alter table "transcript" drop column "revision", drop column "content_version";`);
  }

}
