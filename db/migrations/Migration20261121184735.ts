import { Migration } from '@mikro-orm/migrations';

// Transcripts record which speech and summary engines made them (offline ones are labelled as such).
export class Migration20261121184735 extends Migration {

  override name = 'Migration20261121184735';

  override up(): void | Promise<void> {
    this.addSql(`alter table "transcript" add "speech_engine" varchar(64) null, add "summary_engine" varchar(64) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "transcript" drop column "speech_engine", drop column "summary_engine";`);
  }

}
