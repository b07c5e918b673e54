import { Migration } from '@mikro-orm/migrations';

export class Migration20261207065929 extends Migration {

  override name = 'Migration20261207065929';

  override up(): void | Promise<void> {
    this.addSql(`alter table "transcript" add "restored_from" int null;`);

    this.addSql(`alter table "transcript_version" add "restored_from" int null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "transcript" drop column "restored_from";`);

    this.addSql(`alter table "transcript_version" drop column "restored_from";`);
  }

}
