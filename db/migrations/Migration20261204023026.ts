import { Migration } from '@mikro-orm/migrations';

// Locked rooms: who knocked on a meeting and whether the room's owner let them in (issue 17.2).

export class Migration20261204023026 extends Migration {

  override name = 'Migration20261204023026';

  override up(): void | Promise<void> {
    this.addSql(`create table "meeting_admission" ("id" uuid not null, "meeting_id" uuid not null, "participant_key" varchar(256) not null, "user_name" varchar(256) not null, "knocked_at" timestamptz not null, "admitted_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "meeting_admission_meeting_id_index" on "meeting_admission" ("meeting_id");`);
    this.addSql(`alter table "meeting_admission" add constraint "meeting_admission_meeting_id_participant_key_unique" unique ("meeting_id", "participant_key");`);

    this.addSql(`alter table "meeting_admission" add constraint "meeting_admission_meeting_id_foreign" foreign key ("meeting_id") references "meeting" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "meeting_admission" cascade;`);
  }

}
