// A secret we must be able to use again (a WebDAV password) but never show: sealed with AES-256-GCM under a key
// derived from APP_SECRET, stored as `v1.<iv>.<tag>.<ciphertext>` (base64url). A changed APP_SECRET cannot open it.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const keyFor = (appSecret: string, purpose: string) => createHmac('sha256', appSecret).update(`sealed-secret:${purpose}`).digest();

export function sealSecret(appSecret: string, purpose: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(appSecret, purpose), iv);
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), sealed].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** The secret, or an error saying it cannot be opened (tampered with, or sealed under another APP_SECRET). */
export function openSecret(appSecret: string, purpose: string, sealed: string): string {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', keyFor(appSecret, purpose), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('the sealed secret cannot be opened (APP_SECRET changed?)');
  }
}
