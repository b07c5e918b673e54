// Who may call the API: people (User), their browser sessions and their API keys. Secrets are never stored:
// a session row is keyed by the sha256 of its token, an API key keeps only the sha256 of its plaintext.
import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const USER_ROLES = ['admin', 'user'] as const;
export type UserRole = (typeof USER_ROLES)[number];

const createdAt = () => p.datetime().onCreate(() => new Date());

/** A person: a local account (password), an OpenID Connect identity (issuer + subject), or both. */
export const User = defineEntity({
  name: 'User',
  // `user` is a reserved word in PostgreSQL.
  tableName: 'app_user',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** Always lower-cased (see normalizeEmail); the check constraint keeps raw writes honest. */
    email: p.string().length(320).unique(),
    displayName: p.string().length(256),
    /** A scrypt string from auth/passwords.ts; null for accounts that only sign in through OIDC. */
    passwordHash: p.string().length(512).nullable().hidden(),
    role: p.enum(USER_ROLES).default('user'),
    oidcIssuer: p.string().length(512).nullable(),
    oidcSubject: p.string().length(256).nullable(),
    createdAt: createdAt(),
    lastLoginAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'app_user_oidc_identity_unique', properties: ['oidcIssuer', 'oidcSubject'] }],
  checks: [
    { name: 'app_user_email_lower_case', expression: 'email = lower(email)' },
    { name: 'app_user_oidc_pair', expression: '(oidc_issuer is null) = (oidc_subject is null)' },
  ],
});
export type User = InferEntity<typeof User>;

/** A browser session; the cookie holds the token, this row only its sha256. */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'user_session',
  properties: {
    /** Hex sha256 of the session token. */
    id: p.string().length(64).primary(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    createdAt: createdAt(),
    /** Slides forward on use (see resolveSession), never past the absolute lifetime. */
    expiresAt: p.datetime().index(),
    lastSeenAt: p.datetime(),
    userAgent: p.string().length(512).nullable(),
    ip: p.string().length(64).nullable(),
  },
});
export type Session = InferEntity<typeof Session>;

/** A key for integrators, sent as `X-API-Key: mr_<prefix>_<secret>`. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    name: p.string().length(128),
    /** The first 8 characters after `mr_`: shown in lists, and how a presented key finds its row. */
    prefix: p.string().length(8).unique(),
    /** Hex sha256 of the whole plaintext key. */
    hash: p.string().length(64).hidden(),
    createdAt: createdAt(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;

/** Part of db/entities.ts `entities`. */
export const authEntities = [User, Session, ApiKey];
