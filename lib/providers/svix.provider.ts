import type { WebhookProvider } from '../core/webhook-provider.js';
import {
  STANDARD_WEBHOOKS_HEADERS,
  SVIX_HEADERS,
  standardWebhooksFamily,
  type StandardWebhooksKeys,
} from './standard-webhooks.provider.js';

/**
 * Svix: Standard Webhooks under Svix's header names. `svix-signature` is a space-separated
 * list of `v1,<base64 HMAC-SHA256 of "<svix-id>.<svix-timestamp>.<body>">` entries keyed
 * with the base64-decoded `whsec_` secret; any entry matching any configured secret makes
 * the delivery valid. `svix-id` is the delivery id (the same on retries), `svix-timestamp`
 * (seconds) feeds the 300 s window, both ways as Svix's SDK; the body's `type` is the event.
 *
 * Svix white-labels the headers as `webhook-id`, `webhook-timestamp`, `webhook-signature`
 * for some accounts; those are accepted too. A delivery is read with one set of names
 * whole: `svix-*` when any `svix-*` header is present, else `webhook-*`. (Svix's SDK picks
 * each of the three headers separately, so it would check a `webhook-signature` against a
 * `svix-id`; we do not mix.)
 */
export const svixProvider: WebhookProvider<StandardWebhooksKeys> = standardWebhooksFamily({
  name: 'svix',
  headerSets: [SVIX_HEADERS, STANDARD_WEBHOOKS_HEADERS],
  summary: {
    sender: 'Svix',
    secret: 'endpoint signing secret `whsec_<base64>`',
    signatureHeader: '`svix-signature` (or `webhook-signature`): space-separated `v1,<base64>` entries',
    signedContent: '`<svix-id>.<svix-timestamp>.<body>`',
    algorithm: 'HMAC-SHA256 keyed with the base64-decoded secret, base64',
    deliveryId: '`svix-id` (or `webhook-id`)',
    event: 'body `type`',
    timestamp: '`svix-timestamp` (or `webhook-timestamp`), seconds (300 s)',
    handshake: 'none',
    checkedAgainst:
      "`svix` 1.99 `Webhook.sign` and `Webhook.verify`, both directions; the worked example of Svix's docs (Verifying Webhooks Manually)",
  },
  examples: [
    {
      event: 'invoice.paid',
      // The body is the application's own JSON, with its `type`.
      payload: {
        type: 'invoice.paid',
        timestamp: '2024-05-01T12:00:00.000Z',
        data: { id: 'inv_8Bc2Yq', customer: 'cus_31Fd', amount_paid: 4900, currency: 'eur' },
      },
    },
  ],
});
