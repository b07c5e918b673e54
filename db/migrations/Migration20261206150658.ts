import { Migration } from '@mikro-orm/migrations';

export class Migration20261206150658 extends Migration {

  override name = 'Migration20261206150658';

  override up(): void | Promise<void> {
    this.addSql(`create table "action_item" ("id" uuid not null, "transcript_id" uuid not null, "position" int not null, "text" text not null, "owner" varchar(256) null, "due" varchar(10) null, "start_seconds" double precision null, "done" boolean not null default false, "done_at" timestamptz null, "done_by" varchar(128) null, "source" text not null, "summary_text" text null, "touched" boolean not null default false, "deleted_at" timestamptz null, "created_by" varchar(128) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "action_item_transcript_id_index" on "action_item" ("transcript_id");`);

    this.addSql(`alter table "action_item" add constraint "action_item_transcript_id_foreign" foreign key ("transcript_id") references "transcript" ("id") on delete cascade;`);
    this.addSql(`alter table "action_item" add constraint "action_item_source_check" check ("source" in ('summary', 'person'));`);
    // The action items of transcripts made before: their texts as things (no owner, due day or moment was derived then).
    this.addSql(`insert into "action_item" ("id", "transcript_id", "position", "text", "source", "summary_text", "created_at", "updated_at")
      select gen_random_uuid(), t."id", item.position - 1, item.text, 'summary', item.text, now(), now()
      from "transcript" t, jsonb_array_elements_text(case when jsonb_typeof(t."action_items") = 'array' then t."action_items" else '[]'::jsonb end) with ordinality as item(text, position);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "action_item" cascade;`);
  }

}
