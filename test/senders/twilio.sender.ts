import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import { getExpectedTwilioSignature, validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const AUTH_TOKEN = '9f2c4e7a1b3d5f60718293a4b5c6d7e8';
const IDEMPOTENCY_TOKEN = 'f3b0c7de-5a41-4c2e-9d8b-1e6a0f4c2b97-7401839912345678901';
const SIGNATURE_HEADER = 'x-twilio-signature';

/** An incoming SMS as Twilio posts it (the text in UTF-8, with a `+` and an `&` to encode). */
export const TWILIO_SMS_PARAMS: Readonly<Record<string, string>> = {
  ToCountry: 'US',
  ToState: 'CA',
  SmsMessageSid: 'SM8f3c2a1b0d9e8f7a6b5c4d3e2f1a0b9c',
  NumMedia: '0',
  ToCity: 'SAN FRANCISCO',
  FromZip: '94103',
  SmsSid: 'SM8f3c2a1b0d9e8f7a6b5c4d3e2f1a0b9c',
  FromState: 'CA',
  SmsStatus: 'received',
  FromCity: 'SAN FRANCISCO',
  Body: 'Olá! Pedido #1042 chegou? 2+2 & obrigado',
  FromCountry: 'US',
  To: '+14155550100',
  MessagingServiceSid: 'MG2b4d6f8a0c2e4a6c8e0a2c4e6a8c0e2a',
  ToZip: '94105',
  NumSegments: '1',
  MessageSid: 'SM8f3c2a1b0d9e8f7a6b5c4d3e2f1a0b9c',
  AccountSid: 'AC1f2e3d4c5b6a79881726354453627180',
  From: '+14155550123',
  ApiVersion: '2010-04-01',
};

/** The form body Twilio sends for those fields (`application/x-www-form-urlencoded`, spaces as `+`). */
export const TWILIO_SMS_BODY = new URLSearchParams(TWILIO_SMS_PARAMS).toString();

/** A header's value, whatever case the delivery wrote its name in. */
function headerOf(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Twilio, signed by `twilio`'s `getExpectedTwilioSignature` and checked as its
 * `validateIncomingRequest` does: `validateRequestWithBody` when the URL has `bodySHA256`,
 * else `validateRequest` over the form parsed as Express's `urlencoded({ extended: false })` parses it.
 */
export const twilioSender: SenderFixture = {
  provider: 'twilio',
  secret: AUTH_TOKEN,
  signsUrl: true,
  signedBy: 'twilio getExpectedTwilioSignature',

  delivery({ url }) {
    return {
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'User-Agent': 'TwilioProxy/1.1',
        'X-Home-Region': 'us1',
        'I-Twilio-Idempotency-Token': IDEMPOTENCY_TOKEN,
        'X-Twilio-Signature': getExpectedTwilioSignature(AUTH_TOKEN, url, { ...TWILIO_SMS_PARAMS }),
      },
      body: Buffer.from(TWILIO_SMS_BODY, 'utf8'),
    };
  },

  expected: { deliveryId: IDEMPOTENCY_TOKEN, event: undefined },

  sdkAccepts({ delivery, url }) {
    const signature = headerOf(delivery, SIGNATURE_HEADER);
    // The SDK's middleware answers 400 without a signature: a refusal.
    if (!signature) return false;
    const body = delivery.body.toString('utf8');
    if (url.includes('bodySHA256')) return validateRequestWithBody(AUTH_TOKEN, signature, url, body);
    return validateRequest(AUTH_TOKEN, signature, url, { ...parseQueryString(body) });
  },

  floor({ delivery, url }) {
    const received = Buffer.from(headerOf(delivery, SIGNATURE_HEADER)!, 'base64');
    const mac = createHmac('sha1', AUTH_TOKEN).update(url);
    const fields = [...new URLSearchParams(delivery.body.toString('utf8'))].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    for (const [name, value] of fields) mac.update(name).update(value);
    const expected = mac.digest();
    return received.length === expected.length && timingSafeEqual(received, expected);
  },
};
