// Every migration, in order. Listed explicitly so they load the same way under type stripping,
// in the Docker image and in tests.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121180514 } from './Migration20261121180514.ts';
import { Migration20261121183018 } from './Migration20261121183018.ts';
import { Migration20261121184735 } from './Migration20261121184735.ts';
import { Migration20261121210526 } from './Migration20261121210526.ts';
import { Migration20261204021451 } from './Migration20261204021451.ts';
import { Migration20261204021928 } from './Migration20261204021928.ts';
import { Migration20261204023026 } from './Migration20261204023026.ts';
import { Migration20261204135751 } from './Migration20261204135751.ts';
import { Migration20261205120016 } from './Migration20261205120016.ts';
import { Migration20261206035502 } from './Migration20261206035502.ts';
import { Migration20261206042406 } from './Migration20261206042406.ts';
import { Migration20261206052111 } from './Migration20261206052111.ts';
import { Migration20261206150658 } from './Migration20261206150658.ts';
import { Migration20261207042609 } from './Migration20261207042609.ts';
import { Migration20261207065929 } from './Migration20261207065929.ts';
import { Migration20261207232200 } from './Migration20261207232200.ts';

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261121180514', class: Migration20261121180514 },
  { name: 'Migration20261121183018', class: Migration20261121183018 },
  { name: 'Migration20261121184735', class: Migration20261121184735 },
  { name: 'Migration20261121210526', class: Migration20261121210526 },
  { name: 'Migration20261204021451', class: Migration20261204021451 },
  { name: 'Migration20261204021928', class: Migration20261204021928 },
  { name: 'Migration20261204023026', class: Migration20261204023026 },
  { name: 'Migration20261204135751', class: Migration20261204135751 },
  { name: 'Migration20261205120016', class: Migration20261205120016 },
  { name: 'Migration20261206035502', class: Migration20261206035502 },
  { name: 'Migration20261206042406', class: Migration20261206042406 },
  { name: 'Migration20261206052111', class: Migration20261206052111 },
  { name: 'Migration20261206150658', class: Migration20261206150658 },
  { name: 'Migration20261207042609', class: Migration20261207042609 },
  { name: 'Migration20261207065929', class: Migration20261207065929 },
  { name: 'Migration20261207232200', class: Migration20261207232200 },
];
