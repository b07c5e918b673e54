// The caller's own storage for copies (Nextcloud or any WebDAV server): a folder URL and credentials, checked with
// a PROPFIND before they are kept; the password is sealed (copies/sealed-secret.ts), never logged, never answered.
// Each finished recording of the caller's rooms is then copied there by its workflow's last step.
import { z } from 'zod';
import { WebDavSetting } from '../db/entities.ts';
import { checkWebDavFolder, WEBDAV_PASSWORD, WebDavError } from '../copies/webdav.ts';
import { sealSecret } from '../copies/sealed-secret.ts';
import { assertPublicDestination, DestinationRefusedError } from '../activities/outgoing-webhooks.ts';
import { ApiError, notFound } from './errors.ts';
import { callerUser, rules } from './access.ts';
import { endpoint } from './endpoint.ts';
import type { ApiContext } from './app.ts';


const settingSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL of a folder' }).max(2048),
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
});
const settingView = z.object({ url: z.string(), username: z.string(), hasPassword: z.boolean(), updatedAt: z.iso.datetime() });

const view = (s: WebDavSetting) => ({ url: s.url, username: s.username, hasPassword: Boolean(s.passwordSealed), updatedAt: s.updatedAt.toISOString() });

async function own(ctx: ApiContext): Promise<WebDavSetting | null> {
  return ctx.state.em.findOne(WebDavSetting, { userId: callerUser(ctx.state.caller)!.id });
}

export const webDavEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/me/webdav',
    summary: 'Your WebDAV folder for copies of your recordings (the password is never shown)',
    tag: 'accounts',
    access: rules.signedIn,
    responses: { 200: { description: 'The folder', schema: settingView }, 404: { description: 'None set' } },
    async handler(ctx) {
      const setting = await own(ctx);
      if (!setting) throw notFound('A WebDAV folder');
      ctx.body = view(setting);
    },
  }),
  endpoint({
    method: 'put',
    path: '/v1/me/webdav',
    summary: 'Set your WebDAV folder: checked with the server (PROPFIND) before it is kept; each finished recording of your rooms is copied there',
    tag: 'accounts',
    access: rules.signedIn,
    body: settingSchema,
    bodyLimit: 8 * 1024,
    responses: { 200: { description: 'Kept', schema: settingView }, 422: { description: 'The server refused the folder or the credentials, or could not be reached' } },
    async handler(ctx, { body }) {
      const { services } = ctx.state;
      try {
        await assertPublicDestination(body.url, { allowPrivate: services.config.outgoingWebhooksAllowPrivate });
      } catch (error) {
        if (!(error instanceof DestinationRefusedError)) throw error;
        throw new ApiError(400, 'invalid_input', `Invalid body: url: ${error.message}`, [{ field: 'url', message: error.message }]);
      }
      try {
        await checkWebDavFolder(body);
      } catch (error) {
        if (!(error instanceof WebDavError)) throw error;
        throw new ApiError(422, 'webdav_refused', `The WebDAV folder was not kept: ${error.message}`, [{ field: error.status === 401 || error.status === 403 ? 'password' : 'url', message: error.message }]);
      }
      const userId = callerUser(ctx.state.caller)!.id;
      const passwordSealed = sealSecret(services.config.appSecret, WEBDAV_PASSWORD, body.password);
      let setting = await own(ctx);
      if (setting) Object.assign(setting, { url: body.url, username: body.username, passwordSealed });
      else setting = ctx.state.em.create(WebDavSetting, { userId, url: body.url, username: body.username, passwordSealed });
      await ctx.state.em.flush();
      ctx.body = view(setting);
    },
  }),
  endpoint({
    method: 'delete',
    path: '/v1/me/webdav',
    summary: 'Remove your WebDAV folder: no more copies from now on (those made stay where they are)',
    tag: 'accounts',
    access: rules.signedIn,
    responses: { 204: { description: 'Removed (or there was none)' } },
    async handler(ctx) {
      await ctx.state.em.nativeDelete(WebDavSetting, { userId: callerUser(ctx.state.caller)!.id });
      ctx.status = 204;
    },
  }),
];
