import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'svix';
import { verifyWebhook } from '../../lib/index.js';
import { svixProvider } from '../../lib/providers/svix.provider.js';
import { reasonOf } from '../core/rejections.js';
import { svixSender } from '../senders/svix.sender.js';
import { describeSvixFamily, named, SVIX_EXAMPLE } from './svix-family.cases.js';

describeSvixFamily({ provider: svixProvider, sender: svixSender, sdk: 'svix Webhook.sign / Webhook.verify' });

describe('svix: where the svix SDK differs', () => {
  const { secret, id, timestamp, body, signature } = SVIX_EXAMPLE;
  const now = new Date(Number(timestamp) * 1000);

  it("verifies the published example with the SDK's own verify too (its clock set to the example's)", () => {
    // The SDK reads Date.now(); the example is from 2021, so its window is checked at that time.
    const realNow = Date.now;
    Date.now = () => now.getTime();
    try {
      expect(new Webhook(secret).verify(body, named('svix', id, timestamp, signature))).toEqual({ test: 2432232314 });
    } finally {
      Date.now = realNow;
    }
  });

  it('refuses a mixed set of names that the SDK accepts (it picks each header separately)', () => {
    const mixed = { 'svix-id': id, 'svix-timestamp': timestamp, 'webhook-signature': signature };
    const realNow = Date.now;
    Date.now = () => now.getTime();
    try {
      expect(new Webhook(secret).verify(body, mixed)).toEqual({ test: 2432232314 });
    } finally {
      Date.now = realNow;
    }
    expect(
      reasonOf(() =>
        verifyWebhook({ provider: svixProvider, secret, headers: mixed, rawBody: Buffer.from(body), now }),
      ),
    ).toBe('missing_signature');
  });
});
