// The first start of a self-hosted install: with no user at all, create an admin so someone can sign in.
import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { User } from './entities.ts';
import { createLocalUser } from './users.ts';

export interface FirstAdminInput {
  email: string;
  /** From the environment; checked against the password policy. Without it one is generated. */
  password?: string;
  displayName?: string;
}

export type FirstAdminResult =
  | { created: false }
  /** `generatedPassword` exists only here and only when we chose it: print it once, it is stored hashed. */
  | { created: true; user: User; generatedPassword: string | null };

/** Creates the first admin if the database has no user yet; does nothing otherwise. Flushes. */
export async function ensureFirstAdmin(em: EntityManager, input: FirstAdminInput): Promise<FirstAdminResult> {
  if ((await em.count(User, {})) > 0) return { created: false };
  // 144 random bits in 24 URL-safe characters: easy to copy, meets the policy.
  const generatedPassword = input.password === undefined ? randomBytes(18).toString('base64url') : null;
  // A fork, so that losing a race with another replica leaves nothing pending in the caller's unit of work.
  const fork = em.fork();
  try {
    const user = await createLocalUser(fork, {
      email: input.email,
      displayName: input.displayName ?? 'Administrator',
      password: input.password ?? (generatedPassword as string),
      role: 'admin',
    });
    return { created: true, user: em.merge(user), generatedPassword };
  } catch (error) {
    // Another process starting at the same moment created it first.
    if (error instanceof UniqueConstraintViolationException) return { created: false };
    throw error;
  }
}

/** The lines to print once (to the terminal, never to the logs) after the first start created the admin. */
export function firstAdminNotice(result: FirstAdminResult): string[] {
  if (!result.created) return [];
  if (result.generatedPassword === null) return [`  First admin:  ${result.user.email} (password from FIRST_ADMIN_PASSWORD)`];
  return [
    `  First admin:  ${result.user.email}   password: ${result.generatedPassword}`,
    '                (shown this once and stored hashed: sign in and keep it, or set FIRST_ADMIN_PASSWORD before the first start)',
  ];
}
