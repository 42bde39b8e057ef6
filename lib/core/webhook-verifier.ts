import type { KeyObject } from 'node:crypto';
import { WebhookConfigurationError, WebhookVerificationError } from './errors/index.js';
import { rawBodyNotBytes, secretsEnded, secretsEndedForSigning, toleranceInvalid } from './errors/webhook.messages.js';
import type { WebhookHeaders } from './headers.js';
import { IncomingWebhook, type IncomingWebhookRequest } from './incoming-webhook.js';
import { resolveProvider, type WebhookProviderRef } from './provider-registry.js';
import { checkedSecrets, secretsInForce, type CheckedSecret, type WebhookSecret } from './secrets.js';
import type { WebhookAttachmentInput } from './webhook-attachment.js';
import type { SignedWebhook, VerifiedWebhook, WebhookProvider } from './webhook-provider.js';

/** What a delivery's request is when nothing but its headers and body is known: one object for all. */
const NO_REQUEST: IncomingWebhookRequest = Object.freeze({});

/** The default replay window: 5 minutes, as most senders' own verifiers use. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** One sender and its secrets. */
export interface WebhookVerifierOptions {
  /** A provider's name (`'stripe'`, `'github'`, …) or a provider object such as `hmacProvider(...)` returns. */
  readonly provider: WebhookProviderRef;
  /** The secret, or several while rotating (any one still in force may match). */
  readonly secret?: WebhookSecret;
  /** A token the sender sends in clear beside its signature (Survicate). */
  readonly token?: string;
  /** Replay window in seconds (default: the sender's, 300 for most); 0 turns it off. */
  readonly toleranceSeconds?: number;
}

/** What is known of the request beside its headers and body. */
export interface WebhookRequestContext {
  /** The current time (default: now). */
  readonly now?: Date;
  /** The full URL the sender called, for senders that sign it (Twilio, Square, HubSpot). */
  readonly url?: string;
  /** The HTTP method (default `POST`), for senders that sign it (HubSpot). */
  readonly method?: string;
}

/** What to sign: the payload and the per-delivery values a sender chooses. */
export interface WebhookSignOptions {
  /** An object (sent as the sender encodes it: JSON, or a form for Twilio), or the body's exact bytes. */
  readonly payload?: unknown;
  /** The delivery id to write where the sender sends one. */
  readonly id?: string;
  /** The send time to sign with. Default: now. */
  readonly timestamp?: Date;
  /** The event type, for senders that send it in a header. */
  readonly event?: string;
  /** Survicate's Token header (default: the configured token). */
  readonly token?: string;
  /** Extra Usersnap multipart parts. */
  readonly attachments?: readonly WebhookAttachmentInput[];
  /** The full URL the delivery goes to, for senders that sign it. */
  readonly url?: string;
  /** The HTTP method (default `POST`), for senders that sign it. */
  readonly method?: string;
  /** The private key of a sender that signs with one (Discord, SendGrid): a `KeyObject` or PKCS#8 PEM. */
  readonly privateKey?: KeyObject | string;
}

/**
 * One sender with its secrets prepared once (decoded keys, key objects), ready to verify
 * and sign many deliveries. `verifyWebhook` and `signWebhook` use it underneath.
 *
 * @example
 * ```ts
 * const stripe = new WebhookVerifier({ provider: 'stripe', secret: process.env.STRIPE_WEBHOOK_SECRET });
 * const { deliveryId, event } = stripe.verify(req.headers, req.rawBody);
 * ```
 */
export class WebhookVerifier {
  /** The sender. */
  readonly provider: WebhookProvider;
  /** The replay window in seconds; 0 when off. */
  readonly toleranceSeconds: number;
  private readonly token: string | undefined;
  private readonly secrets: readonly CheckedSecret[];
  private keys: unknown;
  /** The keys above serve every time in [keysFromMs, keysUntilMs): no secret ends inside it. */
  private keysFromMs = -Infinity;
  private keysUntilMs = Infinity;
  private allSecretsEnded = false;

