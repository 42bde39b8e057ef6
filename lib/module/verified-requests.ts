import type { IncomingWebhook } from '../core/incoming-webhook.js';
import type { VerifiedWebhook } from '../core/webhook-provider.js';
import type { RejectionContext } from './webhook-rejections.service.js';
import type { WebhookSource } from './webhook-sources.js';

/** A delivery the guard has proven authentic, waiting for its route to handle it. */
export interface VerifiedDelivery {
  readonly source: WebhookSource;
  /** The route's tenant segment, if any. */
  readonly tenant: string | undefined;
  readonly delivery: IncomingWebhook;
  readonly verified: VerifiedWebhook;
  /** How long resolving the secret and verifying took, in milliseconds. */
  readonly verifyMs?: number;
}

// Keyed by the request object itself, so nothing is written onto the platform's request.
const verifiedByRequest = new WeakMap<object, VerifiedDelivery>();

/** Records what the guard proved about a request. */
export function rememberVerified(request: object, delivery: VerifiedDelivery): void {
  verifiedByRequest.set(request, delivery);
}

/** What the guard proved about a request, if it ran. */
export function verifiedOf(request: object): VerifiedDelivery | undefined {
  return verifiedByRequest.get(request);
}

/** What a rejection after verification knows of its delivery. */
export function rejectionContextOf({
  source,
  tenant,
  delivery,
  verified,
  verifyMs,
}: VerifiedDelivery): RejectionContext {
  return {
    source: source.name,
    tenant,
    deliveryId: verified.deliveryId,
    event: verified.event,
    headers: delivery.headers.raw,
    sensitiveHeaders: source.provider.sensitiveHeaders,
    rawBody: delivery.rawBody,
    verifyMs,
  };
}
