// Local accounts: one spelling of an email, password sign-in that takes the same time whether or not the
// account exists, and hashes upgraded to the current parameters when their owner signs in.
import type { EntityManager } from '@mikro-orm/core';
import { User, type UserRole } from './entities.ts';
import { assertPasswordPolicy, hashPassword, needsRehash, verifyPassword } from './passwords.ts';

/** The one stored spelling of an email address: trimmed, lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A deliberately loose check (one `@`, something either side, no spaces): the mailbox is what proves it. */
export function isPlausibleEmail(email: string): boolean {
  const normalized = normalizeEmail(email);
  return normalized.length <= 320 && /^[^\s@]+@[^\s@]+$/.test(normalized);
}

export class InvalidEmailError extends Error {
  constructor(email: string) {
    super(`Not an email address: ${JSON.stringify(email)}`);
    this.name = 'InvalidEmailError';
  }
}

export function findUserByEmail(em: EntityManager, email: string): Promise<User | null> {
  return em.findOne(User, { email: normalizeEmail(email) });
}

export interface NewLocalUser {
  email: string;
  displayName?: string;
  password: string;
  role?: UserRole;
}

/** Creates a password account; refuses a password that fails the policy (PasswordPolicyError). Flushes. */
export async function createLocalUser(em: EntityManager, input: NewLocalUser): Promise<User> {
  if (!isPlausibleEmail(input.email)) throw new InvalidEmailError(input.email);
  assertPasswordPolicy(input.password);
  const email = normalizeEmail(input.email);
  const user = em.create(User, {
    email,
    displayName: input.displayName?.trim() || email.split('@')[0] || email,
    passwordHash: await hashPassword(input.password),
    role: input.role ?? 'user',
    oidcIssuer: null,
    oidcSubject: null,
    lastLoginAt: null,
  });
  await em.persist(user).flush();
  return user;
}

/** Replaces a user's password after checking the policy. Flushes. Revoke their other sessions as well. */
export async function setPassword(em: EntityManager, user: User, password: string): Promise<void> {
  assertPasswordPolicy(password);
  user.passwordHash = await hashPassword(password);
  await em.flush();
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password; returns the user, or null for any mismatch (unknown email, OIDC-only
 * account, wrong password) without saying which. Records the login time. Flushes.
 */
export async function authenticatePassword(em: EntityManager, email: string, password: string, now: Date = new Date()): Promise<User | null> {
  const user = await findUserByEmail(em, email);
  if (!user?.passwordHash) {
    // Spend the same scrypt work as a real check, so timing does not reveal which emails have accounts.
    dummyHash ??= hashPassword('not-a-password-anyone-has');
    await verifyPassword(password, await dummyHash);
    return null;
  }
  if (!(await verifyPassword(password, user.passwordHash))) return null;
  if (needsRehash(user.passwordHash)) user.passwordHash = await hashPassword(password);
  user.lastLoginAt = now;
  await em.flush();
  return user;
}
