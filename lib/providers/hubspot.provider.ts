import { createHash } from 'node:crypto';
import { bodyDigestId, hmac, signatureDigestId } from '../core/crypto.js';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { urlRequired } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { assertWithinWindow, parseEpochMilliseconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-hubspot-signature-v3';
const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';
/** The v1 signature (SHA-256 of secret + body) and its version header, sent beside v3: written, never trusted. */
const V1_SIGNATURE_HEADER = 'x-hubspot-signature';
const VERSION_HEADER = 'x-hubspot-signature-version';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'base64' };
/** The field of each event that HubSpot raises on every retry: left out of the delivery id. */
const ATTEMPT_NUMBER = 'attemptNumber';

/**
 * The percent-escapes HubSpot's documentation says to decode in the URI before checking v3
 * (`%3A` `:`, `%2F` `/`, `%3F` `?`, `%40` `@`, `%21` `!`, `%24` `$`, `%27` `'`, `%28` `(`,
 * `%29` `)`, `%2A` `*`, `%2C` `,`, `%3B` `;`): HubSpot signs the URI with them decoded. None
 * of the decoded characters is `%` or a hex digit, so one pass decodes exactly these.
 */
const DECODED_ESCAPES = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

/**
 * HubSpot (signature v3): `X-HubSpot-Signature-v3` is the base64 HMAC-SHA256, keyed with the
 * app's client secret, of the HTTP method, the full URI (with the twelve escapes above
 * decoded, as HubSpot's documentation says; `@hubspot/api-client` takes the URI as given),
 * the body and the `X-HubSpot-Request-Timestamp` value (milliseconds), concatenated. Only v3
 * is checked: v1 and v2 sign no timestamp and are plain SHA-256 of the secret.
 *
 * As the SDK's `Signature.isValid`, only a timestamp more than the window in the past is
 * refused (300 s by default); one ahead of the clock is accepted. Decoding means a URI with
 * `%2F` and the same URI with `/` carry the same signature: that is HubSpot's scheme. The
 * body is an array of events, so there is no single event type, and no delivery id. A digest
 * of the body stands in for one, worked out when first read, with each event's
 * `attemptNumber` left out: HubSpot raises it on every retry, and signs each retry again at a
 * new timestamp, so neither the raw body nor the signature stays the same. Everything else in
 * the events does (`eventId`, `subscriptionId`, `occurredAt`, `objectId`, ...), and no two
 * distinct batches share all of it. A request without a body (a GET, such as a CRM card's
 * data fetch) keeps the signature's digest: two such requests for one URI are two requests,
 * not a retry.
 */
export const hubspotProvider: WebhookProvider<Buffer[]> = {
  name: 'hubspot',
  sensitiveHeaders: [SIGNATURE_HEADER, V1_SIGNATURE_HEADER],
  senderHeaders: [TIMESTAMP_HEADER, VERSION_HEADER],
  methods: ['POST', 'GET'],
  contentType: 'application/json',
  signsUrl: true,
  summary: {
    sender: 'HubSpot',
    secret: 'app client secret',
    signatureHeader: '`X-HubSpot-Signature-v3` (base64)',
    signedContent:
      'method + full URI (`%3A`, `%2F`, `%3F`, `%40`, `%21`, `%24`, `%27`, `%28`, `%29`, `%2A`, `%2C`, `%3B` decoded) + body + timestamp',
    algorithm: 'HMAC-SHA256, base64 (v3 only)',
    deliveryId:
      'digest of the body, each event without its `attemptNumber` (HubSpot sends no id; retries change both); no body: digest of the signature',
    event: 'none (the body is an array of events)',
    timestamp: '`X-HubSpot-Request-Timestamp`, milliseconds (300 s, only the past refused, as the SDK)',
    handshake: 'none',
    checkedAgainst:
      "`@hubspot/api-client`'s `Signature.getSignature` and `Signature.isValid` (v3), both directions, and the URI decoding of HubSpot's documentation",
  },
  examples: [
    {
      event: undefined,
      // A batch of CRM events.
      payload: [
        {
          eventId: 1871893409,
          subscriptionId: 2241067,
          portalId: 62515,
          appId: 1160452,
          occurredAt: 1714564800000,
          subscriptionType: 'contact.propertyChange',
          attemptNumber: 0,
          objectId: 51,
          propertyName: 'firstname',
          propertyValue: 'João',
          changeSource: 'CRM_UI',
        },
        {
          eventId: 1871893410,
          subscriptionId: 2241070,
          portalId: 62515,
          appId: 1160452,
          occurredAt: 1714564800412,
          subscriptionType: 'deal.creation',
          attemptNumber: 0,
          objectId: 9071,
          changeFlag: 'NEW',
          changeSource: 'CRM_UI',
        },
      ],
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'hubspot'),

  verify(delivery, keys, policy) {
    const url = delivery.url;
    if (!url) throw new WebhookConfigurationError(urlRequired('hubspot'));
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    const timestamp = parseEpochMilliseconds(timestampText, TIMESTAMP_HEADER);
    // As `Signature.isValid`: a timestamp too old is refused, one ahead of the clock is not.
    assertWithinWindow(timestamp, policy, { pastOnly: true });
    const signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys, [
      methodOf(delivery.method),
      signedUri(url),
      delivery.rawBody,
      timestampText,
    ]);
    return lazyVerifiedWebhook(DELIVERY_ID, { delivery, signature, id: undefined }, { event: undefined, timestamp });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    if (!input.url) throw new WebhookConfigurationError(urlRequired('hubspot'));
    const key = signingKey(keys, 'hubspot');
    const timestamp = String(input.timestamp.getTime());
    const method = methodOf(input.method);
    const v3 = hmac('sha256', key, method, signedUri(input.url), input.payload, timestamp);
    return {
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: v3.toString('base64'),
        [TIMESTAMP_HEADER]: timestamp,
        [V1_SIGNATURE_HEADER]: createHash('sha256').update(key).update(input.payload).digest('hex'),
        [VERSION_HEADER]: 'v1',
      },
      body: input.payload,
    };
  },
};

function methodOf(method: string | undefined): string {
  return (method ?? 'POST').toUpperCase();
}

/** The URI as HubSpot signs it: the documented escapes decoded, everything else as received. */
function signedUri(url: string): string {
  return url.replace(DECODED_ESCAPES, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
}

/** What `verify` keeps for the id, worked out (once) when first read. */
interface HubSpotState {
  readonly delivery: IncomingWebhook;
  readonly signature: Buffer;
  id: string | undefined;
}

const DELIVERY_ID: LazyWebhookFields<HubSpotState> = {
  deliveryId: (state) => (state.id ??= deliveryIdOf(state.delivery, state.signature)),
};

/**
 * The digest of what stays the same when HubSpot retries: a batch of events (a JSON array)
 * written again without each event's `attemptNumber`, another body as received. No body: the
 * signature's digest.
 */
function deliveryIdOf(delivery: IncomingWebhook, signature: Buffer): string {
  if (delivery.rawBody.length === 0) return signatureDigestId(signature);
  const body = delivery.json();
  if (!Array.isArray(body)) return bodyDigestId(delivery.rawBody);
  return bodyDigestId(JSON.stringify(body.map(withoutAttemptNumber)));
}

function withoutAttemptNumber(event: unknown): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event) || !(ATTEMPT_NUMBER in event)) return event;
  return Object.fromEntries(Object.entries(event).filter(([key]) => key !== ATTEMPT_NUMBER));
}
