import { resolveProvider, type WebhookProviderRef } from '../providers/index.js';
import type { WebhookHeaders } from './headers.js';
import { IncomingWebhook } from './incoming-webhook.js';
import { checkedSecrets, secretsInForce, type CheckedSecret, type WebhookSecret } from './secrets.js';
import type { WebhookAttachmentInput } from './webhook-attachment.js';
import { WebhookConfigurationError } from './webhook-configuration.error.js';
import { WebhookVerificationError } from './webhook-verification.error.js';
import type { SignedWebhook, VerifiedWebhook, WebhookProvider } from './webhook-provider.js';

/** The default replay window: 5 minutes, as Standard Webhooks recommends. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** One sender and its secrets. */
export interface WebhookVerifierOptions {
  /** A built-in sender's name, or a provider object such as `hmacProvider(...)` returns. */
  readonly provider: WebhookProviderRef;
  /** The secret, or several while rotating (any one still in force may match). */
  readonly secret?: WebhookSecret;
  /** Survicate's verification token. */
  readonly token?: string;
  /** Replay window in seconds (default 300); 0 turns it off. */
  readonly toleranceSeconds?: number;
}

/** What to sign: the payload and the per-delivery values a sender chooses. */
export interface WebhookSignOptions {
  /** An object (sent as JSON), or the body's exact bytes (a Buffer or string). */
  readonly payload?: unknown;
  /** The delivery id to write where the sender sends one (Standard Webhooks, ShopSurvey, `idHeader`). */
  readonly id?: string;
  /** The send time to sign with. Default: now. */
  readonly timestamp?: Date;
  /** ShopSurvey's topic, or an `hmacProvider`'s event header. */
  readonly event?: string;
  /** Survicate's Token header (default: the configured token). */
  readonly token?: string;
  /** Extra Usersnap multipart parts. */
  readonly attachments?: readonly WebhookAttachmentInput[];
}

/**
 * One sender with its secrets prepared once (decoded keys, key objects), ready to
 * verify and sign many deliveries. `verifyWebhook` and `signWebhook` use it underneath.
 *
 * @example
 * ```ts
 * const guuru = new WebhookVerifier({ provider: 'guuru', secret: process.env.GUURU_SECRET });
 * const { deliveryId } = guuru.verify(req.headers, req.rawBody);
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
    this.toleranceSeconds = checkTolerance(options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS);
    this.token = options.token || undefined;
    this.secrets = checkedSecrets(options.secret, this.provider.name);
    const ending = this.secrets.some((secret) => secret.notAfterMs !== Infinity);
    // Every secret is checked at start-up, ended ones included, so a typo never waits for a rotation to show.
    this.keys = this.provider.prepareKeys({ secrets: this.secrets.map((s) => s.value), token: this.token });
    if (ending) this.prepareKeysFor(Date.now());
  }

  /**
   * Proves a delivery authentic from its headers and exact body bytes.
   * @throws WebhookVerificationError with the reason it was refused.
   */
  verify(headers: WebhookHeaders, rawBody: Buffer, now: Date = new Date()): VerifiedWebhook {
    return this.verifyDelivery(new IncomingWebhook(headers, toBuffer(rawBody)), now);
  }

  /** {@link verify} for a delivery already wrapped, so its parsed body can be shared. */
  verifyDelivery(delivery: IncomingWebhook, now: Date = new Date()): VerifiedWebhook {
    const keys = this.keysAt(now.getTime());
    if (this.allSecretsEnded) {
      throw new WebhookVerificationError('invalid_signature', 'Every secret of this source is past its notAfter.');
    }
    return this.provider.verify(delivery, keys, { toleranceSeconds: this.toleranceSeconds, now });
  }

  /** Produces a delivery exactly as the sender would send it. */
  sign(options: WebhookSignOptions = {}): SignedWebhook {
    const timestamp = options.timestamp ?? new Date();
    const keys = this.keysAt(timestamp.getTime());
    if (this.allSecretsEnded) {
      throw new WebhookConfigurationError(`${this.provider.name}: every secret is past its notAfter; none can sign.`);
    }
    return this.provider.sign(
      {
        payload: payloadBytes(options.payload),
        id: options.id,
        timestamp,
        event: options.event,
        token: options.token ?? this.token,
        attachments: options.attachments,
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
}

/** A replay window as given, or a configuration error. */
export function checkTolerance(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new WebhookConfigurationError('toleranceSeconds must be a non-negative number (0 turns the window off).');
  }
  return seconds;
}

function toBuffer(rawBody: Buffer | Uint8Array): Buffer {
  if (Buffer.isBuffer(rawBody)) return rawBody;
  if (rawBody instanceof Uint8Array) return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  throw new TypeError('rawBody must be the exact bytes received, as a Buffer.');
}

function payloadBytes(payload: unknown): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
