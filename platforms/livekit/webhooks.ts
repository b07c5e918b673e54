import { WebhookReceiver } from 'livekit-server-sdk';
import type { WebhookEvent } from 'livekit-server-sdk';

// LiveKit signs a webhook (livekit/protocol webhook/url_notifier.go) with a JWT in `Authorization` (raw, no
// "Bearer"), HS256 with the API secret, `iss` = the API key, valid 5 minutes, whose `sha256` claim is
// base64(sha256(body)); the body is protojson, `content-type: application/webhook+json`. We verify with the
// SDK's own WebhookReceiver and name each refusal, so the route can answer it and a log can say why.

export const LIVEKIT_WEBHOOK_CONTENT_TYPE = 'application/webhook+json';

export type LiveKitWebhookRefusal =
  | 'missing-authorization'
  | 'unexpected-content-type'
  | 'malformed-token'
  | 'bad-signature'
  | 'unknown-api-key'
  | 'expired'
  | 'not-yet-valid'
  | 'body-tampered'
  | 'malformed-body';

export class LiveKitWebhookRefused extends Error {
  readonly refusal: LiveKitWebhookRefusal;
  constructor(refusal: LiveKitWebhookRefusal, message: string, options?: ErrorOptions) {
    super(`LiveKit webhook refused (${refusal}): ${message}`, options);
    this.name = 'LiveKitWebhookRefused';
    this.refusal = refusal;
  }
}

export interface LiveKitWebhookRequest {
  /** The body exactly as received: the signature covers its bytes, not a re-encoding. */
  rawBody: Buffer | string;
  authorization: string | undefined;
  /** Checked when given. */
  contentType?: string | undefined;
}

export class LiveKitWebhookVerifier {
  readonly #receiver: WebhookReceiver;
  readonly #clockToleranceSeconds: number | undefined;

  constructor(credentials: { apiKey: string; apiSecret: string; clockToleranceSeconds?: number }) {
    this.#receiver = new WebhookReceiver(credentials.apiKey, credentials.apiSecret);
    this.#clockToleranceSeconds = credentials.clockToleranceSeconds;
  }

  /** The verified event, or a LiveKitWebhookRefused naming why not. */
  async verify(request: LiveKitWebhookRequest): Promise<WebhookEvent> {
    const { authorization, contentType } = request;
    if (authorization === undefined || authorization.trim() === '') throw new LiveKitWebhookRefused('missing-authorization', 'no Authorization header');
    if (contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() !== LIVEKIT_WEBHOOK_CONTENT_TYPE) {
      throw new LiveKitWebhookRefused('unexpected-content-type', `content type ${contentType}, expected ${LIVEKIT_WEBHOOK_CONTENT_TYPE}`);
    }
    const body = request.rawBody.toString();
    try {
      return await this.#receiver.receive(body, authorization, false, this.#clockToleranceSeconds);
    } catch (error) {
      throw refusalFor(error);
    }
  }
}

function refusalFor(error: unknown): LiveKitWebhookRefused {
  const message = error instanceof Error ? error.message : String(error);
  const as = (refusal: LiveKitWebhookRefusal) => new LiveKitWebhookRefused(refusal, message, { cause: error });
  // jose's error codes, not its classes: the SDK bundles its own copy of jose.
  const { code, claim } = (error ?? {}) as { code?: unknown; claim?: unknown };
  if (code === 'ERR_JWT_EXPIRED') return as('expired');
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return as('bad-signature');
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'iss') return as('unknown-api-key');
    if (claim === 'nbf' || claim === 'iat') return as('not-yet-valid');
    return as('malformed-token');
  }
  if (typeof code === 'string' && code.startsWith('ERR_J')) return as('malformed-token');
  if (message.includes('sha256 checksum')) return as('body-tampered');
  // The signature held and the checksum matched: what is left is a body the SDK could not decode.
  return as('malformed-body');
}

// Replay protection (a captured webhook stays verifiable for the 5 minutes of its token, and LiveKit resends
// events): platforms/webhook-freshness.ts, shared with the other platforms.
export { judgeWebhookFreshness } from '../webhook-freshness.ts';
export type { WebhookFreshness, WebhookFreshnessPolicy } from '../webhook-freshness.ts';
