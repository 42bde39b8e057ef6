import { createHash, randomUUID } from 'node:crypto';
import { parse as parseQueryString, stringify as stringifyQueryString } from 'node:querystring';
import { bytesEqual, hmac, signatureDigestId, type HmacAlgorithm } from '../core/crypto.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import { algorithmRefused, providerCannot, signatureMismatch, urlRequired } from '../core/errors/webhook.messages.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { parseKeyValueList } from '../core/key-value-list.js';
import { mediaTypeOf, parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'x-twilio-signature';
const SETTINGS_HEADER = 'x-twilio-webhooks-signature-settings';
const IDEMPOTENCY_HEADER = 'i-twilio-idempotency-token';
const FORM = 'application/x-www-form-urlencoded';
const BODY_HASH_PARAM = 'bodySHA256';

/** The algorithms `X-Twilio-Webhooks-Signature-Settings` may name (case-insensitively); none named is SHA-1. */
const ALGORITHMS: Readonly<Record<string, HmacAlgorithm>> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

/**
 * Twilio: `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed with the auth token, of the
 * full URL Twilio called followed by every form field, sorted by name, as name+value
 * (several values of one name: each distinct value once, sorted). A JSON body is not in
 * the form: Twilio puts its hex SHA-256 in the URL's `bodySHA256` query parameter, so the
 * URL's signature covers it, and that hash is checked against the body too.
 *
 * The form's fields are signed, not its bytes: the same fields written in another order or
 * another percent-encoding carry the same signature, and handlers get exactly those fields
 * (a repeated name as a list). As `twilio`'s own `validateRequest` does, the URL is tried as
 * received with and without its port, then as `new URL()` normalises it, with and without
 * its port and with the legacy `querystring` encoding of its query: at most six HMACs per
 * secret, the first one being the usual match. A delivery whose
 * `X-Twilio-Webhooks-Signature-Settings` names `HMAC_SHA256` (a SharedKey webhook) is
 * checked with HMAC-SHA256 instead: configure the SharedKey secret beside the auth token.
 *
 * Twilio sends no timestamp (so no replay window) and no event type. The delivery id is
 * `I-Twilio-Idempotency-Token` when sent, else a digest of the signature. The token is not
 * signed: a captured delivery sent again under another token is not recognised as a repeat.
 * Voice and messaging webhooks read the answer as TwiML: answer with a `respond: true`
 * handler returning `WebhookResponse.xml(...)`; the provider itself answers nothing.
 */
export const twilioProvider: WebhookProvider<Buffer[]> = {
  name: 'twilio',
  sensitiveHeaders: [SIGNATURE_HEADER],
  senderHeaders: [IDEMPOTENCY_HEADER, SETTINGS_HEADER],
  methods: ['POST', 'GET'],
  contentType: FORM,
  signsUrl: true,
  summary: {
    sender: 'Twilio',
    secret: 'auth token (or a SharedKey secret)',
    signatureHeader: '`X-Twilio-Signature` (base64)',
    signedContent:
      "full URL, then each form field sorted by name as name+value; a JSON body through the URL's `bodySHA256` (hex SHA-256 of the body, checked too)",
    algorithm: 'HMAC-SHA1, base64 (HMAC-SHA256 when `X-Twilio-Webhooks-Signature-Settings` names it)',
    deliveryId: '`I-Twilio-Idempotency-Token` (not signed), else digest of the signature',
    event: 'none',
    timestamp: 'none (Twilio sends no timestamp)',
    handshake: 'none (TwiML answers come from `respond: true` handlers)',
    checkedAgainst:
      "`twilio`'s `getExpectedTwilioSignature`, `validateRequest` and `validateRequestWithBody`, both directions, and the test vectors of its own suite",
  },
  examples: [
    {
      event: undefined,
      // An incoming SMS: form fields, which `encodePayload` writes as Twilio posts them.
      payload: {
        ToCountry: 'US',
        SmsMessageSid: 'SM8f3c2a1b0d9e8f7a6b5c4d3e2f1a0b9c',
        NumMedia: '0',
        SmsSid: 'SM8f3c2a1b0d9e8f7a6b5c4d3e2f1a0b9c',
        SmsStatus: 'received',
        Body: 'Has order #1042 shipped?',
        FromCountry: 'US',
        To: '+14155550100',
        NumSegments: '1',
        MessageSid: 'SM8f3c2a1b0d9e8f7a6b5c4d3e2f1a0b9c',
        AccountSid: 'AC1f2e3d4c5b6a79881726354453627180',
        From: '+14155550123',
        ApiVersion: '2010-04-01',
      },
    },
  ],

  prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, 'twilio'),

  verify(delivery, keys) {
    const url = delivery.url;
    if (!url) throw new WebhookConfigurationError(urlRequired('twilio'));
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const algorithm = announcedAlgorithm(delivery.headers.single(SETTINGS_HEADER, 'malformed_signature'));
    const bodyHash = bodyHashOf(url);
    // A JSON body is signed through the hash in the URL; a form body through its fields.
    const fields = bodyHash === undefined ? signedFields(delivery.rawBody) : [];
    const signature = verifyAnyUrl(received, { algorithm, encoding: 'base64' }, keys, url, fields);
    if (bodyHash !== undefined && !bytesEqual(Buffer.from(sha256Hex(delivery.rawBody)), Buffer.from(bodyHash))) {
      throw new WebhookVerificationError('invalid_signature', signatureMismatch(SIGNATURE_HEADER));
    }
    const token = delivery.headers.single(IDEMPOTENCY_HEADER, 'malformed_signature');
    return { deliveryId: token ?? signatureDigestId(signature), event: undefined, timestamp: undefined };
  },

  async parse(delivery) {
    if (mediaTypeOf(delivery) !== FORM) return parseWebhookBody(delivery);
    return { payload: formFields(delivery.rawBody) };
  },

  encodePayload(payload) {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw notAForm();
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(payload)) {
      for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
        if (item === undefined) continue;
        if (typeof item === 'object' && item !== null) throw notAForm();
        form.append(name, item === null ? '' : String(item));
      }
    }
    return Buffer.from(form.toString(), 'utf8');
  },

  sign(input, keys) {
    if (!input.url) throw new WebhookConfigurationError(urlRequired('twilio'));
    const bodyHash = bodyHashOf(input.url);
    if (bodyHash !== undefined && bodyHash !== sha256Hex(input.payload)) {
      throw new WebhookConfigurationError(
        providerCannot('twilio', 'signs a JSON body only for a URL whose bodySHA256 is the hex SHA-256 of that body'),
      );
    }
    const fields = bodyHash === undefined ? signedFields(input.payload) : [];
    const signature = hmac('sha1', signingKey(keys, 'twilio'), input.url, ...fields).toString('base64');
    return {
      headers: {
        'content-type': bodyHash === undefined ? FORM : 'application/json',
        [SIGNATURE_HEADER]: signature,
        [IDEMPOTENCY_HEADER]: input.id ?? randomUUID(),
      },
      body: input.payload,
    };
  },
};

