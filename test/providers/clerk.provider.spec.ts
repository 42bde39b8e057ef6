import { describe, expect, it } from '@jest/globals';
import { verifyWebhook as clerkVerifyWebhook } from '@clerk/backend/webhooks';
import { signWebhook, verifyWebhook } from '../../lib/index.js';
import { clerkProvider } from '../../lib/providers/clerk.provider.js';
import { clerkSender } from '../senders/clerk.sender.js';
import { describeSvixFamily } from './svix-family.cases.js';

describeSvixFamily({ provider: clerkProvider, sender: clerkSender, sdk: '@clerk/backend verifyWebhook' });

describe("clerk: where Clerk's verifyWebhook differs", () => {
  const secret = clerkSender.secret as string;

  it('accepts the webhook-* names, which Clerk reads nowhere (its verifier takes svix-* only)', async () => {
    const now = new Date();
    const signed = signWebhook({ provider: clerkProvider, secret, timestamp: now, payload: '{"type":"user.deleted"}' });
    const renamed = Object.fromEntries(
      Object.entries(signed.headers).map(([name, value]) => [name.replace(/^svix-/, 'webhook-'), value]),
    );
    expect(verifyWebhook({ provider: clerkProvider, secret, headers: renamed, rawBody: signed.body, now }).event).toBe(
      'user.deleted',
    );
    const request = new Request('https://app.example.com/api/webhooks', {
      method: 'POST',
      headers: renamed,
      body: signed.body,
    });
    await expect(clerkVerifyWebhook(request, { signingSecret: secret })).rejects.toThrow(/svix-id/);
  });

  it("returns Clerk's event shape from the SDK for the fixture delivery", async () => {
    const delivery = await clerkSender.delivery({ url: 'https://app.example.com/api/webhooks', now: new Date() });
    const request = new Request('https://app.example.com/api/webhooks', {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    const event = await clerkVerifyWebhook(request, { signingSecret: secret });
    expect(event.type).toBe(clerkSender.expected.event);
  });
});
