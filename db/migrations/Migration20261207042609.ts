import { Migration } from '@mikro-orm/migrations';

export class Migration20261207042609 extends Migration {

  override name = 'Migration20261207042609';

  override up(): void | Promise<void> {
    this.addSql(`create table "transcript_version" ("id" uuid not null, "transcript_id" uuid not null, "number" int not null, "made_at" timestamptz not null, "speech_engine" varchar(64) null, "summary_engine" varchar(64) null, "language" varchar(16) not null, "title" varchar(512) null, "short_summary" text null, "long_summary" text null, "topics" jsonb null, "participants" jsonb null, "duration_seconds" double precision null, "revision" int not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "transcript_version_transcript_id_index" on "transcript_version" ("transcript_id");`);
    this.addSql(`alter table "transcript_version" add constraint "transcript_version_transcript_id_number_unique" unique ("transcript_id", "number");`);

    this.addSql(`alter table "transcript_version" add constraint "transcript_version_transcript_id_foreign" foreign key ("transcript_id") references "transcript" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "transcript_version" cascade;`);
  }

}
