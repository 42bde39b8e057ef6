import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookAttachment } from '../core/webhook-attachment.js';

/** Everything a handler may want to know about the delivery it is handling. */
export interface WebhookContext {
  /** The configured source's name (the `:source` of the route). */
  readonly source: string;
  /** The provider's name, e.g. `'standard-webhooks'`. */
  readonly provider: string;
  /** The route's tenant segment (`POST /webhooks/:source/:tenant`); `undefined` on `/webhooks/:source`. */
  readonly tenant: string | undefined;
  /** The event type, where the sender has one. */
  readonly event: string | undefined;
  /** The sender's delivery id (or a digest of its signature), unique per delivery. */
  readonly deliveryId: string;
  /** When the sender says it sent the delivery. */
  readonly timestamp: Date | undefined;
  /** The request headers. */
  readonly headers: WebhookHeaders;
  /** The body exactly as received and verified. */
  readonly rawBody: Buffer;
  /** The other parts of a multipart delivery (Usersnap screenshots); `undefined` otherwise. */
  readonly attachments: readonly WebhookAttachment[] | undefined;
}

/** A verified request, as `@WebhookDelivery()` gives it to an application's own route. */
export interface VerifiedWebhookRequest {
  /** The configured source's name. */
  readonly source: string;
  /** The provider's name. */
  readonly provider: string;
  /** The route's tenant segment, where the route has one. */
  readonly tenant: string | undefined;
  /** The event type, where the sender has one. */
  readonly event: string | undefined;
  /** The delivery id. */
  readonly deliveryId: string;
  /** When the sender says it sent the delivery. */
  readonly timestamp: Date | undefined;
  /** The body exactly as received and verified. */
  readonly rawBody: Buffer;
}
