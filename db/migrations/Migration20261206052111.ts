import { Migration } from '@mikro-orm/migrations';

export class Migration20261206052111 extends Migration {

  override name = 'Migration20261206052111';

  override up(): void | Promise<void> {
    this.addSql(`create table "web_dav_setting" ("id" uuid not null, "user_id" varchar(128) not null, "url" varchar(2048) not null, "username" varchar(256) not null, "password_sealed" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "web_dav_setting" add constraint "web_dav_setting_user_id_unique" unique ("user_id");`);

    this.addSql(`alter table "recording" add "owner_copy" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "web_dav_setting" cascade;`);

    this.addSql(`alter table "recording" drop column "owner_copy";`);
  }

}
