import { createPublicKey, sign as signMessage, verify as verifyMessage, type KeyObject } from 'node:crypto';
import { bodyDigestId, decodeBase64 } from '../core/crypto.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import {
  providerCannot,
  secretRequired,
  signatureMalformed,
  signatureMismatch,
} from '../core/errors/webhook.messages.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { signingKeyOf } from '../core/asymmetric-keys.js';

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
const PEM_PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----';
const SCALAR_BYTES = 32;

/** The verification keys (several while SendGrid's key is being replaced). */
interface SendGridKeys {
  readonly publicKeys: readonly KeyObject[];
}

/**
 * SendGrid (Twilio SendGrid Event Webhook, signed): `X-Twilio-Email-Event-Webhook-Signature`
 * is the base64 DER ECDSA P-256 / SHA-256 signature of the
 * `X-Twilio-Email-Event-Webhook-Timestamp` value (epoch seconds) immediately followed by
 * the raw body. The secret is the verification key as SendGrid shows it: base64 of the DER
 * SubjectPublicKeyInfo (a `-----BEGIN PUBLIC KEY-----` PEM is taken too, as SendGrid's SDK
 * does); `sign` needs the private key (`privateKey`).
 *
 * The body is an array of events, so there is no one event type; and no delivery id, so a
 * digest of the body stands in, worked out when first read. Not the signature's: it covers
 * the timestamp, so it changes when SendGrid signs a retry again, and an ECDSA signature
 * stays valid with `s` replaced by `n - s` (that twin has the same body, so it is a repeat).
 * Distinct batches never share a body: every event carries its own `sg_event_id`.
 *
 * `@sendgrid/eventwebhook` checks no timestamp window: the 300 s window, both ways, is
 * this library's choice.
 */
export const sendGridProvider: WebhookProvider<SendGridKeys> = {
  name: 'sendgrid',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [TIMESTAMP_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'SendGrid',
    secret: 'verification key: base64 of the DER SubjectPublicKeyInfo of a P-256 key; signing takes the private key',
    signatureHeader: '`X-Twilio-Email-Event-Webhook-Signature` (base64 DER ECDSA)',
    signedContent: '`<X-Twilio-Email-Event-Webhook-Timestamp><body>`',
    algorithm: 'ECDSA P-256 with SHA-256, base64 DER',
    deliveryId: 'digest of the body (SendGrid sends no id; the signature changes when a retry is signed again)',
    event: 'none (the body is an array of events)',
    timestamp:
      "`X-Twilio-Email-Event-Webhook-Timestamp`, seconds (300 s; the library's choice, SendGrid's SDK checks none)",
    handshake: 'none',
    checkedAgainst:
      "`@sendgrid/eventwebhook` `EventWebhook.verifySignature` (with `convertPublicKeyToECDSA`) accepts what `signWebhook` writes; the SDK's own two test vectors",
  },
  examples: [
    {
      event: undefined,
      // A batch of events for one message (`encodePayload` writes one per line, as SendGrid does).
      payload: [
        {
          email: 'joao@example.com',
          timestamp: 1718617792,
          'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
          event: 'processed',
          sg_event_id: 'cHJvY2Vzc2VkLTQ4MDY4ODQyLUxSelhsX05IU3RPR2hRNGtvZlNtX0EtMA',
          sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
        },
        {
          email: 'joao@example.com',
          timestamp: 1718617795,
          'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
          event: 'delivered',
          response: '250 2.0.0 OK 1718617795 d75ce93sf.64 - gsmtp',
          sg_event_id: 'ZGVsaXZlcmVkLTAtNDgwNjg4NDItTFJ6WGxfTkhTdE9HaFE0a29mU21fQS0w',
          sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
        },
      ],
    },
  ],

  prepareKeys({ secrets }) {
    if (secrets.length === 0) throw new WebhookConfigurationError(secretRequired('sendgrid'));
    return { publicKeys: secrets.map(publicKeyOf) };
  },

  verify(delivery, keys, policy) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    const signature = decodeBase64(received);
    const scalars = signature && derScalars(signature);
    if (!signature || !scalars) {
      throw new WebhookVerificationError(
        'malformed_signature',
        signatureMalformed(SIGNATURE_HEADER, 'base64 DER', 'ecdsa'),
      );
    }
    const timestamp = parseEpochSeconds(timestampText, TIMESTAMP_HEADER);
    assertWithinWindow(timestamp, policy);
    // One-shot: node:crypto's verify takes the message whole, so the timestamp and body are joined once.
    const message = Buffer.concat([Buffer.from(timestampText, 'utf8'), delivery.rawBody]);
    const matches = (key: KeyObject) => verifyMessage('sha256', message, { key, dsaEncoding: 'der' }, signature);
    if (!keys.publicKeys.some(matches)) {
      throw new WebhookVerificationError('invalid_signature', signatureMismatch(SIGNATURE_HEADER));
    }
    return lazyVerifiedWebhook(BODY_ID, { delivery, id: undefined }, { event: undefined, timestamp });
  },

  parse: parseWebhookBody,

  /** As SendGrid posts a batch: one event per line, `,\r\n` between events and `\r\n` at the end. */
  encodePayload(payload) {
    const text = Array.isArray(payload)
      ? `[${payload.map((event) => JSON.stringify(event)).join(',\r\n')}]`
      : JSON.stringify(payload);
    return Buffer.from(`${text}\r\n`, 'utf8');
  },

  sign(input) {
    const key = signingKeyOf(
      'sendgrid',
      input.privateKey,
      'ec',
      'a P-256 (prime256v1) private key',
      (candidate) => candidate.asymmetricKeyDetails?.namedCurve === 'prime256v1',
    );
    const timestamp = String(Math.floor(input.timestamp.getTime() / 1000));
    const message = Buffer.concat([Buffer.from(timestamp, 'utf8'), input.payload]);
    const signature = signMessage('sha256', message, { key, dsaEncoding: 'der' });
    return {
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature.toString('base64'),
        [TIMESTAMP_HEADER]: timestamp,
      },
      body: input.payload,
    };
  },
};

