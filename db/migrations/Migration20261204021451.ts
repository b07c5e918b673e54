import { Migration } from '@mikro-orm/migrations';

// Recordings say when their media was deleted because someone in the meeting refused consent.
export class Migration20261204021451 extends Migration {

  override name = 'Migration20261204021451';

  override up(): void | Promise<void> {
    this.addSql(`alter table "recording" add "media_deleted" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "recording" drop column "media_deleted";`);
  }

}
