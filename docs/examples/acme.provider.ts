// In your application: import from 'nestjs-signed-webhooks/core' (docs/providers.md shows it so).
import {
  assertWithinWindow,
  hmac,
  parseEpochSeconds,
  parseKeyValueList,
  parseWebhookBody,
  prepareSharedSecrets,
  signatureDigestId,
  signingKey,
  textFieldOf,
  verifyHmacCandidates,
  WebhookVerificationError,
  type HmacScheme,
  type WebhookProvider,
} from '../../lib/entries/core.js';

const HEADER = 'acme-signature';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };

/**
 * Acme, a sender no preset knows: `Acme-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`,
 * each `v1` the hex HMAC-SHA256 of `<t>.<body>` under the shared secret. The body's `id` is
 * the delivery id and its `type` the event.
 */
export const acmeProvider: WebhookProvider<Buffer[]> = {
  name: 'acme',
  sensitiveHeaders: [HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Acme',
    secret: 'webhook secret',
    signatureHeader: '`Acme-Signature: t=<unix>,v1=<hex>`',
    signedContent: '`<t>.<body>`',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'body `id`, else digest',
    event: 'body `type`',
    timestamp: '`t`, seconds (300 s)',
    handshake: 'none',
    checkedAgainst: "Acme's documentation",
  },

  // Once per configuration: the secrets as HMAC keys (a configuration error when there is none).
  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'acme'),

  verify(delivery, keys, policy) {
    const header = delivery.headers.required(HEADER, 'missing_signature', 'malformed_signature');
    const entries = parseKeyValueList(header, ',');
    const t = entries.first('t');
    if (t === undefined) {
      throw new WebhookVerificationError('malformed_signature', 'The acme-signature header has no "t=" timestamp.');
    }
    const timestamp = parseEpochSeconds(t, HEADER); // malformed_timestamp unless it is epoch seconds
    assertWithinWindow(timestamp, policy); // timestamp_out_of_window
    const signature = verifyHmacCandidates({
      header: HEADER,
      candidates: entries.all('v1'), // any one may match, under any configured secret
      scheme: SCHEME,
      keys,
      signedParts: [t, '.', delivery.rawBody],
    });
    // The body is signed, so its fields may be trusted now that the signature matched.
    const body = delivery.json();
    return {
      deliveryId: textFieldOf(body, 'id') ?? signatureDigestId(signature),
      event: textFieldOf(body, 'type'),
      timestamp,
    };
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const t = String(Math.floor(input.timestamp.getTime() / 1000));
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'acme'), t, '.', input.payload).toString('hex');
    return {
      headers: { 'content-type': 'application/json', [HEADER]: `t=${t},v1=${signature}` },
      body: input.payload,
    };
  },
};
