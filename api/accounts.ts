// Accounts: signing in and out (local accounts, session cookies), who am I, users (admins create them),
// passwords, and API keys for integrators (shown once, stored hashed, revocable, with last-used time).
// OIDC needs no endpoint here: the browser gets an access token from the provider and sends it as a bearer
// token; GET /v1/auth/config tells it where the provider is.
import { z } from 'zod';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { User, USER_ROLES } from '../auth/entities.ts';
import { authenticatePassword, createLocalUser, InvalidEmailError, setPassword } from '../auth/users.ts';
import { checkPasswordPolicy, verifyPassword, PASSWORD_MAX_LENGTH } from '../auth/passwords.ts';
import { createSession, clearSessionCookie, revokeSession, revokeUserSessions, sessionCookieName, type SessionOptions } from '../auth/sessions.ts';
import { OIDC_FLOW_COOKIE, OidcSignInError } from '../auth/oidc-sign-in.ts';
import { userForOidcClaims } from '../auth/oidc.ts';
import { createApiKey, listApiKeys, revokeApiKey, summarizeApiKey, type ApiKeySummary } from '../auth/api-keys.ts';
import { ApiError, notFound } from './errors.ts';
import { endpoint } from './endpoint.ts';
import { rules, callerUser } from './access.ts';
import { pageAnswer, pageOf, pageQuerySchema } from './rooms.ts';
import type { ApiContext } from './app.ts';

const userSchema = z.object({ id: z.uuid(), email: z.string(), displayName: z.string(), role: z.enum(USER_ROLES), hasPassword: z.boolean().describe('false: signs in only through the identity provider (no password to change)'), createdAt: z.iso.datetime(), lastLoginAt: z.iso.datetime().nullable() });
const apiKeySchema = z.object({
  id: z.uuid(), name: z.string(), prefix: z.string(), createdAt: z.iso.datetime(), lastUsedAt: z.iso.datetime().nullable(), revokedAt: z.iso.datetime().nullable(), expiresAt: z.iso.datetime().nullable(),
});
const password = z.string().min(1, 'is required').max(PASSWORD_MAX_LENGTH);
const newPassword = z.string().max(PASSWORD_MAX_LENGTH).superRefine((value, issue) => {
  const verdict = checkPasswordPolicy(value);
  if (!verdict.ok) for (const problem of verdict.problems) issue.addIssue({ code: 'custom', message: problem });
});
const loginSchema = z.strictObject({ email: z.string().min(1, 'is required').max(320), password });
const createUserSchema = z.strictObject({
  email: z.email({ message: 'must be an email address' }).max(320),
  displayName: z.string().trim().min(1).max(256).optional(),
  password: newPassword,
  role: z.enum(USER_ROLES).default('user'),
});
const changePasswordSchema = z.strictObject({ currentPassword: password, newPassword });
const createApiKeySchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(128),
  expiresAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).refine((value) => new Date(value) > new Date(), 'must be in the future').optional(),
});

export function userView(user: User) {
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, hasPassword: Boolean(user.passwordHash), createdAt: user.createdAt.toISOString(), lastLoginAt: user.lastLoginAt?.toISOString() ?? null };
}

function apiKeyView(key: ApiKeySummary) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt.toISOString(), lastUsedAt: iso(key.lastUsedAt), revokedAt: iso(key.revokedAt), expiresAt: iso(key.expiresAt) };
}

function sessionOptions(ctx: ApiContext): SessionOptions {
  const { config } = ctx.state.services;
  return { publicUrl: config.api.publicUrl, idleTimeoutSeconds: config.auth.sessionIdleSeconds };
}

