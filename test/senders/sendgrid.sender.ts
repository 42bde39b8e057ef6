import { createHash, createPublicKey, verify } from 'node:crypto';
import sendgridEventWebhook from '@sendgrid/eventwebhook';
import { signWebhook } from '../../lib/index.js';
import { sendGridProvider } from '../../lib/providers/sendgrid.provider.js';
import type { SenderFixture, WireDelivery } from './sender-fixture.js';

const { EventWebhook } = sendgridEventWebhook;

/** A test account's key pair: the verification key as SendGrid shows it, the private key as PKCS#8. */
export const SENDGRID_VERIFICATION_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7DZ8Xl+UGbRnrU1ldrM+hL8EALNc01v2ix0Tv0PgJwF19CprUWxPgbC3NGa5UbpAs4vab5rKw9pWoOOwUrQozg==';
export const SENDGRID_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8wGzA7OwNOyIC/d4
WXDA41f4MtVS0qxBXsZS2+wmKYihRANCAATsNnxeX5QZtGetTWV2sz6EvwQAs1zT
W/aLHRO/Q+AnAXX0KmtRbE+BsLc0ZrlRukCzi9pvmsrD2lag47BStCjO
-----END PRIVATE KEY-----
`;
const PUBLIC_KEY_OBJECT = createPublicKey(SENDGRID_PRIVATE_KEY);

/** A batch of three events for one message, as the Event Webhook posts them. */
const EVENTS = [
  {
    email: 'jo\u00e3o@example.com',
    timestamp: 1718617792,
    'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
    event: 'processed',
    category: ['welcome'],
    sg_event_id: 'cHJvY2Vzc2VkLTQ4MDY4ODQyLUxSelhsX05IU3RPR2hRNGtvZlNtX0EtMA',
    sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
  },
  {
    email: 'jo\u00e3o@example.com',
    timestamp: 1718617795,
    'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
    event: 'delivered',
    category: ['welcome'],
    response: '250 2.0.0 OK 1718617795 d75ce93sf.64 - gsmtp',
    ip: '168.245.22.71',
    tls: 1,
    sg_event_id: 'ZGVsaXZlcmVkLTAtNDgwNjg4NDItTFJ6WGxfTkhTdE9HaFE0a29mU21fQS0w',
    sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
  },
  {
    email: 'jo\u00e3o@example.com',
    timestamp: 1718617861,
    event: 'open',
    sg_machine_open: false,
    useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
    ip: '203.0.113.9',
    sg_event_id: 'b3Blbi0wLTQ4MDY4ODQyLUxSelhsX05IU3RPR2hRNGtvZlNtX0EtMA',
    sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
  },
];

/**
 * The delivery id the library must give a SendGrid delivery, worked out here independently:
 * the first 32 hex characters of the SHA-256 of its body (not of the signature, which covers
 * the timestamp and is randomised).
 */
export function sendGridDeliveryId(delivery: WireDelivery): string {
  return createHash('sha256').update(delivery.body).digest('hex').slice(0, 32);
}

let lastDelivery: { delivery: WireDelivery; now: Date } | undefined;

/** Signed as SendGrid signs: ECDSA P-256 over the timestamp then the body, encoded as SendGrid posts a batch. */
export function sendGridDelivery(payload: unknown, now: Date): WireDelivery {
  const { headers, body } = signWebhook({
    provider: sendGridProvider,
    secret: SENDGRID_VERIFICATION_KEY,
    privateKey: SENDGRID_PRIVATE_KEY,
    timestamp: now,
    payload,
  });
  return { headers: { ...headers, 'user-agent': 'SendGrid Event API' }, body };
}

/** `EventWebhook.verifySignature(convertPublicKeyToECDSA(key), body, signature, timestamp)`, which checks no window. */
export function sendGridSdkAccepts(delivery: WireDelivery, verificationKey = SENDGRID_VERIFICATION_KEY): boolean {
  const eventWebhook = new EventWebhook();
  try {
    return eventWebhook.verifySignature(
      eventWebhook.convertPublicKeyToECDSA(verificationKey),
      delivery.body,
      delivery.headers['x-twilio-email-event-webhook-signature'] ?? '',
      delivery.headers['x-twilio-email-event-webhook-timestamp'] ?? '',
    );
  } catch {
    return false;
  }
}

/**
 * SendGrid posting a batch of events. `@sendgrid/eventwebhook` only verifies, so the
 * delivery is written by `signWebhook` with the private key and `verifySignature` judges it.
 */
export const sendGridSender: SenderFixture = {
  provider: 'sendgrid',
  secret: SENDGRID_VERIFICATION_KEY,
  privateKey: SENDGRID_PRIVATE_KEY,
  signedBy: 'signWebhook (sendGridProvider, P-256 private key), accepted by @sendgrid/eventwebhook verifySignature',
  delivery({ now }) {
    const delivery = sendGridDelivery(EVENTS, now);
    lastDelivery = { delivery, now };
    return delivery;
  },
  /**
   * The facts of the LAST delivery made: SendGrid sends no id, so it is a digest of the body
   * (the same for every delivery of these events); the timestamp is that of the last one. No
   * event type: the body is an array of events.
   */
  get expected() {
    if (!lastDelivery) throw new Error('sendGridSender.expected describes the last delivery: call delivery() first.');
    return {
      deliveryId: sendGridDeliveryId(lastDelivery.delivery),
      event: undefined,
      timestamp: new Date(Math.floor(lastDelivery.now.getTime() / 1000) * 1000),
    };
  },
  sdkAccepts: ({ delivery }) => sendGridSdkAccepts(delivery),
  /** One ECDSA P-256 / SHA-256 verification of the timestamp followed by the body. */
  floor({ delivery }) {
    const timestamp = Buffer.from(delivery.headers['x-twilio-email-event-webhook-timestamp'] ?? '', 'utf8');
    const signature = Buffer.from(delivery.headers['x-twilio-email-event-webhook-signature'] ?? '', 'base64');
    return verify(
      'sha256',
      Buffer.concat([timestamp, delivery.body]),
      { key: PUBLIC_KEY_OBJECT, dsaEncoding: 'der' },
      signature,
    );
  },
};
