import { createHmac, timingSafeEqual } from 'node:crypto';
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import { signWebhook } from '../../lib/index.js';
import { linearProvider } from '../../lib/providers/linear.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'lin_wh_7d1f3a9c5e2b8f4a6c0e1d3b5a7f9c2e';
const DELIVERY_ID = '3f6a2c1e-8b4d-4e7a-9c5f-1d2e3f4a5b6c';

/**
 * An `Issue` `create` event as Linear posts it, without its `webhookTimestamp`: `signWebhook`
 * adds the send time, as Linear does, before `webhookId`'s closing brace.
 */
const ISSUE_CREATED = JSON.stringify({
  action: 'create',
  actor: { id: '2e6eea91-1111-4a2b-9486-acea0603064d', name: 'Jane Doe', email: 'jane@example.com', type: 'user' },
  createdAt: '2024-05-06T12:53:20.000Z',
  data: {
    id: '5b1a0e6c-2f3d-4c8e-9a7b-6d5e4f3a2b1c',
    createdAt: '2024-05-06T12:53:20.000Z',
    updatedAt: '2024-05-06T12:53:20.000Z',
    number: 1234,
    title: 'Checkout fails with a 500 on Safari',
    priority: 2,
    identifier: 'ENG-1234',
    teamId: '72b2a2dc-6f4f-4423-9d34-24b5bd10634a',
    stateId: '3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f',
    labelIds: [],
    state: { id: '3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f', color: '#e2e2e2', name: 'Todo', type: 'unstarted' },
    team: { id: '72b2a2dc-6f4f-4423-9d34-24b5bd10634a', key: 'ENG', name: 'Engineering' },
  },
  url: 'https://linear.app/acme/issue/ENG-1234/checkout-fails-with-a-500-on-safari',
  type: 'Issue',
  organizationId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
  webhookId: '0f1e2d3c-4b5a-4968-8776-655443322110',
});

function header(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** Runs `check` with `Date.now()` at `now`: the SDK's window reads the clock and takes no `now`. */
function at<T>(now: Date, check: () => T): T {
  const realNow = Date.now;
  Date.now = () => now.getTime();
  try {
    return check();
  } finally {
    Date.now = realNow;
  }
}

/**
 * Linear: `@linear/sdk` only verifies (`LinearWebhookClient.verify`), so the delivery is
 * signed by `signWebhook` and the SDK's verdict is `sdkAccepts`. Its window is 60 s of the
 * real clock, so it runs with `Date.now()` set to the suite's `now`.
 */
export const linearSender: SenderFixture = {
  provider: 'linear',
  secret: SECRET,
  signedBy: 'signWebhook (checked by @linear/sdk LinearWebhookClient.verify)',
  delivery({ now }) {
    const signed = signWebhook({
      provider: linearProvider,
      secret: SECRET,
      payload: ISSUE_CREATED,
      timestamp: now,
      id: DELIVERY_ID,
    });
    return { headers: signed.headers, body: signed.body };
  },
  expected: { deliveryId: DELIVERY_ID, event: 'Issue' },

  sdkAccepts({ delivery, now }) {
    const client = new LinearWebhookClient(SECRET);
    try {
      return at(now, () => client.verify(delivery.body, header(delivery, 'linear-signature') ?? ''));
    } catch {
      return false;
    }
  },

  floor({ delivery }) {
    const signature = Buffer.from(header(delivery, 'linear-signature') ?? '', 'hex');
    const expected = createHmac('sha256', SECRET).update(delivery.body).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  },
};
