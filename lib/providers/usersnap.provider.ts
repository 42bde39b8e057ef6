import { hmac, signatureDigestId } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { attachmentFields, buildMultipart, parseMultipart } from '../core/multipart.js';
import { assertWithinWindow, parseEpochTimestamp } from '../core/timestamp.js';
import { mediaTypeOf, parseWebhookBody, toAttachment, type ParsedWebhookBody } from '../core/webhook-body.js';
import { WebhookPayloadError, WebhookVerificationError } from '../core/errors/index.js';
import { headerMalformed, multipartPartMissing, multipartPartNotJson } from '../core/errors/webhook.messages.js';
import type { ProviderSignInput, SignedWebhook, VerifiedWebhook, WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-usersnap-signature';
const TIMESTAMP_HEADER = 'x-usersnap-timestamp';
const FEEDBACK_PART = 'feedback';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
const TIMESTAMP_BYTES = 32;
const MAX_TIMESTAMP = (1n << BigInt(TIMESTAMP_BYTES * 8)) - 1n;

/**
 * Usersnap: `X-Usersnap-Signature` is the hex HMAC-SHA256 of the raw body followed by
 * the `X-Usersnap-Timestamp` value as an unsigned 32-byte little-endian integer.
 * Deliveries are multipart: the `feedback` part is the payload, other parts are
 * attachments. Usersnap sends no delivery id, so a digest of the signature stands in.
 */
export const usersnapProvider: WebhookProvider<Buffer[]> = {
  name: 'usersnap',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [TIMESTAMP_HEADER],
  methods: ['POST'],
  contentType: 'multipart/form-data',
  summary: {
    sender: 'Usersnap',
    secret: 'project security token',
    signatureHeader: '`X-Usersnap-Signature` (hex)',
    signedContent: 'body, then `X-Usersnap-Timestamp` as an unsigned 32-byte little-endian integer',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'digest of the signature',
    event: 'none',
    timestamp: '`X-Usersnap-Timestamp`, ms (300 s)',
    handshake: 'none',
    checkedAgainst: "Usersnap's webhook documentation (the 32-byte little-endian timestamp)",
  },
  examples: [
    {
      event: undefined,
      payload: {
        feedback_number: 1000,
        link: 'https://app.usersnap.com/l/feedback/45a5c97d-2a8f-46c0-90b6-d6089192b161',
        client: { url: 'https://app.usersnap.com/', screen_width: 1200, screen_height: 1200, client: 'Chrome' },
        comment: { text: 'This example feedback will show if your integration setup is correct' },
        fields: [
          { order: 0, label: 'Title', boolean_value: null, text_value: 'Sample feedback', value: 'Sample feedback' },
        ],
        rating: { value: 1 },
        state: { identifier: 'open' },
        visitor: { email: 'visitor@example.com' },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'usersnap'),

  verify(delivery, keys, policy): VerifiedWebhook {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    const timestampBytes = encodeTimestamp(timestampText);
    const timestamp = parseEpochTimestamp(timestampText, TIMESTAMP_HEADER);
    assertWithinWindow(timestamp, policy);
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody, timestampBytes]);
    return { deliveryId: signatureDigestId(signature), event: undefined, timestamp };
  },

  async parse(delivery: IncomingWebhook): Promise<ParsedWebhookBody> {
    if (mediaTypeOf(delivery) !== 'multipart/form-data') return parseWebhookBody(delivery);
    const parts = await parseMultipart(delivery.rawBody, String(delivery.headers.get('content-type')));
    const feedback = parts.find((part) => part.name === FEEDBACK_PART);
    if (!feedback) {
      throw new WebhookPayloadError('unparseable_payload', multipartPartMissing(FEEDBACK_PART));
    }
    return {
      payload: parseFeedback(feedback.data),
      attachments: parts.filter((part) => part !== feedback).map(toAttachment),
    };
  },

  sign(input: ProviderSignInput, keys): SignedWebhook {
    const { body, contentType } = buildMultipart([
      { name: FEEDBACK_PART, value: input.payload },
      ...attachmentFields(input.attachments ?? []),
    ]);
    const timestamp = String(input.timestamp.getTime());
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'usersnap'), body, encodeTimestamp(timestamp));
    return {
      headers: {
        'content-type': contentType,
        [SIGNATURE_HEADER]: signature.toString('hex'),
        [TIMESTAMP_HEADER]: timestamp,
      },
      body,
    };
  },
};

/** The timestamp header as the 32 little-endian bytes that are signed. */
function encodeTimestamp(text: string): Buffer {
  if (!/^\d+$/.test(text)) {
    throw new WebhookVerificationError(
      'malformed_timestamp',
      headerMalformed(TIMESTAMP_HEADER, 'is not a non-negative integer'),
    );
  }
  let value = BigInt(text);
  if (value > MAX_TIMESTAMP) {
    throw new WebhookVerificationError(
      'malformed_timestamp',
      headerMalformed(TIMESTAMP_HEADER, 'does not fit in 32 bytes'),
    );
  }
  const bytes = Buffer.alloc(TIMESTAMP_BYTES);
  for (let index = 0; value > 0n; index += 1, value >>= 8n) bytes[index] = Number(value & 0xffn);
  return bytes;
}

function parseFeedback(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    throw new WebhookPayloadError('unparseable_payload', multipartPartNotJson(FEEDBACK_PART));
  }
}
