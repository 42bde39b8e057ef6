import { verifyWebhook as clerkVerifyWebhook } from '@clerk/backend/webhooks';
import { signWebhook } from '../../lib/index.js';
import { clerkProvider } from '../../lib/providers/clerk.provider.js';
import type { SenderFixture } from './sender-fixture.js';
import { svixFloor } from './svix.sender.js';

const SECRET = 'whsec_i2fazTjotYPcMzVeDEvWNTlx7X6uricd';
const MSG_ID = 'msg_2fG7ucUq1BpJ2iZ6eN1NSaqDXpG';
/** Clerk's `user.created` event, as its docs show one. */
const PAYLOAD =
  '{"data":{"birthday":"","created_at":1654012591514,"email_addresses":[{"email_address":"example@example.org","id":"idn_29w83yL7CwVlJXylYLxcslromF1","linked_to":[],"object":"email_address","verification":{"status":"verified","strategy":"ticket"}}],"external_accounts":[],"external_id":"567772","first_name":"Example","gender":"","id":"user_29w83sxmDNGwOuEthce5gg56FcC","image_url":"https://img.clerk.com/xxxxxx","last_name":"Example","last_sign_in_at":1654012591514,"object":"user","password_enabled":true,"phone_numbers":[],"primary_email_address_id":"idn_29w83yL7CwVlJXylYLxcslromF1","primary_phone_number_id":null,"primary_web3_wallet_id":null,"private_metadata":{},"profile_image_url":"https://www.gravatar.com/avatar?d=mp","public_metadata":{},"two_factor_enabled":false,"unsafe_metadata":{},"updated_at":1654012591835,"username":null,"web3_wallets":[]},"event_attributes":{"http_request":{"client_ip":"0.0.0.0","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36"}},"instance_id":"ins_2RjLaSSIhmtZ6ZKZDqJ7g3jxQqM","object":"event","timestamp":1654012591835,"type":"user.created"}';

/**
 * Clerk's `user.created`, delivered through Svix. Clerk's SDK only verifies, so the
 * delivery is written by `signWebhook` and `@clerk/backend`'s `verifyWebhook` judges it.
 */
export const clerkSender: SenderFixture = {
  provider: 'clerk',
  secret: SECRET,
  signedBy: 'signWebhook (clerkProvider), accepted by @clerk/backend verifyWebhook',
  delivery({ now }) {
    const { headers, body } = signWebhook({
      provider: clerkProvider,
      secret: SECRET,
      id: MSG_ID,
      timestamp: now,
      payload: PAYLOAD,
    });
    return { headers: { ...headers, 'user-agent': 'Svix-Webhooks/1.63.1' }, body };
  },
  // The timestamp is the `now` the delivery is made for (floored to seconds).
  expected: { deliveryId: MSG_ID, event: 'user.created' },
  /** `verifyWebhook` takes a Fetch `Request`; its window is checked against the real clock, not `now`. */
  async sdkAccepts({ delivery, url }) {
    const request = new Request(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
    try {
      await clerkVerifyWebhook(request, { signingSecret: SECRET });
      return true;
    } catch {
      return false;
    }
  },
  floor: ({ delivery }) => svixFloor(SECRET, delivery),
};
