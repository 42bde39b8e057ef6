import { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { intercomProvider } from '../../lib/providers/intercom.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'ic-client-secret-7b3e9d21-4f6a-4c8e-a1d2-5e6f7a8b9c0d';
const NOTIFICATION_ID = 'notif_3f1b8a2c-6d4e-4f9a-b7c1-2e3d4f5a6b7c';
const SIGNATURE_HEADER = 'x-hub-signature';

/** A `conversation.user.created` notification as Intercom posts it (trimmed; a UTF-8 name). */
export const INTERCOM_NOTIFICATION_BODY = JSON.stringify({
  type: 'notification_event',
  app_id: 'a86dr8yl',
  data: {
    type: 'notification_event_data',
    item: {
      type: 'conversation',
      id: '147',
      created_at: 1714564790,
      updated_at: 1714564790,
      state: 'open',
      source: {
        type: 'conversation',
        delivered_as: 'customer_initiated',
        body: '<p>Olá! A fatura de abril não chegou.</p>',
        author: { type: 'user', id: '662a1f0e9c3b2a0012d4e5f6', name: 'Inês Carvalho', email: 'ines@example.com' },
      },
      contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: '662a1f0e9c3b2a0012d4e5f6' }] },
    },
  },
  links: {},
  id: NOTIFICATION_ID,
  topic: 'conversation.user.created',
  delivery_status: 'pending',
  delivery_attempts: 1,
  delivered_at: 0,
  first_sent_at: 1714564800,
  created_at: 1714564800,
  self: null,
});

/** A header's value, whatever case the delivery wrote its name in. */
function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Intercom has no SDK that verifies: the delivery is what `signWebhook` writes, and
 * `sdkAccepts` is the check Intercom's "Signed notifications" documents, written literally.
 */
export const intercomSender: SenderFixture = {
  provider: 'intercom',
  secret: SECRET,
  signedBy: "signWebhook, checked by Intercom's documented check (no SDK)",

  delivery() {
    const signed = signWebhook({
      provider: intercomProvider,
      secret: SECRET,
      payload: Buffer.from(INTERCOM_NOTIFICATION_BODY, 'utf8'),
    });
    return {
      headers: { ...signed.headers, 'User-Agent': 'intercom-parrot-service-client/1.0', Accept: 'application/json' },
      body: signed.body,
    };
  },

  expected: { deliveryId: NOTIFICATION_ID, event: 'conversation.user.created' },

  sdkAccepts({ delivery }) {
    // "X-Hub-Signature ... starts with the string sha1= followed by the signature": the hex HMAC-SHA1 of the body.
    const expected = `sha1=${createHmac('sha1', SECRET).update(delivery.body).digest('hex')}`;
    return headerOf(delivery, SIGNATURE_HEADER) === expected;
  },

  floor({ delivery }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!.slice('sha1='.length), 'hex');
    const expected = createHmac('sha1', SECRET).update(delivery.body).digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
