import crypto, { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../lib/index.js';
import { calendlyProvider } from '../../lib/providers/calendly.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const SECRET = 'Qm8Lr2Tz6Vb0Nx4Kc7Hs1Jd9Fg3Wp5YaE2uR6iO0pL4kJ8';
const SIGNATURE_HEADER = 'Calendly-Webhook-Signature';

/** An `invitee.created` event as Calendly posts it (compact JSON). */
const EVENT = JSON.stringify({
  created_at: '2024-06-12T14:03:27.000000Z',
  created_by: 'https://api.calendly.com/users/EBHAAFHDCAEQTSEZ',
  event: 'invitee.created',
  payload: {
    cancel_url: 'https://calendly.com/cancellations/7c1b6f0e-3f8a-4b1e-9d2c-5a4e8f1b2c3d',
    created_at: '2024-06-12T14:03:27.093117Z',
    email: 'zoe.kruger@example.com',
    event: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2',
    first_name: null,
    last_name: null,
    name: 'Zoë Krüger',
    new_invitee: null,
    old_invitee: null,
    questions_and_answers: [
      { answer: 'Onboarding, and the API', position: 0, question: 'What would you like to discuss?' },
    ],
    reschedule_url: 'https://calendly.com/reschedulings/7c1b6f0e-3f8a-4b1e-9d2c-5a4e8f1b2c3d',
    rescheduled: false,
    scheduled_event: {
      end_time: '2024-06-19T09:30:00.000000Z',
      event_type: 'https://api.calendly.com/event_types/GBGBDCAADAEDCRZ2',
      name: '30 Minute Meeting',
      start_time: '2024-06-19T09:00:00.000000Z',
      status: 'active',
      uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2',
    },
    status: 'active',
    text_reminder_number: null,
    timezone: 'Europe/Berlin',
    tracking: { utm_campaign: null, utm_source: null, utm_medium: null, utm_content: null, utm_term: null },
    updated_at: '2024-06-12T14:03:27.093117Z',
    uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/7c1b6f0e-3f8a-4b1e-9d2c-5a4e8f1b2c3d',
  },
});

/**
 * The verification code of Calendly's "Webhook Signatures" guide, as written there, with
 * `Date.now()` replaced by `now`. It signs `JSON.stringify(req.body)` (the parsed body written
 * again), which equals the bytes received only for compact JSON without escapes; the provider
 * hashes the bytes themselves. Returns `false` where the guide's code throws.
 */
export function calendlyDocumentedCheck(
  body: Buffer,
  calendlySignature: string,
  webhookSigningKey: string,
  now: Date,
): boolean {
  try {
    const reqBody: unknown = JSON.parse(body.toString('utf8'));
    const { t, signature } = calendlySignature.split(',').reduce(
      (acc, currentValue) => {
        const [key, value] = currentValue.split('=');
        if (key === 't') acc.t = value ?? '';
        if (key === 'v1') acc.signature = value ?? '';
        return acc;
      },
      { t: '', signature: '' },
    );
    if (!t || !signature) throw new Error('Invalid Signature');
    const data = t + '.' + JSON.stringify(reqBody);
    const expectedSignature = crypto.createHmac('sha256', webhookSigningKey).update(data, 'utf8').digest('hex');
    if (expectedSignature !== signature) throw new Error('Invalid Signature');
    const threeMinutes = 180000;
    const tolerance = threeMinutes;
    const timestampMilliseconds = Number(t) * 1000;
    if (timestampMilliseconds < now.getTime() - tolerance) {
      throw new Error("Invalid Signature. The signature's timestamp is outside of the tolerance zone.");
    }
    return true;
  } catch {
    return false;
  }
}

function signatureOf(delivery: WireDelivery): string {
  return delivery.headers[SIGNATURE_HEADER] ?? '';
}

/**
 * Calendly sends no delivery id: the library's is the digest of the body (the first 32 hex
 * characters of its SHA-256), the same for every delivery of this event, whatever its `t`.
 */
const DELIVERY_ID = createHash('sha256').update(EVENT).digest('hex').slice(0, 32);

/**
 * Calendly: no SDK. Signed by `signWebhook`; `sdkAccepts` runs the check of Calendly's
 * "Webhook Signatures" guide as written.
 */
export const calendlySender: SenderFixture = {
  provider: 'calendly',
  secret: SECRET,
  signedBy: '`signWebhook` (Calendly has no SDK; the check of its "Webhook Signatures" guide accepts it)',

  delivery({ now }) {
    const signed = signWebhook({ provider: calendlyProvider, secret: SECRET, payload: EVENT, timestamp: now });
    return {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Calendly Webhooks',
        [SIGNATURE_HEADER]: signed.headers['calendly-webhook-signature']!,
      },
      body: signed.body,
    };
  },

  expected: { deliveryId: DELIVERY_ID, event: 'invitee.created' },

  sdkAccepts: ({ delivery, now }) => calendlyDocumentedCheck(delivery.body, signatureOf(delivery), SECRET, now),

  floor({ delivery }) {
    // `t=<unix>,v1=<hex>`: the two entries in that order.
    const [t = '', v1 = ''] = signatureOf(delivery).split(',');
    const expected = createHmac('sha256', SECRET)
      .update(`${t.slice(2)}.`)
      .update(delivery.body)
      .digest();
    const received = Buffer.from(v1.slice(3), 'hex');
    return expected.length === received.length && timingSafeEqual(expected, received);
  },
};