function notAForm(): WebhookConfigurationError {
  return new WebhookConfigurationError(
    providerCannot('twilio', 'writes a form only from an object of strings, numbers, booleans or lists of them'),
  );
}

/** The hash function the settings header names, as the SDK's `getSignatureAlgorithm` reads it. */
function announcedAlgorithm(settings: string | undefined): HmacAlgorithm {
  const named = parseKeyValueList(settings ?? '', ',')
    .all('algorithm')
    .find((value) => value !== '');
  if (named === undefined) return 'sha1';
  const algorithm = ALGORITHMS[named.toUpperCase()];
  if (!algorithm) {
    throw new WebhookVerificationError(
      'unsupported_algorithm',
      algorithmRefused(SETTINGS_HEADER, Object.keys(ALGORITHMS)),
    );
  }
  return algorithm;
}

/** The URL's `bodySHA256` query parameter, when it has one. */
function bodyHashOf(url: string): string | undefined {
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  const fragment = url.indexOf('#', query);
  const params = new URLSearchParams(url.slice(query + 1, fragment === -1 ? undefined : fragment));
  return params.has(BODY_HASH_PARAM) ? (params.get(BODY_HASH_PARAM) ?? '') : undefined;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Each name's distinct values, in the order the form gives them. */
function formValues(body: Buffer): Map<string, string[]> {
  const values = new Map<string, string[]>();
  if (body.length === 0) return values;
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    const seen = values.get(name);
    if (seen === undefined) values.set(name, [value]);
    else seen.push(value);
  }
  return values;
}

