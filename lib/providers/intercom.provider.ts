import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { algorithmRefused, headerMalformed } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-hub-signature';
/** Intercom signs with SHA-1 and nothing else; this preset is the only place that accepts it for this header. */
const ALGORITHM = 'sha1';
const SCHEME: HmacScheme = { algorithm: ALGORITHM, encoding: 'hex' };
/** `<algorithm>=<signature>`: the name before `=` says which HMAC it is. */
const NAMED_SIGNATURE = /^([A-Za-z0-9-]{1,16})=(.*)$/s;

/**
 * Intercom: `X-Hub-Signature` is `sha1=` followed by the lowercase hex HMAC-SHA1 of the raw
 * body under the app's client secret. Another algorithm name is refused as
 * `unsupported_algorithm`. The notification's `id` is the delivery id (a notification
 * without one, such as the `ping` sent when a subscription is saved, falls back to a
 * digest of the signature) and its `topic` the event; both are read from the body only
 * when asked for. No timestamp is signed apart from the body's own fields, so there is no
 * replay window.
 */
export const intercomProvider: WebhookProvider<Buffer[]> = {
  name: 'intercom',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Intercom',
    secret: "app's client secret",
    signatureHeader: '`X-Hub-Signature: sha1=<hex>`',
    signedContent: 'body',
    algorithm: 'HMAC-SHA1, hex',
    deliveryId: 'body `id`, else digest',
    event: 'body `topic` (`ping` is an ordinary event)',
    timestamp: 'none (no replay window)',
    handshake: 'none',
    checkedAgainst:
      "Intercom's signed-notifications documentation (no SDK verifies): its check written as documented, both directions",
  },
  examples: [
    {
      event: 'conversation.user.created',
      payload: {
        type: 'notification_event',
        app_id: 'a86dr8yl',
        data: {
          type: 'notification_event_data',
          item: {
            type: 'conversation',
            id: '147',
            state: 'open',
            source: { type: 'conversation', body: "<p>Hi! April's invoice never arrived.</p>" },
          },
        },
        id: 'notif_3f1b8a2c-6d4e-4f9a-b7c1-2e3d4f5a6b7c',
        topic: 'conversation.user.created',
        delivery_status: 'pending',
        delivery_attempts: 1,
        delivered_at: 0,
        first_sent_at: 1714564800,
        created_at: 1714564800,
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'intercom'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const signature = verifyHmacSignature(hexOf(received), SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    // Read from the body only when asked for: verifying a large body need not parse it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(ALGORITHM, signingKey(keys, 'intercom'), input.payload).toString('hex');
    return {
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: `${ALGORITHM}=${signature}` },
      body: input.payload,
    };
  },
};

/** The hex after `sha1=`; another algorithm's name is refused rather than misread as malformed. */
function hexOf(header: string): string {
  const named = NAMED_SIGNATURE.exec(header);
  if (!named) {
    throw new WebhookVerificationError(
      'malformed_signature',
      headerMalformed(SIGNATURE_HEADER, `must start with "${ALGORITHM}="`),
    );
  }
  if (named[1] !== ALGORITHM) {
    throw new WebhookVerificationError('unsupported_algorithm', algorithmRefused(SIGNATURE_HEADER, [ALGORITHM]));
  }
  return named[2]!;
}

/** The id (else the signature's digest) and the event type, read from the body on first access. */
const FROM_BODY: LazyWebhookFields<{ readonly delivery: IncomingWebhook; readonly signature: Buffer }> = {
  deliveryId: ({ delivery, signature }) => textFieldOf(delivery.json(), 'id') ?? signatureDigestId(signature),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'topic'),
};
