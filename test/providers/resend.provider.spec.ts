import { describe, expect, it } from '@jest/globals';
import { Resend } from 'resend';
import { signWebhook } from '../../lib/index.js';
import { resendProvider } from '../../lib/providers/resend.provider.js';
import { resendSender } from '../senders/resend.sender.js';
import { describeSvixFamily } from './svix-family.cases.js';

describeSvixFamily({ provider: resendProvider, sender: resendSender, sdk: 'resend webhooks.verify' });

describe("resend: Resend's webhooks.verify", () => {
  it('returns the parsed event for what signWebhook writes', () => {
    const secret = resendSender.secret as string;
    const payload = '{"type":"email.bounced","created_at":"2024-11-22T23:41:12.126Z","data":{"email_id":"e_1"}}';
    const signed = signWebhook({ provider: resendProvider, secret, timestamp: new Date(), payload });
    const event = new Resend('re_test_key').webhooks.verify({
      payload: signed.body.toString('utf8'),
      headers: {
        id: signed.headers['svix-id']!,
        timestamp: signed.headers['svix-timestamp']!,
        signature: signed.headers['svix-signature']!,
      },
      webhookSecret: secret,
    });
    expect(event.type).toBe('email.bounced');
  });
});