/** The signed form fields as name, value, name, value, …: names sorted, each name's distinct values sorted. */
function signedFields(body: Buffer): string[] {
  const values = formValues(body);
  const parts: string[] = [];
  for (const name of [...values.keys()].sort()) {
    const sent = values.get(name)!;
    // Most fields are sent once: nothing to deduplicate or sort.
    if (sent.length === 1) parts.push(name, sent[0]!);
    else for (const value of [...new Set(sent)].sort()) parts.push(name, value);
  }
  return parts;
}

/** The form as handlers get it: a field sent once as a string, a repeated one as a list. */
function formFields(body: Buffer): Record<string, string | string[]> {
  return Object.fromEntries(
    [...formValues(body)].map(([name, values]) => [name, values.length === 1 ? values[0]! : values] as const),
  );
}

/**
 * The signature, checked against each form of the URL in turn; the first that matches wins.
 * A malformed signature is refused at the first form already.
 */
function verifyAnyUrl(received: string, scheme: HmacScheme, keys: Buffer[], url: string, fields: string[]): Buffer {
  let mismatch: WebhookVerificationError | undefined;
  for (const candidate of urlForms(url)) {
    try {
      return verifyHmacSignature(received, SIGNATURE_HEADER, scheme, keys, [candidate, ...fields]);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError) || error.reason !== 'invalid_signature') throw error;
      mismatch = error;
    }
  }
  throw mismatch ?? new WebhookVerificationError('invalid_signature', signatureMismatch(SIGNATURE_HEADER));
}

/**
 * The URL forms `validateRequest` tries, in its order, each once: as received without and
 * with its port; then, when `new URL()` can read it, normalised without and with its port,
 * and those two with the query re-encoded by the legacy `querystring` module.
 */
function* urlForms(url: string): Generator<string> {
  // Each form is worked out only when the ones before it did not match: the first almost always does.
  const first = withoutPort(url);
  yield first;
  const seen = new Set<string>([first]);
  for (const form of laterUrlForms(url)) {
    if (seen.has(form)) continue;
    seen.add(form);
    yield form;
  }
}

/** The forms after the first, in `validateRequest`'s order (some may repeat an earlier one). */
function* laterUrlForms(url: string): Generator<string> {
  yield withDefaultPort(url);
  const normalised = normalisedUrl(url);
  if (normalised === undefined) return;
  const bare = withoutPort(normalised);
  yield bare;
  const ported = withDefaultPort(normalised);
  yield ported;
  yield withLegacyQuery(bare);
  yield withLegacyQuery(ported);
}

function normalisedUrl(url: string): string | undefined {
  try {
    return new URL(url).toString();
  } catch {
    return undefined;
  }
}

const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;

/** The URL cut around its authority, without normalising anything (as the SDK's `splitUrl`). */
function urlParts(url: string) {
  const match = AUTHORITY.exec(url);
  if (!match) return undefined;
  const [prefix = '', scheme = '', authority = ''] = match;
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  // After an IPv6 literal's closing bracket, a colon starts the port.
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

/** The URL without any port (the SDK drops a non-default port too). */
function withoutPort(url: string): string {
  const parts = urlParts(url);
  return parts ? `${parts.scheme}${parts.userInfo}${parts.host}${parts.rest}` : url;
}

/** The URL with its scheme's default port when it names none. */
function withDefaultPort(url: string): string {
  const parts = urlParts(url);
  if (!parts || parts.port) return url;
  const port = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return `${parts.scheme}${parts.userInfo}${parts.host}${port}${parts.rest}`;
}

/** The query re-encoded by Node's legacy `querystring`, for back ends that signed that spelling. */
function withLegacyQuery(url: string): string {
  const query = url.indexOf('?');
  if (query === -1 || query === url.length - 1) return url;
  return `${url.slice(0, query)}?${stringifyQueryString(parseQueryString(url.slice(query + 1)))}`;
}
