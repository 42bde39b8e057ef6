import type { IncomingWebhook } from './incoming-webhook.js';
import type { WebhookAttachmentInput } from './webhook-attachment.js';
import type { ParsedWebhookBody } from './webhook-body.js';

/**
 * What a delivery was proven to be. Fields a sender puts in the body (Standard
 * Webhooks' `type`, Survicate's `messageId`) are read on first access, so verifying
 * does not pay for parsing a body nobody looks into.
 */
export interface VerifiedWebhook {
  /** The sender's id for this delivery (or a digest of its signature), for de-duplication. */
  readonly deliveryId: string;
  /** The event type used to route the delivery to handlers, where the sender has one. */
  readonly event: string | undefined;
  /** When the sender says it sent the delivery, where it says so. */
  readonly timestamp: Date | undefined;
}

/** The secrets of one source, as configured. */
export interface WebhookCredentials {
  /** Every secret currently valid (rotation: a delivery is valid if one of them matches). Possibly empty. */
  readonly secrets: readonly string[];
  /** Survicate's verification token, when configured. */
  readonly token?: string;
}

/** How strict verification is for one call. */
export interface VerificationPolicy {
  /** Largest accepted distance between the sender's timestamp and `now`, in seconds; 0 turns the check off. */
  readonly toleranceSeconds: number;
  /** The current time. */
  readonly now: Date;
}

/** What a provider signs: the body bytes and the per-delivery values a sender chooses. */
export interface ProviderSignInput {
  /** The body (for Usersnap, the `feedback` part's content) as bytes. */
  readonly payload: Buffer;
  /** The delivery id to write, where the sender sends one; a fresh one otherwise. */
  readonly id?: string;
  /** The time to sign with. */
  readonly timestamp: Date;
  /** The event type to write, where the sender sends it in a header. */
  readonly event?: string;
  /** Survicate's Token header value. */
  readonly token?: string;
  /** Extra multipart parts (Usersnap). */
  readonly attachments?: readonly WebhookAttachmentInput[];
}

/** A delivery ready to send: headers (content-type included) and the exact body bytes. */
export interface SignedWebhook {
  /** Lower-case header names and their values. */
  readonly headers: Record<string, string>;
  /** The body; empty for a bodiless (GET) delivery. */
  readonly body: Buffer;
}

/** HTTP methods a sender delivers with. */
export type WebhookMethod = 'POST' | 'GET';

/**
 * Everything one sender does differently: which headers it reads, what bytes are
 * signed and how, where its delivery id, event type and timestamp come from, and how
 * its body becomes a payload. The only place that knows a sender.
 *
 * `TKeys` is the provider's own form of the secrets, prepared once per configuration
 * by {@link WebhookProvider.prepareKeys} (decoded bytes, key objects).
 */
export interface WebhookProvider<TKeys = unknown> {
  /** The provider's name, as shown in `WebhookContext.provider` and in logs. */
  readonly name: string;
  /** Lower-case names of headers that carry a signature or token: never logged or shown. */
  readonly sensitiveHeaders: readonly string[];
  /** The HTTP methods the sender delivers with. */
  readonly methods: readonly WebhookMethod[];
  /**
   * The media type of the bodies the sender sends (`application/json` when absent). The
   * start-up self-check uses it to send itself the body kinds the app will receive.
   */
  readonly contentType?: string;
  /**
   * Checks and prepares the secrets once; throws `WebhookConfigurationError` for
   * credentials this sender cannot use.
   */
  prepareKeys(credentials: WebhookCredentials): TKeys;
  /**
   * Warnings about credentials that work but are weak (logged once at start-up).
   */
  credentialWarnings?(credentials: WebhookCredentials): readonly string[];
  /** Proves the delivery authentic or throws `WebhookVerificationError`. */
  verify(delivery: IncomingWebhook, keys: TKeys, policy: VerificationPolicy): VerifiedWebhook;
  /** Turns a verified delivery's body into the payload handlers receive. */
  parse(delivery: IncomingWebhook): Promise<ParsedWebhookBody>;
  /** Produces a delivery exactly as the sender would send it. */
  sign(input: ProviderSignInput, keys: TKeys): SignedWebhook;
}
