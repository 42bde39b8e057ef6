import { Resend } from 'resend';
import { signWebhook } from '../../lib/index.js';
import { resendProvider } from '../../lib/providers/resend.provider.js';
import type { SenderFixture } from './sender-fixture.js';
import { svixFloor } from './svix.sender.js';

const SECRET = 'whsec_pV7q0sGCkOe0xBmyeLfNmtnrV4xq2yJ3';
const MSG_ID = 'msg_2pQ8cJ1Vy3zkzyBDBuWc0HzdNnK';
/** Resend's `email.delivered` event, as its docs show one. */
const PAYLOAD =
  '{"type":"email.delivered","created_at":"2024-11-22T23:41:12.126Z","data":{"broadcast_id":"8b146471-e88e-4322-86af-016cd36fd216","created_at":"2024-11-22T23:41:11.894719+00:00","email_id":"56761188-7520-42d8-8898-ff6fc54ce618","from":"Acme <onboarding@resend.dev>","to":["delivered@resend.dev"],"subject":"Sending this example","tags":{"category":"confirm_email"}}}';

/**
 * Resend's `email.delivered`, delivered through Svix. Resend's SDK only verifies, so the
 * delivery is written by `signWebhook` and `resend.webhooks.verify` judges it.
 */
export const resendSender: SenderFixture = {
  provider: 'resend',
  secret: SECRET,
  signedBy: 'signWebhook (resendProvider), accepted by resend webhooks.verify',
  delivery({ now }) {
    const { headers, body } = signWebhook({
      provider: resendProvider,
      secret: SECRET,
      id: MSG_ID,
      timestamp: now,
      payload: PAYLOAD,
    });
    return { headers: { ...headers, 'user-agent': 'Svix-Webhooks/1.63.1' }, body };
  },
  // The timestamp is the `now` the delivery is made for (floored to seconds).
  expected: { deliveryId: MSG_ID, event: 'email.delivered' },
  /**
   * As Resend's docs call it: the `svix-*` headers passed as `id`, `timestamp`, `signature`.
   * Its window is checked against the real clock, not `now`.
   */
  sdkAccepts({ delivery }) {
    const header = (name: string) => delivery.headers[name] ?? '';
    try {
      new Resend('re_test_key').webhooks.verify({
        payload: delivery.body.toString('utf8'),
        headers: { id: header('svix-id'), timestamp: header('svix-timestamp'), signature: header('svix-signature') },
        webhookSecret: SECRET,
      });
      return true;
    } catch {
      return false;
    }
  },
  floor: ({ delivery }) => svixFloor(SECRET, delivery),
};
