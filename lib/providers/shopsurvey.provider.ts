import { randomUUID } from 'node:crypto';
import { hmac, type HmacAlgorithm } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature } from '../core/hmac-signature.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { assertWithinWindow, parseIsoOrEpochTimestamp } from '../core/timestamp.js';
import { WebhookVerificationError } from '../core/errors/index.js';
import { algorithmRefused, headerMissing, headerRepeated } from '../core/errors/webhook.messages.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const PREFIX = 'X-SHOPSURVEY-WEBHOOK-';
const TOPIC = `${PREFIX}TOPIC`;
const SENT_AT = `${PREFIX}SENT-AT`;
const REQUEST_ID = `${PREFIX}REQUEST-ID`;
const ATTEMPT = `${PREFIX}ATTEMPT`;
const MESSAGE_ID = `${PREFIX}MESSAGE-ID`;
const WEBHOOK_ID = `${PREFIX}ID`;
const ALGORITHM = `${PREFIX}HMAC-ALGORITHM`;
const SIGNATURE = `${PREFIX}HMAC`;

/** The headers that are signed, in the sorted order of the signed JSON. */
const SIGNED_HEADERS = [ATTEMPT, ALGORITHM, WEBHOOK_ID, MESSAGE_ID, REQUEST_ID, SENT_AT, TOPIC].sort();
/** Each signed header's lower-case name (as Node gives it) and its JSON key, worked out once. */
const SIGNED_FIELDS = SIGNED_HEADERS.map((name) => ({
  name,
  header: name.toLowerCase(),
  jsonKey: `${JSON.stringify(name)}:`,
}));
const ALGORITHM_HEADER = ALGORITHM.toLowerCase();
const SIGNATURE_HEADER = SIGNATURE.toLowerCase();
const SENT_AT_HEADER = SENT_AT.toLowerCase();
const MESSAGE_ID_HEADER = MESSAGE_ID.toLowerCase();

/** Algorithms the sender may name; anything else (MD5, SHA1, none) is refused. */
const ALLOWED_ALGORITHMS: Readonly<Record<string, HmacAlgorithm>> = {
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};

const lower = (name: string): string => name.toLowerCase();

/**
 * ShopSurvey: `X-SHOPSURVEY-WEBHOOK-HMAC` is the hex HMAC of the other seven
 * `X-SHOPSURVEY-WEBHOOK-*` headers, as compact JSON sorted by their upper-case names,
 * with the algorithm the delivery names (SHA256, SHA384 or SHA512 only).
 * The body is not signed. `SENT-AT` feeds the replay window, `MESSAGE-ID` is the
 * delivery id (kept across retries) and `TOPIC` the event type. Deliveries may be GETs.
 */
export const shopSurveyProvider: WebhookProvider<Buffer[]> = {
  name: 'shopsurvey',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: SIGNED_FIELDS.map((field) => field.header),
  methods: ['POST', 'GET'],
  contentType: 'application/json',
  summary: {
    sender: 'ShopSurvey',
    secret: 'webhook secret',
    signatureHeader: '`X-SHOPSURVEY-WEBHOOK-HMAC` (hex)',
    signedContent: 'the seven other `X-SHOPSURVEY-WEBHOOK-*` headers as compact JSON sorted by name; **not the body**',
    algorithm: 'HMAC-SHA256/384/512 as `…-HMAC-ALGORITHM` names it, hex',
    deliveryId: '`X-SHOPSURVEY-WEBHOOK-MESSAGE-ID`',
    event: '`X-SHOPSURVEY-WEBHOOK-TOPIC`',
    timestamp: '`X-SHOPSURVEY-WEBHOOK-SENT-AT`, ISO 8601 or epoch (300 s)',
    handshake: 'none',
    checkedAgainst: "ShopSurvey's webhook documentation (headers, signed JSON, algorithm names)",
  },
  examples: [
    {
      event: 'Response.Created',
      payload: {
        id: 'resp_20261123_001',
        survey_id: 'srv_9001',
        created_at: '2026-11-23T10:16:00Z',
        answers: [{ question: 'How did you hear about us?', answer: 'A friend' }],
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'shopsurvey'),

  verify(delivery, keys, policy) {
    const algorithm = allowedAlgorithm(delivery.headers.single(ALGORITHM_HEADER, 'malformed_signature'));
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const { signed, json } = signedHeaders(delivery);
    const deliveryId = signed[MESSAGE_ID];
    if (!deliveryId) {
      throw new WebhookVerificationError('malformed_signature', headerMissing(MESSAGE_ID_HEADER));
    }
    const sentAt = signed[SENT_AT];
    if (!sentAt && policy.toleranceSeconds > 0) {
      throw new WebhookVerificationError('missing_timestamp', headerMissing(SENT_AT_HEADER));
    }
    const timestamp = sentAt ? parseIsoOrEpochTimestamp(sentAt, SENT_AT_HEADER) : undefined;
    if (timestamp) assertWithinWindow(timestamp, policy);
    verifyHmacSignature(received, SIGNATURE_HEADER, { algorithm, encoding: 'hex' }, keys, [json]);
    return { deliveryId, event: signed[TOPIC], timestamp };
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const signed: Record<string, string> = {
      [ATTEMPT]: '1',
      [ALGORITHM]: 'SHA256',
      [WEBHOOK_ID]: randomUUID(),
      [MESSAGE_ID]: input.id ?? randomUUID(),
      [REQUEST_ID]: randomUUID(),
      [SENT_AT]: input.timestamp.toISOString(),
      [TOPIC]: input.event ?? 'Response.Created',
    };
    const sorted = Object.fromEntries(SIGNED_HEADERS.map((name) => [name, signed[name]!]));
    const signature = hmac('sha256', signingKey(keys, 'shopsurvey'), JSON.stringify(sorted)).toString('hex');
    const headers: Record<string, string> = {};
    for (const name of SIGNED_HEADERS) headers[lower(name)] = sorted[name]!;
    headers[lower(SIGNATURE)] = signature;
    if (input.payload.length > 0) headers['content-type'] = 'application/json';
    return { headers, body: input.payload };
  },
};

function allowedAlgorithm(named: string | undefined): HmacAlgorithm {
  const algorithm = named === undefined ? undefined : ALLOWED_ALGORITHMS[named.toUpperCase()];
  if (!algorithm) {
    throw new WebhookVerificationError(
      'unsupported_algorithm',
      algorithmRefused(lower(ALGORITHM), Object.keys(ALLOWED_ALGORITHMS)),
    );
  }
  return algorithm;
}

/**
 * The signed headers that are present (an empty one included, as the sender would
 * include it), and their compact JSON sorted by upper-case name: the signed bytes.
 */
function signedHeaders(delivery: IncomingWebhook): { signed: Record<string, string>; json: string } {
  const signed: Record<string, string> = {};
  let json = '';
  for (const { name, header, jsonKey } of SIGNED_FIELDS) {
    const value = delivery.headers.get(header);
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new WebhookVerificationError('malformed_signature', headerRepeated(header));
    }
    signed[name] = value;
    json += `${json === '' ? '{' : ','}${jsonKey}${JSON.stringify(value)}`;
  }
  return { signed, json: json === '' ? '{}' : `${json}}` };
}
