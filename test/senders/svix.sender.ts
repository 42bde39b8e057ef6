import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'svix';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const MSG_ID = 'msg_2bmtbO5ZxR8XSKHfNHoxuj9bqxD';
/** An application's event as Svix delivers it: the body is the application's own JSON, with its `type`. */
const PAYLOAD =
  '{"type":"invoice.paid","timestamp":"2024-05-01T12:00:00.000Z","data":{"id":"inv_8Bc2Yq","customer":"cus_31Fd","amount_paid":4900,"currency":"eur","lines":[{"description":"Pro plan","quantity":1}]}}';

/**
 * The least node:crypto work to check a Svix-style delivery: one HMAC-SHA256 over
 * `<id>.<timestamp>.<body>` compared with the first `v1` entry. For the Svix, Clerk and
 * Resend fixtures.
 */
export function svixFloor(secret: string, delivery: WireDelivery): boolean {
  const { headers, body } = delivery;
  const signature = headers['svix-signature'] ?? '';
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${headers['svix-id']}.${headers['svix-timestamp']}.`)
    .update(body)
    .digest();
  const given = Buffer.from(signature.slice(signature.indexOf(',') + 1), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Seconds since the epoch, as the `svix-timestamp` header writes them. */
export function svixSeconds(now: Date): string {
  return String(Math.floor(now.getTime() / 1000));
}

/** Svix delivering an application's `invoice.paid` message, signed by the `svix` SDK itself. */
export const svixSender: SenderFixture = {
  provider: 'svix',
  secret: SECRET,
  signedBy: 'svix 1.99 Webhook.sign',
  delivery({ now }) {
    return {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Svix-Webhooks/1.63.1',
        'svix-id': MSG_ID,
        'svix-timestamp': svixSeconds(now),
        'svix-signature': new Webhook(SECRET).sign(MSG_ID, now, PAYLOAD),
      },
      body: Buffer.from(PAYLOAD, 'utf8'),
    };
  },
  // The timestamp is the `now` the delivery is made for (floored to seconds).
  expected: { deliveryId: MSG_ID, event: 'invoice.paid' },
  /** `Webhook.verify` checks its 5-minute window against the real clock, not `now`. */
  sdkAccepts({ delivery }) {
    try {
      new Webhook(SECRET).verify(delivery.body.toString('utf8'), delivery.headers);
      return true;
    } catch {
      return false;
    }
  },
  floor: ({ delivery }) => svixFloor(SECRET, delivery),
};
