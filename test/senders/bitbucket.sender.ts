import { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { bitbucketProvider } from '../../lib/providers/bitbucket.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'bb-webhook-secret-Zk3q9XwT2mLp8vRb';
const REQUEST_UUID = '5c4f2b1e-7a3d-4e8f-9b60-1d2c3e4f5a6b';
const SIGNATURE_HEADER = 'x-hub-signature';

/** A Bitbucket Cloud `repo:push` (trimmed to the fields a handler reads; a UTF-8 display name). */
export const BITBUCKET_PUSH_BODY = JSON.stringify({
  push: {
    changes: [
      {
        old: {
          type: 'branch',
          name: 'main',
          target: { type: 'commit', hash: '8f2a1c9e3b7d4a6f0e5c2b1a9d8e7f6a5b4c3d2e' },
        },
        new: {
          type: 'branch',
          name: 'main',
          target: {
            type: 'commit',
            hash: 'b41d6e0a7c3f9e2d1a8b5c4f3e2d1c0b9a8f7e6d',
            message: 'Corrige a validação do formulário\n',
            author: { raw: 'Conceição Ramos <conceicao@example.com>', type: 'author' },
            date: '2024-05-01T11:58:21+00:00',
          },
        },
        created: false,
        forced: false,
        closed: false,
        truncated: false,
      },
    ],
  },
  repository: {
    type: 'repository',
    full_name: 'acme/billing-api',
    name: 'billing-api',
    uuid: '{8a1f3c5e-2b4d-4f6a-9c8e-0d1b2a3c4e5f}',
    is_private: true,
  },
  actor: {
    type: 'user',
    display_name: 'Conceição Ramos',
    uuid: '{1e2d3c4b-5a69-4788-96a5-b4c3d2e1f0a9}',
    account_id: '557058:9f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
  },
});

/** A header's value, whatever case the delivery wrote its name in. */
function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Bitbucket has no SDK that verifies: the delivery is what `signWebhook` writes, and
 * `sdkAccepts` is the check Bitbucket's documentation describes, written literally.
 */
export const bitbucketSender: SenderFixture = {
  provider: 'bitbucket',
  secret: SECRET,
  signedBy: "signWebhook, checked by Bitbucket's documented check (no SDK)",

  delivery() {
    const signed = signWebhook({
      provider: bitbucketProvider,
      secret: SECRET,
      id: REQUEST_UUID,
      event: 'repo:push',
      payload: Buffer.from(BITBUCKET_PUSH_BODY, 'utf8'),
    });
    return {
      headers: {
        ...signed.headers,
        'User-Agent': 'Bitbucket-Webhooks/2.0',
        'X-Hook-UUID': '{3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a}',
      },
      body: signed.body,
    };
  },

  expected: { deliveryId: REQUEST_UUID, event: 'repo:push' },

  sdkAccepts({ delivery }) {
    // "perform the HMAC algorithm on the received body with the secret as the key", then compare.
    const expected = `sha256=${createHmac('sha256', SECRET).update(delivery.body).digest('hex')}`;
    return headerOf(delivery, SIGNATURE_HEADER) === expected;
  },

  floor({ delivery }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!.slice('sha256='.length), 'hex');
    const expected = createHmac('sha256', SECRET).update(delivery.body).digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
