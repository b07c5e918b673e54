import { Migration } from '@mikro-orm/migrations';

export class Migration20261204135751 extends Migration {

  override name = 'Migration20261204135751';

  override up(): void | Promise<void> {
    this.addSql(`alter table "recording" add "track_facts" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "recording" drop column "track_facts";`);
  }

}