export const accountEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/auth/config',
    summary: 'How to sign in here: local accounts, and the OpenID Connect provider if one is configured',
    tag: 'accounts',
    access: rules.public,
    responses: {
      200: {
        description: 'Sign-in options',
        schema: z.object({
          localAccounts: z.literal(true),
          oidc: z.object({ issuer: z.string(), clientId: z.string().nullable(), audience: z.string(), signInUrl: z.string().nullable().describe('Send the browser here to sign in through the provider') }).nullable(),
        }),
      },
    },
    async handler(ctx) {
      const { oidc } = ctx.state.services.config.auth;
      const signInUrl = ctx.state.services.oidcSignIn ? '/v1/auth/oidc/start' : null;
      ctx.body = { localAccounts: true, oidc: oidc ? { issuer: oidc.issuer, clientId: oidc.clientId ?? null, audience: oidc.audience, signInUrl } : null };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/auth/oidc/start',
    summary: 'Sign in through the OpenID Connect provider: redirects the browser there (authorization code with PKCE)',
    tag: 'accounts',
    access: rules.public,
    query: z.object({ next: z.string().max(1024).optional().describe('A path of this site to return to') }),
    rateLimit: 'login',
    responses: { 302: { description: "To the provider's sign-in page" }, 404: { description: 'No provider configured for browser sign-in (OIDC_CLIENT_ID)' } },
    async handler(ctx, { query }) {
      const flow = ctx.state.services.oidcSignIn;
      if (!flow) throw new ApiError(404, 'oidc_not_configured', 'Signing in through an identity provider is not configured here');
      let started;
      try {
        started = await flow.start(query.next);
      } catch (error) {
        throw Object.assign(new ApiError(503, 'oidc_unavailable', 'The identity provider cannot be reached; try again shortly.'), { cause: error });
      }
      ctx.append('Set-Cookie', started.cookie);
      ctx.redirect(started.location);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/auth/oidc/callback',
    summary: "Where the provider sends the browser back: checks the answer, signs in (session cookie), and returns to the page it came from",
    description: 'On failure the browser is sent to `/signin?error=<code>`.',
    tag: 'accounts',
    access: rules.public,
    query: z.object({ code: z.string().max(4096).optional(), state: z.string().max(512).optional(), error: z.string().max(256).optional() }),
    rateLimit: 'login',
    responses: { 302: { description: 'Signed in: to the page the sign-in started from; refused: to /signin?error=…' }, 404: { description: 'No provider configured' } },
    async handler(ctx, { query }) {
      const flow = ctx.state.services.oidcSignIn;
      if (!flow) throw new ApiError(404, 'oidc_not_configured', 'Signing in through an identity provider is not configured here');
      ctx.append('Set-Cookie', flow.clearCookie());
      const em = ctx.state.em;
      try {
        const { claims, next } = await flow.finish({ ...query, flowCookie: ctx.cookies.get(OIDC_FLOW_COOKIE) });
        const mapped = await userForOidcClaims(em, claims, { linkVerifiedEmail: ctx.state.services.config.auth.oidc?.linkVerifiedEmail ?? false });
        if (!mapped.ok) {
          ctx.redirect(`/signin?error=${mapped.reason === 'email_missing' ? 'oidc_email_missing' : 'oidc_email_conflict'}`);
          return;
        }
        const { cookie } = await createSession(em, mapped.user, { userAgent: ctx.get('user-agent') || null, ip: ctx.ip || null }, sessionOptions(ctx));
        ctx.append('Set-Cookie', cookie.header);
        ctx.redirect(next);
      } catch (error) {
        if (!(error instanceof OidcSignInError)) throw error;
        ctx.redirect(`/signin?error=oidc_${error.reason}`);
      }
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/auth/login',
    summary: 'Sign in with email and password: sets an HttpOnly, SameSite=Lax session cookie',
    tag: 'accounts',
    access: rules.public,
    body: loginSchema,
    bodyLimit: 8 * 1024,
    rateLimit: 'login',
    responses: { 200: { description: 'Signed in', schema: z.object({ user: userSchema }) }, 401: { description: 'Wrong email or password (which one is not said)' } },
    async handler(ctx, { body }) {
      const em = ctx.state.em;
      const user = await authenticatePassword(em, body.email, body.password);
      if (!user) throw new ApiError(401, 'invalid_credentials', 'Wrong email or password');
      const { cookie } = await createSession(em, user, { userAgent: ctx.get('user-agent') || null, ip: ctx.ip || null }, sessionOptions(ctx));
      ctx.append('Set-Cookie', cookie.header);
      ctx.body = { user: userView(user) };
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/auth/logout',
    summary: 'Sign out this browser (ends the session and clears its cookie)',
    tag: 'accounts',
    access: rules.public,
    responses: { 204: { description: 'Signed out (also when there was no session)' } },
    async handler(ctx) {
      const options = sessionOptions(ctx);
      const token = ctx.cookies.get(sessionCookieName(options));
      if (token) await revokeSession(ctx.state.em, token);
      ctx.append('Set-Cookie', clearSessionCookie(options).header);
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/auth/me',
    summary: 'Who you are signed in as',
    tag: 'accounts',
    access: rules.signedIn,
    responses: { 200: { description: 'You', schema: z.object({ user: userSchema, via: z.enum(['session', 'api-key', 'oidc']) }) } },
    async handler(ctx) {
      const { caller } = ctx.state;
      if (caller.kind !== 'user') throw new ApiError(401, 'unauthenticated', 'Not signed in');
      ctx.body = { user: userView(caller.user), via: caller.via };
    },
  }),
  endpoint({
    method: 'put',
    path: '/v1/auth/password',
    summary: 'Change your password (signs out your other sessions)',
    tag: 'accounts',
    access: rules.signedIn,
    body: changePasswordSchema,
    bodyLimit: 8 * 1024,
    rateLimit: 'login',
    responses: { 204: { description: 'Changed' }, 403: { description: 'The current password is wrong' } },
    async handler(ctx, { body }) {
      const user = callerUser(ctx.state.caller)!;
      if (!user.passwordHash || !(await verifyPassword(body.currentPassword, user.passwordHash))) {
        throw new ApiError(403, 'wrong_password', 'The current password is wrong');
      }
      await setPassword(ctx.state.em, user, body.newPassword);
      await revokeUserSessions(ctx.state.em, user.id, ctx.cookies.get(sessionCookieName(sessionOptions(ctx))));
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/users',
    summary: 'Create a local account',
    tag: 'accounts',
    access: rules.admin,
    body: createUserSchema,
    bodyLimit: 8 * 1024,
    responses: { 201: { description: 'Created', schema: userSchema }, 409: { description: 'The email is taken' } },
    async handler(ctx, { body }) {
      try {
        const user = await createLocalUser(ctx.state.em, body);
        ctx.status = 201;
        ctx.body = userView(user);
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw new ApiError(409, 'email_taken', `An account with the email ${body.email.toLowerCase()} already exists`);
        if (error instanceof InvalidEmailError) throw new ApiError(400, 'invalid_input', 'Invalid body: email: must be an email address', [{ field: 'email', message: 'must be an email address' }]);
        throw error;
      }
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/users',
    summary: 'Every account',
    tag: 'accounts',
    access: rules.admin,
    query: pageQuerySchema,
    responses: { 200: { description: 'A page of users', schema: pageOf(userSchema) } },
    async handler(ctx, { query }) {
      const [users, total] = await ctx.state.em.findAndCount(User, {}, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit, offset: query.offset });
      ctx.body = pageAnswer(users.map(userView), total, query);
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/api-keys',
    summary: 'Create an API key for yourself (the key is in this answer only)',
    description: 'Send it as `X-API-Key` (or `Authorization: Bearer <key>`). It acts as you; revoke it when it is no longer needed.',
    tag: 'accounts',
    access: rules.signedIn,
    body: createApiKeySchema,
    responses: { 201: { description: 'Created', schema: z.object({ key: z.string().describe('Shown once'), apiKey: apiKeySchema }) } },
    async handler(ctx, { body }) {
      const user = callerUser(ctx.state.caller)!;
      const { plaintext, apiKey } = await createApiKey(ctx.state.em, user, { name: body.name, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null });
      ctx.status = 201;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { key: plaintext, apiKey: apiKeyView(summarizeApiKey(apiKey)) };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/api-keys',
    summary: 'Your API keys (never the keys themselves), revoked ones included',
    tag: 'accounts',
    access: rules.signedIn,
    responses: { 200: { description: 'Your keys', schema: z.object({ items: z.array(apiKeySchema) }) } },
    async handler(ctx) {
      ctx.body = { items: (await listApiKeys(ctx.state.em, callerUser(ctx.state.caller)!.id)).map(apiKeyView) };
    },
  }),
  endpoint({
    method: 'delete',
    path: '/v1/api-keys/:id',
    summary: 'Revoke one of your API keys (admins: anyone\'s)',
    tag: 'accounts',
    access: rules.signedIn,
    params: z.object({ id: z.string() }),
    responses: { 200: { description: 'Revoked (again is fine)', schema: apiKeySchema } },
    async handler(ctx, { params }) {
      const user = callerUser(ctx.state.caller)!;
      const revoked = await revokeApiKey(ctx.state.em, params.id, user.role === 'admin' ? {} : { ownerId: user.id });
      if (!revoked) throw notFound(`API key "${params.id}"`);
      ctx.body = apiKeyView(revoked);
    },
  }),
];
