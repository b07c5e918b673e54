import { Migration } from '@mikro-orm/migrations';

// Meetings remember the last recording error the platform reported.
export class Migration20261121183018 extends Migration {

  override name = 'Migration20261121183018';

  override up(): void | Promise<void> {
    this.addSql(`alter table "meeting" add "recording_error" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "meeting" drop column "recording_error";`);
  }

}
