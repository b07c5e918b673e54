import { Migration } from '@mikro-orm/migrations';

export class Migration20261206042406 extends Migration {

  override name = 'Migration20261206042406';

  override up(): void | Promise<void> {
    this.addSql(`alter table "room" add "vocabulary" jsonb null, add "background" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "room" drop column "vocabulary", drop column "background";`);
  }

}
