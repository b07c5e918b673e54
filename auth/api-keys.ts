// API keys for integrators: `mr_<prefix>_<secret>`, shown once. The prefix (not secret) finds the row and
// appears in lists; the row keeps the sha256 of the whole key — enough for 256 random bits, which no one
// can guess, so no slow hash is needed — compared in constant time.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { ApiKey, type User } from './entities.ts';

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PREFIX_LENGTH = 8;
const KEY_PATTERN = /^mr_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** lastUsedAt is written at most this often, not on every request. */
const LAST_USED_INTERVAL_MS = 60_000;

export interface NewApiKey {
  name: string;
  expiresAt?: Date | null;
}

/** What lists show: never the hash, never the secret. */
export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex');
}

function randomPrefix(): string {
  let prefix = '';
  for (let i = 0; i < PREFIX_LENGTH; i++) prefix += PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)];
  return prefix;
}

export function summarizeApiKey(key: ApiKey): ApiKeySummary {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt ?? null,
    revokedAt: key.revokedAt ?? null,
    expiresAt: key.expiresAt ?? null,
  };
}

/** Creates a key; `plaintext` is returned here and never again — show it to the user once. Flushes. */
export async function createApiKey(em: EntityManager, user: User, input: NewApiKey): Promise<{ plaintext: string; apiKey: ApiKey }> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 128) throw new RangeError('An API key needs a name of 1 to 128 characters');
  // 36^8 prefixes: a collision is rare, and the unique index turns one into a retry.
  for (let attempt = 0; ; attempt++) {
    const prefix = randomPrefix();
    const plaintext = `mr_${prefix}_${randomBytes(32).toString('base64url')}`;
    const apiKey = em.create(ApiKey, {
      user,
      name,
      prefix,
      hash: hashApiKey(plaintext),
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: input.expiresAt ?? null,
    });
    try {
      await em.persist(apiKey).flush();
      return { plaintext, apiKey };
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException) || attempt >= 3) throw error;
      em.clear();
    }
  }
}

export type ApiKeyFailure = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type ResolvedApiKey = { ok: true; apiKey: ApiKey; user: User } | { ok: false; reason: ApiKeyFailure };

/** Checks a presented key; refuses revoked and expired ones; records when it was last used. */
export async function resolveApiKey(em: EntityManager, plaintext: string, now: Date = new Date()): Promise<ResolvedApiKey> {
  const match = KEY_PATTERN.exec(plaintext);
  if (!match) return { ok: false, reason: 'malformed' };
  const apiKey = await em.findOne(ApiKey, { prefix: match[1] }, { populate: ['user'] });
  const presented = Buffer.from(hashApiKey(plaintext), 'hex');
  if (!apiKey || !timingSafeEqual(presented, Buffer.from(apiKey.hash, 'hex'))) return { ok: false, reason: 'unknown' };
  if (apiKey.revokedAt) return { ok: false, reason: 'revoked' };
  if (apiKey.expiresAt && apiKey.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() >= LAST_USED_INTERVAL_MS) {
    apiKey.lastUsedAt = now;
    await em.flush();
  }
  return { ok: true, apiKey, user: apiKey.user };
}

/** A user's keys, newest first, revoked ones included (with revokedAt) so the list explains itself. */
export async function listApiKeys(em: EntityManager, userId: string): Promise<ApiKeySummary[]> {
  const keys = await em.find(ApiKey, { user: userId }, { orderBy: { createdAt: 'desc' } });
  return keys.map(summarizeApiKey);
}

/**
 * Revokes a key for good. With `ownerId`, only that user's key (a user managing their own keys); without
 * it, any key (an admin). Returns the key, or null when there is no such key for that owner. Flushes.
 */
export async function revokeApiKey(em: EntityManager, id: string, options: { ownerId?: string; now?: Date } = {}): Promise<ApiKeySummary | null> {
  if (!UUID_PATTERN.test(id)) return null;
  const apiKey = await em.findOne(ApiKey, { id, ...(options.ownerId === undefined ? {} : { user: options.ownerId }) });
  if (!apiKey) return null;
  if (!apiKey.revokedAt) {
    apiKey.revokedAt = options.now ?? new Date();
    await em.flush();
  }
  return summarizeApiKey(apiKey);
}
