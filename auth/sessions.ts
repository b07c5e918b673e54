// Browser sessions: a 256-bit random token in an HttpOnly, SameSite=Lax cookie; the database keeps only its
// sha256, so a leaked table cannot be replayed. Expiry slides with use, up to an absolute lifetime.
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Session, type User } from './entities.ts';

export interface SessionOptions {
  /** The API's public URL: an https one makes the cookie Secure (and `__Host-` prefixed). */
  publicUrl: string;
  /** How long an unused session lives; each use pushes expiry this far ahead. Default 14 days. */
  idleTimeoutSeconds?: number;
  /** How long a session can live however much it is used. Default 30 days. */
  absoluteTimeoutSeconds?: number;
  now?: () => Date;
}

export interface SessionMeta {
  userAgent?: string | null;
  ip?: string | null;
}

export interface SessionCookie {
  name: string;
  value: string;
  /** Max-Age in seconds (Koa's ctx.cookies.set wants milliseconds: prefer `header`). */
  attributes: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: '/'; maxAge: number };
  /** The whole `Set-Cookie` value, e.g. for `ctx.append('Set-Cookie', cookie.header)`. */
  header: string;
}

const DAY = 24 * 60 * 60;
const DEFAULT_IDLE_SECONDS = 14 * DAY;
const DEFAULT_ABSOLUTE_SECONDS = 30 * DAY;
/** Sessions are written back at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** `__Host-` binds the cookie to our exact host and forbids a Domain attribute; browsers allow it only with Secure. */
export function sessionCookieName(options: Pick<SessionOptions, 'publicUrl'>): string {
  return isSecure(options) ? '__Host-mr_session' : 'mr_session';
}

function isSecure(options: Pick<SessionOptions, 'publicUrl'>): boolean {
  return new URL(options.publicUrl).protocol === 'https:';
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function buildCookie(options: SessionOptions, value: string, maxAge: number): SessionCookie {
  const secure = isSecure(options);
  const name = sessionCookieName(options);
  const header = `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return { name, value, attributes: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge }, header };
}

/** The `Set-Cookie` value that makes the browser forget its session (send it on logout or a dead session). */
export function clearSessionCookie(options: SessionOptions): SessionCookie {
  return buildCookie(options, '', 0);
}

function limits(options: SessionOptions) {
  return {
    idleMs: (options.idleTimeoutSeconds ?? DEFAULT_IDLE_SECONDS) * 1000,
    absoluteMs: (options.absoluteTimeoutSeconds ?? DEFAULT_ABSOLUTE_SECONDS) * 1000,
    now: options.now?.() ?? new Date(),
  };
}

function nextExpiry(createdAt: Date, now: Date, options: SessionOptions): Date {
  const { idleMs, absoluteMs } = limits(options);
  return new Date(Math.min(now.getTime() + idleMs, createdAt.getTime() + absoluteMs));
}

function secondsUntil(date: Date, now: Date): number {
  return Math.max(0, Math.floor((date.getTime() - now.getTime()) / 1000));
}

/** Signs a user in: stores the session and returns the token and its cookie, which exist nowhere else. Flushes. */
export async function createSession(em: EntityManager, user: User, meta: SessionMeta, options: SessionOptions): Promise<{ token: string; session: Session; cookie: SessionCookie }> {
  const { now } = limits(options);
  const token = randomBytes(32).toString('base64url');
  const expiresAt = nextExpiry(now, now, options);
  const session = em.create(Session, {
    id: hashSessionToken(token),
    user,
    createdAt: now,
    expiresAt,
    lastSeenAt: now,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
    ip: meta.ip?.slice(0, 64) ?? null,
  });
  await em.persist(session).flush();
  return { token, session, cookie: buildCookie(options, token, secondsUntil(expiresAt, now)) };
}

export type SessionFailure = 'malformed' | 'unknown' | 'expired';

export type ResolvedSession =
  | {
      ok: true;
      session: Session;
      user: User;
      /** Set when the expiry moved: send it again so the browser's Max-Age slides too. */
      renewedCookie: SessionCookie | null;
    }
  | { ok: false; reason: SessionFailure };

/** Finds the session a cookie token names; slides its expiry and last-seen time (at most once a minute). */
export async function resolveSession(em: EntityManager, token: string, options: SessionOptions): Promise<ResolvedSession> {
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'malformed' };
  const { now } = limits(options);
  const session = await em.findOne(Session, { id: hashSessionToken(token) }, { populate: ['user'] });
  if (!session) return { ok: false, reason: 'unknown' };
  if (session.expiresAt.getTime() <= now.getTime()) {
    await em.nativeDelete(Session, { id: session.id });
    return { ok: false, reason: 'expired' };
  }
  let renewedCookie: SessionCookie | null = null;
  if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    session.lastSeenAt = now;
    session.expiresAt = nextExpiry(session.createdAt, now, options);
    await em.flush();
    renewedCookie = buildCookie(options, token, secondsUntil(session.expiresAt, now));
  }
  return { ok: true, session, user: session.user, renewedCookie };
}

/** Signs out one session (logout). True if it existed. */
export async function revokeSession(em: EntityManager, token: string): Promise<boolean> {
  return (await em.nativeDelete(Session, { id: hashSessionToken(token) })) > 0;
}

/** Signs a user out everywhere, e.g. after a password change; `exceptToken` keeps the current session. */
export async function revokeUserSessions(em: EntityManager, userId: string, exceptToken?: string): Promise<number> {
  return em.nativeDelete(Session, {
    user: userId,
    ...(exceptToken === undefined ? {} : { id: { $ne: hashSessionToken(exceptToken) } }),
  });
}

/** Housekeeping: drops expired rows (resolveSession already refuses them). */
export function deleteExpiredSessions(em: EntityManager, now: Date = new Date()): Promise<number> {
  return em.nativeDelete(Session, { expiresAt: { $lte: now } });
}
