import { createHash } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';

/** An Authorization header as LiveKit signs a webhook body (sha256 claim), with another key, secret or lifetime to forge one
 * (`ttl` as jose reads it: seconds, or e.g. '-60s' for a token that expired a minute ago). */
export function signedLiveKitWebhook(body: Buffer | string, credentials: { key: string; secret: string; ttl?: number | string }): Promise<string> {
  const token = new AccessToken(credentials.key, credentials.secret, { ttl: credentials.ttl ?? 300 });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}
