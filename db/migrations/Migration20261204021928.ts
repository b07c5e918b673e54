import { Migration } from '@mikro-orm/migrations';

// Guests stay out unless the owner lets them in: a new room's allow_anonymous defaults to false (issue 17.1).
// Only the column default changes; existing rooms keep the value they have (an owner who wants guests out
// turns the setting off on the room's page).

export class Migration20261204021928 extends Migration {

  override name = 'Migration20261204021928';

  override up(): void | Promise<void> {
    this.addSql(`alter table "room" alter column "allow_anonymous" set default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "room" alter column "allow_anonymous" set default true;`);
  }

}
