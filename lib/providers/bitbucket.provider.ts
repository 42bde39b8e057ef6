import { randomUUID } from 'node:crypto';
import { hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { algorithmRefused, headerMalformed } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-hub-signature';
/** Bitbucket Cloud's delivery id. */
const REQUEST_UUID_HEADER = 'x-request-uuid';
/** Bitbucket Data Center's, which signs the same way but names its id header differently. */
const REQUEST_ID_HEADER = 'x-request-id';
const EVENT_HEADER = 'x-event-key';
const ALGORITHM = 'sha256';
const SCHEME: HmacScheme = { algorithm: ALGORITHM, encoding: 'hex' };
/** `<algorithm>=<signature>`: the name before `=` says which HMAC it is. */
const NAMED_SIGNATURE = /^([A-Za-z0-9-]{1,16})=(.*)$/s;

/**
 * Bitbucket (Cloud and Data Center): `X-Hub-Signature` is `sha256=` followed by the
 * lowercase hex HMAC-SHA256 of the raw body under the webhook's secret. The prefix names
 * the algorithm: every other name is refused as `unsupported_algorithm`. Only the body is
 * signed: `X-Request-UUID` (Cloud; `X-Request-Id` on Data Center) is the delivery id and
 * `X-Event-Key` the event, both plain headers; there is no timestamp and no replay window.
 */
export const bitbucketProvider: WebhookProvider<Buffer[]> = {
  name: 'bitbucket',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [REQUEST_UUID_HEADER, EVENT_HEADER, 'x-hook-uuid', 'x-attempt-number', REQUEST_ID_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Bitbucket',
    secret: 'webhook secret',
    signatureHeader: '`X-Hub-Signature: sha256=<hex>`',
    signedContent: 'body',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: '`X-Request-UUID` (Data Center: `X-Request-Id`; not signed), else digest',
    event: '`X-Event-Key` (not signed)',
    timestamp: 'none (Bitbucket sends no timestamp)',
    handshake: 'none',
    checkedAgainst:
      "Bitbucket's webhook documentation (no SDK verifies): its check written as documented, both directions",
  },
  examples: [
    {
      event: 'repo:push',
      payload: {
        push: {
          changes: [
            {
              old: {
                type: 'branch',
                name: 'main',
                target: { type: 'commit', hash: '8f2a1c9e3b7d4a6f0e5c2b1a9d8e7f6a5b4c3d2e' },
              },
              new: {
                type: 'branch',
                name: 'main',
                target: { type: 'commit', hash: 'b41d6e0a7c3f9e2d1a8b5c4f3e2d1c0b9a8f7e6d' },
              },
              created: false,
              forced: false,
              closed: false,
            },
          ],
        },
        repository: { type: 'repository', full_name: 'acme/billing-api', name: 'billing-api', is_private: true },
        actor: {
          type: 'user',
          display_name: 'Conceição Ramos',
          account_id: '557058:9f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'bitbucket'),

  verify(delivery, keys) {
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const signature = verifyHmacSignature(hexOf(received), SIGNATURE_HEADER, SCHEME, keys, [delivery.rawBody]);
    return {
      deliveryId: requestIdOf(delivery) ?? signatureDigestId(signature),
      event: delivery.headers.single(EVENT_HEADER, 'malformed_signature'),
      timestamp: undefined,
    };
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signature = hmac(ALGORITHM, signingKey(keys, 'bitbucket'), input.payload).toString('hex');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: `${ALGORITHM}=${signature}`,
      [REQUEST_UUID_HEADER]: input.id ?? randomUUID(),
      'x-attempt-number': '1',
    };
    if (input.event !== undefined) headers[EVENT_HEADER] = input.event;
    return { headers, body: input.payload };
  },
};

/** The hex after `sha256=`; another algorithm's name is refused rather than misread as malformed. */
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

/**
 * Cloud's id, else Data Center's; neither (a proxy dropped it) leaves the signature's digest.
 * `X-Request-Id` is also a header proxies add: one they repeated is ignored, not refused.
 */
function requestIdOf(delivery: IncomingWebhook): string | undefined {
  const uuid = delivery.headers.single(REQUEST_UUID_HEADER, 'malformed_signature');
  if (uuid !== undefined) return uuid;
  const requestId = delivery.headers.get(REQUEST_ID_HEADER);
  return typeof requestId === 'string' && requestId !== '' ? requestId : undefined;
}