  constructor(options: WebhookVerifierOptions) {
    this.provider = resolveProvider(options.provider);
    this.toleranceSeconds = checkTolerance(
      options.toleranceSeconds ?? this.provider.defaultToleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    );
    this.token = options.token || undefined;
    this.secrets = checkedSecrets(options.secret, this.provider.name);
    const ending = this.secrets.some((secret) => secret.notAfterMs !== Infinity);
    // Every secret is checked at start-up, ended ones included, so a typo never waits for a rotation to show.
    this.keys = this.provider.prepareKeys({ secrets: this.secrets.map((s) => s.value), token: this.token });
    if (ending) this.prepareKeysFor(Date.now());
  }

  /**
   * Proves a delivery authentic from its headers and exact body bytes (and, for senders
   * that sign them, the URL and method).
   * @param context the current time, or the request's URL and method as well.
   * @throws WebhookVerificationError with the reason it was refused.
   */
  verify(
    headers: WebhookHeaders,
    rawBody: Buffer | Uint8Array,
    context?: WebhookRequestContext | Date,
  ): VerifiedWebhook {
    let now: Date | undefined;
    let request: IncomingWebhookRequest = NO_REQUEST;
    if (context instanceof Date) now = context;
    else if (context !== undefined) {
      now = context.now;
      if (context.url !== undefined || context.method !== undefined) {
        request = { url: context.url, method: context.method };
      }
    }
    return this.verifyDelivery(new IncomingWebhook(headers, toBuffer(rawBody), request), now);
  }

  /** {@link verify} for a delivery already wrapped, so its parsed body can be shared. */
  verifyDelivery(delivery: IncomingWebhook, now: Date = new Date()): VerifiedWebhook {
    const keys = this.keysAt(now.getTime());
    if (this.allSecretsEnded) throw new WebhookVerificationError('invalid_signature', secretsEnded());
    return this.provider.verify(delivery, keys, { toleranceSeconds: this.toleranceSeconds, now });
  }

  /** Produces a delivery exactly as the sender would send it. */
  sign(options: WebhookSignOptions = {}): SignedWebhook {
    const timestamp = options.timestamp ?? new Date();
    const keys = this.keysAt(timestamp.getTime());
    if (this.allSecretsEnded) throw new WebhookConfigurationError(secretsEndedForSigning(this.provider.name));
    return this.provider.sign(
      {
        payload: this.payloadBytes(options.payload),
        id: options.id,
        timestamp,
        event: options.event,
        token: options.token ?? this.token,
        attachments: options.attachments,
        url: options.url,
        method: options.method,
        privateKey: options.privateKey,
      },
      keys,
    );
  }

  /** The keys of the secrets in force at `nowMs`; prepared again only when a secret has ended since. */
  private keysAt(nowMs: number): unknown {
    if (nowMs >= this.keysUntilMs || nowMs < this.keysFromMs) this.prepareKeysFor(nowMs);
    return this.keys;
  }

  private prepareKeysFor(nowMs: number): void {
    const inForce = secretsInForce(this.secrets, nowMs);
    const ends = this.secrets.map((secret) => secret.notAfterMs);
    this.keysUntilMs = Math.min(Infinity, ...ends.filter((end) => end > nowMs));
    this.keysFromMs = Math.max(-Infinity, ...ends.filter((end) => end <= nowMs));
    this.allSecretsEnded = this.secrets.length > 0 && inForce.length === 0;
    if (!this.allSecretsEnded) this.keys = this.provider.prepareKeys({ secrets: inForce, token: this.token });
  }

  /** A payload as the bytes to sign: bytes and text as they are, a value as the sender encodes it. */
  private payloadBytes(payload: unknown): Buffer {
    if (payload === undefined) return Buffer.alloc(0);
    if (Buffer.isBuffer(payload)) return payload;
    if (payload instanceof Uint8Array) return Buffer.from(payload);
    if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
    return this.provider.encodePayload?.(payload) ?? Buffer.from(JSON.stringify(payload), 'utf8');
  }
}

/** A replay window as given, or a configuration error. */
export function checkTolerance(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new WebhookConfigurationError(toleranceInvalid());
  return seconds;
}

function toBuffer(rawBody: Buffer | Uint8Array): Buffer {
  if (Buffer.isBuffer(rawBody)) return rawBody;
  if (rawBody instanceof Uint8Array) return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  throw new WebhookConfigurationError(rawBodyNotBytes());
}
