import { createHmac, timingSafeEqual } from 'node:crypto';
import { verifySlackRequest } from '@slack/bolt';
import { signWebhook } from '../../lib/index.js';
import { slackProvider } from '../../lib/providers/slack.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'e3b8c1f07d2a4c6b9f1e5d8a7c0b2f46';

/** An Events API `app_mention`, as Slack posts it (compact JSON, `event_id` kept by retries). */
const APP_MENTION = JSON.stringify({
  token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
  team_id: 'T061EG9R6',
  api_app_id: 'A0PNCHHK2',
  event: {
    type: 'app_mention',
    user: 'U061F7AUR',
    text: '<@U0LAN0Z89> is it everything a river should be?',
    ts: '1715000000.000200',
    channel: 'C0LAN2Q65',
    event_ts: '1715000000.000200',
  },
  type: 'event_callback',
  event_id: 'Ev0PV52K25',
  event_time: 1715000000,
  authorizations: [
    { enterprise_id: null, team_id: 'T061EG9R6', user_id: 'U0LAN0Z89', is_bot: true, is_enterprise_install: false },
  ],
  is_ext_shared_channel: false,
  event_context: '4-eyJldCI6ImFwcF9tZW50aW9uIiwidGlkIjoiVDA2MUVHOVI2IiwiYWlkIjoiQTBQTkNISEsyIn0',
});

/** Slack's own `url_verification` example. */
const CHALLENGE = '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P';
const URL_VERIFICATION = JSON.stringify({
  token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
  challenge: CHALLENGE,
  type: 'url_verification',
});

function signed(body: string, now: Date): WireDelivery {
  const { headers, body: bytes } = signWebhook({
    provider: slackProvider,
    secret: SECRET,
    payload: body,
    timestamp: now,
  });
  return { headers, body: bytes };
}

function header(delivery: WireDelivery, name: string): string | undefined {
  const entry = Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

/**
 * Slack: `@slack/bolt` only verifies (`verifySlackRequest`), so the delivery is signed by
 * `signWebhook` and Bolt's verdict is `sdkAccepts`.
 */
export const slackSender: SenderFixture = {
  provider: 'slack',
  secret: SECRET,
  signedBy: 'signWebhook (checked by @slack/bolt verifySlackRequest)',
  delivery: ({ now }) => signed(APP_MENTION, now),
  expected: { deliveryId: 'Ev0PV52K25', event: 'app_mention' },

  sdkAccepts({ delivery, now }) {
    try {
      verifySlackRequest({
        signingSecret: SECRET,
        body: delivery.body.toString('utf8'),
        headers: {
          'x-slack-signature': header(delivery, 'x-slack-signature') ?? '',
          // As Bolt's HTTP receiver passes it: the header through Number().
          'x-slack-request-timestamp': Number(header(delivery, 'x-slack-request-timestamp')),
        },
        nowMilliseconds: now.getTime(),
      });
      return true;
    } catch {
      return false;
    }
  },

  handshakes: [
    {
      name: 'url_verification',
      delivery: ({ now }) => signed(URL_VERIFICATION, now),
      expected: { status: 200, contentType: 'text/plain', body: CHALLENGE },
    },
  ],

  floor({ delivery }) {
    const signature = Buffer.from((header(delivery, 'x-slack-signature') ?? '').slice(3), 'hex');
    const expected = createHmac('sha256', SECRET)
      .update(`v0:${header(delivery, 'x-slack-request-timestamp')}:`)
      .update(delivery.body)
      .digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  },
};
