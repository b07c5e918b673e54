import { Migration } from '@mikro-orm/migrations';

export class Migration20261205120016 extends Migration {

  override name = 'Migration20261205120016';

  override up(): void | Promise<void> {
    this.addSql(`create table "transcript_passage" ("id" bigserial primary key, "transcript_id" uuid not null, "kind" text not null, "position" int not null, "speaker_name" varchar(256) null, "start_seconds" double precision null, "end_seconds" double precision null, "text" text not null, "text_config" varchar(32) not null, "search" tsvector not null);`);
    this.addSql(`create index "transcript_passage_transcript_id_index" on "transcript_passage" ("transcript_id");`);
    this.addSql(`create index "transcript_passage_search_index" on "public"."transcript_passage" using gin("search");`);

    this.addSql(`alter table "transcript_passage" add constraint "transcript_passage_transcript_id_foreign" foreign key ("transcript_id") references "transcript" ("id") on delete cascade;`);
    this.addSql(`alter table "transcript_passage" add constraint "transcript_passage_kind_check" check ("kind" in ('title', 'summary', 'topic', 'turn', 'action-item'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "transcript_passage" cascade;`);
  }

}