/**
 * The verification key as SendGrid shows it (base64 DER SPKI) or as a public-key PEM,
 * which `EventWebhook.convertPublicKeyToECDSA` also reads. Only P-256: the SDK's library
 * would take secp256k1 too, which SendGrid does not use.
 */
function publicKeyOf(secret: string): KeyObject {
  const refuse = () =>
    new WebhookConfigurationError(
      providerCannot(
        'sendgrid',
        'takes the verification key as SendGrid shows it: base64 of a P-256 public key (DER SPKI)',
      ),
    );
  let key: KeyObject;
  try {
    if (secret.startsWith(PEM_PUBLIC_KEY)) {
      key = createPublicKey(secret);
    } else {
      const der = decodeBase64(secret);
      if (!der) throw refuse();
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    }
  } catch {
    throw refuse();
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw refuse();
  return key;
}

/**
 * `r` and `s` of a DER `SEQUENCE { INTEGER r, INTEGER s }` of P-256 size, or `undefined`
 * when the bytes are not one (a malformed signature, refused before any key is tried).
 */
function derScalars(der: Buffer): { r: Buffer; s: Buffer } | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const r = derInteger(der, 2);
  const s = r && derInteger(der, r.end);
  if (!r || !s || s.end !== der.length) return undefined;
  return { r: r.value, s: s.value };
}

function derInteger(der: Buffer, offset: number): { value: Buffer; end: number } | undefined {
  const length = der[offset + 1];
  if (der[offset] !== 0x02 || length === undefined || length < 1 || length > SCALAR_BYTES + 1) return undefined;
  const end = offset + 2 + length;
  if (end > der.length) return undefined;
  return { value: der.subarray(offset + 2, end), end };
}

/** The id: the body's digest, hashed once, when first read. */
const BODY_ID: LazyWebhookFields<{ readonly delivery: IncomingWebhook; id: string | undefined }> = {
  deliveryId: (state) => (state.id ??= bodyDigestId(state.delivery.rawBody)),
};
