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

/** A verifier and the settings it was made with. */
interface CachedVerifier {
  readonly provider: WebhookProviderRef;
  /** The secret as given when it is a string; otherwise `undefined`, and `secretKey` says it. */
  readonly secret: string | undefined;
  readonly secretKey: string | undefined;
  readonly token: string | undefined;
  readonly tolerance: number | undefined;
  readonly verifier: WebhookVerifier;
}

/**
 * Verifiers by the text of their secret: the secret itself when it is a string (the usual case,
 * looked up without building any key), else `\u0001a` and {@link secretKey} (`\u0001-` for none). Each text holds the
 * verifiers of every provider, token and window it was used with (usually one), compared field by
 * field. At most {@link CACHE_LIMIT} verifiers per map; the oldest text goes first.
 */
interface VerifierCache {
  readonly bySecret: Map<string, CachedVerifier[]>;
  size: number;
}

function newCache(): VerifierCache {
  return { bySecret: new Map(), size: 0 };
}

/** Verifiers of providers given by name. */
const verifiers = newCache();
/** Verifiers of provider objects, per object: they go when it goes. */
const verifiersOfObjects = new WeakMap<object, VerifierCache>();

/** The same window setting: `NaN` is one setting, as are the infinities (all refused when the verifier is made). */
function sameTolerance(a: number | undefined, b: number | undefined): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * Prepared keys are reused across calls with the same settings, so repeated calls don't
 * re-decode secrets. This runs on every call: a string secret is looked up as it is.
 */
function verifierFor(options: VerifyWebhookOptions | SignWebhookOptions): WebhookVerifier {
  const { provider, secret, token } = options;
  const tolerance = 'toleranceSeconds' in options ? options.toleranceSeconds : undefined;
  let cache: VerifierCache;
  if (typeof provider === 'string') cache = verifiers;
  else {
    let own = verifiersOfObjects.get(provider);
    if (!own) {
      own = newCache();
      verifiersOfObjects.set(provider, own);
    }
    cache = own;
  }
  const isText = typeof secret === 'string';
  const key = isText ? secret : secret ? `\u0001a${secretKey(secret)}` : '\u0001-';
  const entries = cache.bySecret.get(key);
  if (entries) {
    for (const entry of entries) {
      if (
        entry.provider === provider &&
        entry.token === token &&
        sameTolerance(entry.tolerance, tolerance) &&
        (isText ? entry.secret === secret : entry.secret === undefined && entry.secretKey === key)
      ) {
        return entry.verifier;
      }
    }
  }
  const verifier = new WebhookVerifier({ provider, secret, token, toleranceSeconds: tolerance });
  if (cache.size >= CACHE_LIMIT) {
    const [oldestKey, oldest] = cache.bySecret.entries().next().value!;
    cache.bySecret.delete(oldestKey);
    cache.size -= oldest.length;
  }
  const entry: CachedVerifier = {
    provider,
    secret: isText ? secret : undefined,
    secretKey: isText ? undefined : key,
    token,
    tolerance,
    verifier,
  };
  const list = cache.bySecret.get(key);
  if (list) list.push(entry);
  else cache.bySecret.set(key, [entry]);
  cache.size += 1;
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
  const verifier = verifierFor(options);
  const { now, url, method } = options;
  return verifier.verify(
    options.headers,
    options.rawBody,
    url === undefined && method === undefined ? now : { now, url, method },
  );
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
