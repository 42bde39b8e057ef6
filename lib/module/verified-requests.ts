import type { IncomingWebhook } from '../core/incoming-webhook.js';
import type { VerifiedWebhook } from '../core/webhook-provider.js';
import type { WebhookSource } from './webhook-sources.js';

/** A delivery the guard has proven authentic, waiting for its route to handle it. */
export interface VerifiedDelivery {
  readonly source: WebhookSource;
  readonly delivery: IncomingWebhook;
  readonly verified: VerifiedWebhook;
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
