import { bodyDigestId, hmac } from '../core/crypto.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { headerMalformed } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacCandidates, type HmacScheme } from '../core/hmac-signature.js';
import { textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseKeyValueList, type KeyValueList } from '../core/key-value-list.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'calendly-webhook-signature';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };
/**
 * Calendly's webhook-signatures guide sets "the application's tolerance zone to 3 minutes"
 * and refuses only timestamps older than that (`timestampMilliseconds < Date.now() - tolerance`).
 */
const CALENDLY_TOLERANCE_SECONDS = 180;

/**
 * Calendly (API v2): `Calendly-Webhook-Signature` is `t=<unix seconds>,v1=<hex>`, the hex
 * HMAC-SHA256 of `<t>.<body>` keyed with the webhook signing key (its UTF-8 bytes). Calendly
 * sends no delivery id, so a digest of the body stands in, worked out when first read: not of
 * the signature, which covers `t` and so changes when Calendly signs a retry again. Two
 * distinct deliveries never share a body (it carries the event's `created_at` and the
 * resource's URI). The body's `event` (`invitee.created`, …) is the event, read only when asked for. The window is 3 minutes and
 * refuses only old timestamps, as Calendly's guide does. Calendly publishes no SDK.
 */
export const calendlyProvider: WebhookProvider<Buffer[]> = {
  name: 'calendly',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  defaultToleranceSeconds: CALENDLY_TOLERANCE_SECONDS,
  summary: {
    sender: 'Calendly',
    secret: 'webhook signing key',
    signatureHeader: '`Calendly-Webhook-Signature: t=<unix>,v1=<hex>`',
    signedContent: '`<t>.<body>`',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'digest of the body (Calendly sends no id; the signature changes when a retry is signed again)',
    event: 'body `event`',
    timestamp: "`t`, seconds (180 s, as Calendly's guide; only old timestamps are refused)",
    handshake: 'none',
    checkedAgainst: 'no SDK: the verification code of Calendly\'s "Webhook Signatures" guide, run as written',
  },
  examples: [
    {
      event: 'invitee.created',
      payload: {
        created_at: '2024-06-12T14:03:27.000000Z',
        created_by: 'https://api.calendly.com/users/EBHAAFHDCAEQTSEZ',
        event: 'invitee.created',
        payload: {
          email: 'zoe.kruger@example.com',
          name: 'Zoë Krüger',
          status: 'active',
          timezone: 'Europe/Berlin',
          scheduled_event: {
            name: '30 Minute Meeting',
            start_time: '2024-06-19T09:00:00.000000Z',
            end_time: '2024-06-19T09:30:00.000000Z',
            uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2',
          },
          uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/7c1b6f0e-3f8a-4b1e-9d2c-5a4e8f1b2c3d',
        },
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'calendly'),

  verify(delivery, keys, policy) {
    const header = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const entries = parseKeyValueList(header, ',');
    const t = onlyTimestamp(entries);
    const timestamp = parseEpochSeconds(t, SIGNATURE_HEADER);
    assertWithinWindow(timestamp, policy, { pastOnly: true });
    verifyHmacCandidates({
      header: SIGNATURE_HEADER,
      candidates: entries.all('v1'),
      scheme: SCHEME,
      keys,
      signedParts: [t, '.', delivery.rawBody],
    });
    // The id and event from the body only when asked for: verifying a large body neither hashes nor parses it.
    return lazyVerifiedWebhook(FROM_BODY, { delivery, id: undefined }, { timestamp });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const t = String(Math.floor(input.timestamp.getTime() / 1000));
    const signature = hmac(SCHEME.algorithm, signingKey(keys, 'calendly'), t, '.', input.payload).toString('hex');
    return {
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: `t=${t},v1=${signature}` },
      body: input.payload,
    };
  },
};

/** The one `t` entry: without it nothing says what was signed; with two, which one was is ambiguous. */
function onlyTimestamp(entries: KeyValueList): string {
  const all = entries.all('t');
  if (all.length !== 1) {
    const problem = all.length === 0 ? 'has no "t=" timestamp' : 'has more than one "t=" timestamp';
    throw new WebhookVerificationError('malformed_signature', headerMalformed(SIGNATURE_HEADER, problem));
  }
  return all[0]!;
}

/** What `verify` keeps for the fields read on first access; `id` is the body's digest once worked out. */
interface CalendlyState {
  readonly delivery: IncomingWebhook;
  id: string | undefined;
}

/** The id (the body's digest, hashed once) and the event type, worked out from the body on first access. */
const FROM_BODY: LazyWebhookFields<CalendlyState> = {
  deliveryId: (state) => (state.id ??= bodyDigestId(state.delivery.rawBody)),
  event: ({ delivery }) => textFieldOf(delivery.json(), 'event'),
};
