import { Migration } from '@mikro-orm/migrations';

export class Migration20261207232200 extends Migration {

  override name = 'Migration20261207232200';

  override up(): void | Promise<void> {
    this.addSql(`alter table "room" add "email_participants" boolean not null default false, add "zulip_stream" varchar(128) null, add "zulip_topic" varchar(128) null;`);

    this.addSql(`alter table "transcript" add "delivery" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "room" drop column "email_participants", drop column "zulip_stream", drop column "zulip_topic";`);

    this.addSql(`alter table "transcript" drop column "delivery";`);
  }

}
