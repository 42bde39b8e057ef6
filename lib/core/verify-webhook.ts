import type { WebhookHeaders } from './headers.js';
import type { WebhookProviderRef } from './provider-registry.js';
import type { WebhookSecret, WebhookSecretEntry } from './secrets.js';
import type { SignedWebhook, VerifiedWebhook } from './webhook-provider.js';
import { WebhookVerifier, type WebhookSignOptions } from './webhook-verifier.js';

/** Everything {@link verifyWebhook} needs. */
export interface VerifyWebhookOptions {
  /** A provider's name (`'stripe'`, `'github'`, `'standard-webhooks'`, …) or a provider object. */
  readonly provider: WebhookProviderRef;
  /** The secret, or several while rotating (for Discord and SendGrid: the public key). */
  readonly secret?: WebhookSecret;
  /** Survicate's verification token. */
  readonly token?: string;
  /** The request headers, in any case; repeated headers as arrays. */
  readonly headers: WebhookHeaders;
  /** The body exactly as received. */
  readonly rawBody: Buffer | Uint8Array;
  /** The full URL the sender called: required for senders that sign it (Twilio, Square, HubSpot). */
  readonly url?: string;
  /** The HTTP method (default `POST`), for senders that sign it (HubSpot). */
  readonly method?: string;
  /** Replay window in seconds (default: the sender's, 300 for most); 0 turns it off. */
  readonly toleranceSeconds?: number;
  /** The current time (default: now). */
  readonly now?: Date;
}

/** Everything {@link signWebhook} needs. */
export interface SignWebhookOptions extends WebhookSignOptions {
  /** A provider's name or a provider object. */
  readonly provider: WebhookProviderRef;
  /** The secret to sign with (the first, when several). */
  readonly secret?: WebhookSecret;
}

const CACHE_LIMIT = 64;
/** Per provider (a name, or a provider object), the verifiers by their settings. */
const verifiers = new Map<string, WebhookVerifier>();
const verifiersOfObjects = new WeakMap<object, Map<string, WebhookVerifier>>();

/**
 * Prepared keys are reused across calls with the same settings, so repeated calls don't
 * re-decode secrets. The key is plain concatenation: this runs on every call.
 */
function verifierFor(options: VerifyWebhookOptions | SignWebhookOptions): WebhookVerifier {
  const { provider, secret, token } = options;
  const tolerance = 'toleranceSeconds' in options ? options.toleranceSeconds : undefined;
  // String() keeps NaN and Infinity apart from undefined, so a bad window is never served from the cache.
  const secretPart = typeof secret === 'string' ? `s${secret}` : secret ? `a${secretKey(secret)}` : '-';
  const settings = `${secretPart}\u0000${token ?? ''}\u0000${String(tolerance)}`;
  let cache: Map<string, WebhookVerifier>;
  let cacheKey: string;
  if (typeof provider === 'string') {
    cache = verifiers;
    cacheKey = `${provider}\u0000${settings}`;
  } else {
    cache = verifiersOfObjects.get(provider) ?? new Map<string, WebhookVerifier>();
    verifiersOfObjects.set(provider, cache);
    cacheKey = settings;
  }
  let verifier = cache.get(cacheKey);
  if (!verifier) {
    verifier = new WebhookVerifier({ provider, secret, token, toleranceSeconds: tolerance });
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(cacheKey, verifier);
  }
  return verifier;
}

/** A secret setting as cache-key text: values and end dates, so a changed end date is a different verifier. */
function secretKey(secret: Exclude<WebhookSecret, string>): string {
  const entries = Array.isArray(secret) ? (secret as readonly WebhookSecretEntry[]) : [secret as WebhookSecretEntry];
  return entries
    .map((entry) => (typeof entry === 'string' ? entry : `${entry?.value}\u0002${notAfterKey(entry?.notAfter)}`))
    .join('\u0001');
}

function notAfterKey(notAfter: Date | string | undefined): string {
  return notAfter instanceof Date ? String(notAfter.getTime()) : String(notAfter);
}

/**
 * Proves a delivery authentic, without any framework.
 *
 * @returns the delivery id, event type and timestamp the sender wrote.
 * @throws WebhookVerificationError whose `reason` says why it was refused.
 *
 * @example
 * ```ts
 * const { deliveryId, event } = verifyWebhook({
 *   provider: 'standard-webhooks',
 *   secret: process.env.WEBHOOK_SECRET,
 *   headers: req.headers,
 *   rawBody: req.rawBody,
 * });
 * ```
 */
export function verifyWebhook(options: VerifyWebhookOptions): VerifiedWebhook {
  const { headers, rawBody, now, url, method } = options;
  return verifierFor(options).verify(headers, rawBody, { now, url, method });
}

/**
 * Produces a delivery exactly as the sender would send it: headers (content-type
 * included) and body bytes. For tests and local tools.
 *
 * @example
 * ```ts
 * const { headers, body } = signWebhook({ provider: 'guuru', secret: 'secr3t', payload: { question: 'hi' } });
 * await request(app.getHttpServer()).post('/webhooks/guuru').set(headers).send(body).expect(200);
 * ```
 */
export function signWebhook(options: SignWebhookOptions): SignedWebhook {
  return verifierFor(options).sign(options);
}
