import crypto, { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { typeformProvider } from '../../lib/providers/typeform.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = '6f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e';
const EVENT_ID = '01HXA4T1V6Q3W7N5YJ2M8K0RBC';

/** A `form_response` as Typeform posts it (the shape of its "Example webhook payload"). */
const FORM_RESPONSE = JSON.stringify({
  event_id: EVENT_ID,
  event_type: 'form_response',
  form_response: {
    form_id: 'lT4Z3j',
    token: 'a3a12ec67a1365927098a606107fac15',
    landed_at: '2024-05-06T12:50:02Z',
    submitted_at: '2024-05-06T12:53:20Z',
    hidden: { user_id: 'abc123456' },
    definition: {
      id: 'lT4Z3j',
      title: 'Webhooks example',
      fields: [
        { id: 'DlXFaesGBpoF', title: "What's your email?", type: 'email', ref: 'readable_ref_email', properties: {} },
        {
          id: 'SMEUb7VJz92Q',
          title: 'How likely are you to recommend us?',
          type: 'opinion_scale',
          ref: 'nps',
          properties: {},
        },
      ],
    },
    answers: [
      {
        type: 'email',
        email: 'laura@example.com',
        field: { id: 'DlXFaesGBpoF', type: 'email', ref: 'readable_ref_email' },
      },
      { type: 'number', number: 9, field: { id: 'SMEUb7VJz92Q', type: 'opinion_scale', ref: 'nps' } },
    ],
  },
});

function header(delivery: WireDelivery, name: string): string | undefined {
  return Object.entries(delivery.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The Node.js check of Typeform's "Secure your webhooks", as written (the secret passed in, not read from the environment). */
function verifySignature(secret: string, receivedSignature: string | undefined, payload: string): boolean {
  const hash = crypto.createHmac('sha256', secret).update(payload).digest('base64');
  return receivedSignature === `sha256=${hash}`;
}

/**
 * Typeform: no SDK, so the delivery is signed by `signWebhook` and `sdkAccepts` runs the
 * check of Typeform's documentation (`verifySignature(signature, request.body.toString())`).
 */
export const typeformSender: SenderFixture = {
  provider: 'typeform',
  secret: SECRET,
  signedBy: "signWebhook (checked by the Node.js check of Typeform's documentation)",
  delivery({ now }) {
    const signed = signWebhook({ provider: typeformProvider, secret: SECRET, payload: FORM_RESPONSE, timestamp: now });
    return { headers: signed.headers, body: signed.body };
  },
  expected: { deliveryId: EVENT_ID, event: 'form_response' },

  sdkAccepts: ({ delivery }) =>
    verifySignature(SECRET, header(delivery, 'typeform-signature'), delivery.body.toString()),

  floor({ delivery }) {
    const signature = Buffer.from((header(delivery, 'typeform-signature') ?? '').slice('sha256='.length), 'base64');
    const expected = createHmac('sha256', SECRET).update(delivery.body).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  },
};
