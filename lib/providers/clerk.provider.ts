import type { WebhookProvider } from '../core/webhook-provider.js';
import {
  STANDARD_WEBHOOKS_HEADERS,
  SVIX_HEADERS,
  standardWebhooksFamily,
  type StandardWebhooksKeys,
} from './standard-webhooks.provider.js';

/**
 * Clerk: delivers through Svix, so Standard Webhooks under Svix's header names.
 * `svix-signature` is a space-separated list of `v1,<base64 HMAC-SHA256 of
 * "<svix-id>.<svix-timestamp>.<body>">` entries keyed with the base64-decoded `whsec_`
 * signing secret. `svix-id` is the delivery id, `svix-timestamp` (seconds) feeds the 300 s
 * window (both ways, as the `standardwebhooks` code Clerk's verifier calls), and the body's
 * `type` (`user.created`, ...) is the event.
 *
 * Clerk's own `verifyWebhook` reads only the `svix-*` names. The `webhook-*` names are
 * accepted here too, as for the other Svix-delivered senders; a delivery is read with one
 * set of names whole (`svix-*` whenever any `svix-*` header is present), never a mix.
 */
export const clerkProvider: WebhookProvider<StandardWebhooksKeys> = standardWebhooksFamily({
  name: 'clerk',
  headerSets: [SVIX_HEADERS, STANDARD_WEBHOOKS_HEADERS],
  summary: {
    sender: 'Clerk',
    secret: 'webhook signing secret `whsec_<base64>`',
    signatureHeader: '`svix-signature`: space-separated `v1,<base64>` entries (`webhook-*` names accepted too)',
    signedContent: '`<svix-id>.<svix-timestamp>.<body>`',
    algorithm: 'HMAC-SHA256 keyed with the base64-decoded secret, base64',
    deliveryId: '`svix-id`',
    event: 'body `type`',
    timestamp: '`svix-timestamp`, seconds (300 s)',
    handshake: 'none',
    checkedAgainst:
      '`@clerk/backend` `verifyWebhook` (from `@clerk/backend/webhooks`) accepts what `signWebhook` writes',
  },
  examples: [
    {
      event: 'user.created',
      payload: {
        data: {
          created_at: 1654012591514,
          email_addresses: [{ email_address: 'example@example.org', id: 'idn_29w83yL7CwVlJXylYLxcslromF1' }],
          first_name: 'Example',
          id: 'user_29w83sxmDNGwOuEthce5gg56FcC',
          last_name: 'Example',
          object: 'user',
          primary_email_address_id: 'idn_29w83yL7CwVlJXylYLxcslromF1',
          updated_at: 1654012591835,
        },
        instance_id: 'ins_2RjLaSSIhmtZ6ZKZDqJ7g3jxQqM',
        object: 'event',
        timestamp: 1654012591835,
        type: 'user.created',
      },
    },
  ],
});
