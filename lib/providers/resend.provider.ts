import type { WebhookProvider } from '../core/webhook-provider.js';
import {
  STANDARD_WEBHOOKS_HEADERS,
  SVIX_HEADERS,
  standardWebhooksFamily,
  type StandardWebhooksKeys,
} from './standard-webhooks.provider.js';

/**
 * Resend: delivers through Svix, so Standard Webhooks under Svix's header names.
 * `svix-signature` is a space-separated list of `v1,<base64 HMAC-SHA256 of
 * "<svix-id>.<svix-timestamp>.<body>">` entries keyed with the base64-decoded `whsec_`
 * signing secret. `svix-id` is the delivery id, `svix-timestamp` (seconds) feeds the 300 s
 * window (both ways, as the `standardwebhooks` code Resend's SDK calls), and the body's
 * `type` (`email.delivered`, ...) is the event.
 *
 * Resend's `webhooks.verify` takes the three values from the caller (its docs read the
 * `svix-*` headers). The `webhook-*` names are accepted here too; a delivery is read with
 * one set of names whole (`svix-*` whenever any `svix-*` header is present), never a mix.
 */
export const resendProvider: WebhookProvider<StandardWebhooksKeys> = standardWebhooksFamily({
  name: 'resend',
  headerSets: [SVIX_HEADERS, STANDARD_WEBHOOKS_HEADERS],
  summary: {
    sender: 'Resend',
    secret: 'webhook signing secret `whsec_<base64>`',
    signatureHeader: '`svix-signature`: space-separated `v1,<base64>` entries (`webhook-*` names accepted too)',
    signedContent: '`<svix-id>.<svix-timestamp>.<body>`',
    algorithm: 'HMAC-SHA256 keyed with the base64-decoded secret, base64',
    deliveryId: '`svix-id`',
    event: 'body `type`',
    timestamp: '`svix-timestamp`, seconds (300 s)',
    handshake: 'none',
    checkedAgainst: '`resend` `new Resend(key).webhooks.verify` accepts what `signWebhook` writes',
  },
  examples: [
    {
      event: 'email.delivered',
      payload: {
        type: 'email.delivered',
        created_at: '2024-11-22T23:41:12.126Z',
        data: {
          created_at: '2024-11-22T23:41:11.894719+00:00',
          email_id: '56761188-7520-42d8-8898-ff6fc54ce618',
          from: 'Acme <onboarding@resend.dev>',
          to: ['delivered@resend.dev'],
          subject: 'Sending this example',
        },
      },
    },
  ],
});
