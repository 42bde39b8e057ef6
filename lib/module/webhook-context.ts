import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookAttachment } from '../core/webhook-attachment.js';
import type { VerifiedAttempt } from './delivery-attempt.js';

/**
 * Everything a handler may want to know about the delivery it is handling; also what
 * `@WebhookDelivery()` gives a route of the application's own.
 */
export interface WebhookContext {
  /** The configured source's name (the `:source` of the route). */
  readonly source: string;
  /** The provider's name, e.g. `'stripe'`. */
  readonly provider: string;
  /** The tenant: the canonical one the secret resolver named, else the route's tenant segment. */
  readonly tenant: string | undefined;
  /** The event type, where the sender has one. */
  readonly event: string | undefined;
  /** The sender's delivery id (or a digest of its signature), unique per delivery. */
  readonly deliveryId: string;
  /** This attempt at the delivery: the same id is in its outcome event, log lines and dashboard entry. */
  readonly attemptId: string;
  /** When the sender says it sent the delivery. */
  readonly timestamp: Date | undefined;
  /** The request headers (in queue mode: the content type and the sender's own headers only). */
  readonly headers: WebhookHeaders;
  /** The body exactly as received and verified. */
  readonly rawBody: Buffer;
  /** The other parts of a multipart delivery (Usersnap screenshots); `undefined` otherwise, and on own routes. */
  readonly attachments: readonly WebhookAttachment[] | undefined;
}

/** The context of a verified attempt: the one place an attempt becomes what handlers see. */
export function contextOf(
  attempt: VerifiedAttempt,
  attachments: readonly WebhookAttachment[] | undefined = undefined,
): WebhookContext {
  return {
    source: attempt.source.name,
    provider: attempt.source.provider.name,
    tenant: attempt.tenant,
    event: attempt.verified.event,
    deliveryId: attempt.verified.deliveryId,
    attemptId: attempt.attemptId,
    timestamp: attempt.verified.timestamp,
    headers: attempt.headers,
    rawBody: attempt.rawBody,
    attachments,
  };
}
