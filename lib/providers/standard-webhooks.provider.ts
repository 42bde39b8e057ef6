import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as signEd25519,
  verify as verifyEd25519,
  type KeyObject,
} from 'node:crypto';
import { bytesEqual, decodeBase64, decodeSignature, hmac } from '../core/crypto.js';
import { fieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import {
  headerRepeated,
  noSignatureMatches,
  noUsableSignature,
  providerCannot,
  secretRequired,
  tooManySignatures,
} from '../core/errors/webhook.messages.js';
import { MAX_SIGNATURE_CANDIDATES } from '../core/hmac-signature.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookCredentials, WebhookProvider } from '../core/webhook-provider.js';

const ID_HEADER = 'webhook-id';
const TIMESTAMP_HEADER = 'webhook-timestamp';
const SIGNATURE_HEADER = 'webhook-signature';
const ED25519_SIGNATURE_BYTES = 64;
const ED25519_KEY_BYTES = 32;
/** DER prefixes that wrap raw 32-byte ed25519 keys as SPKI (public) and PKCS#8 (private seed). */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

interface StandardWebhooksKeys {
  /** `whsec_` secrets: HMAC keys for `v1` signatures. */
  readonly symmetric: readonly Buffer[];
  /** `whpk_` public keys (and those of `whsk_` keys): check `v1a` signatures. */
  readonly publicKeys: readonly KeyObject[];
  /** The key new deliveries are signed with: the first `whsec_` or `whsk_` entry. */
  readonly signing?:
    { readonly version: 'v1'; readonly key: Buffer } | { readonly version: 'v1a'; readonly key: KeyObject };
}

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-signature` is a space-separated
 * list of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` entries (and `v1a,<base64
 * ed25519 signature>` entries); any one that matches a configured key makes the
 * delivery valid. Secrets: `whsec_<base64 key>` (HMAC), `whpk_<base64 public key>`
 * (verify `v1a`), `whsk_<base64 32-byte seed>` (sign `v1a`). `webhook-id` is the
 * delivery id, `webhook-timestamp` (seconds) feeds the replay window, and the body's
 * `type` field is the event type.
 */
export const standardWebhooksProvider: WebhookProvider<StandardWebhooksKeys> = {
  name: 'standard-webhooks',
  sensitiveHeaders: [SIGNATURE_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Standard Webhooks',
    secret: '`whsec_<base64>` (HMAC), `whpk_<base64>` (ed25519 public key), `whsk_<base64>` (ed25519 seed, signs)',
    signatureHeader: '`webhook-signature`: space-separated `v1,<base64>` / `v1a,<base64>` entries',
    signedContent: '`<webhook-id>.<webhook-timestamp>.<body>`',
    algorithm: 'HMAC-SHA256 (`v1`) or ed25519 (`v1a`), base64',
    deliveryId: '`webhook-id`',
    event: 'body `type`',
    timestamp: '`webhook-timestamp`, seconds (300 s)',
    handshake: 'none',
    checkedAgainst: '`standardwebhooks` (the reference implementation), both directions',
  },

  prepareKeys({ secrets }) {
    if (secrets.length === 0) throw new WebhookConfigurationError(secretRequired('standard-webhooks'));
    const symmetric: Buffer[] = [];
    const publicKeys: KeyObject[] = [];
    let signing: StandardWebhooksKeys['signing'];
    for (const secret of secrets) {
      if (secret.startsWith('whpk_')) {
        publicKeys.push(publicKeyFrom(decodeKey(secret.slice(5), 'whpk_', ED25519_KEY_BYTES)));
      } else if (secret.startsWith('whsk_')) {
        const privateKey = privateKeyFrom(decodeKey(secret.slice(5), 'whsk_', ED25519_KEY_BYTES));
        publicKeys.push(createPublicKey(privateKey));
        signing ??= { version: 'v1a', key: privateKey };
      } else {
        // Like the reference implementation, a secret without its prefix is the bare base64 key.
        const key = decodeKey(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'whsec_');
        symmetric.push(key);
        signing ??= { version: 'v1', key };
      }
    }
    return { symmetric, publicKeys, signing };
  },

  credentialWarnings: bareKeyWarnings,

  verify(delivery, keys, policy) {
    const id = delivery.headers.required(ID_HEADER, 'malformed_signature', 'malformed_signature');
    const timestampText = delivery.headers.required(TIMESTAMP_HEADER, 'missing_timestamp', 'malformed_timestamp');
    const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
    const timestamp = parseEpochSeconds(timestampText, TIMESTAMP_HEADER);
    assertWithinWindow(timestamp, policy);
    verifySignatures(received, signedContent(id, timestampText, delivery.rawBody), keys);
    return {
      deliveryId: id,
      timestamp,
      // Read from the body only when asked for: verifying a large body need not parse it.
      get event() {
        return eventTypeOf(delivery);
      },
    };
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    if (!keys.signing) {
      throw new WebhookConfigurationError(
        providerCannot('standard-webhooks', 'signs with a whsec_ or whsk_ secret; a whpk_ public key cannot sign'),
      );
    }
    const id = input.id ?? `msg_${randomBytes(16).toString('base64url')}`;
    const timestamp = String(Math.floor(input.timestamp.getTime() / 1000));
    const content = signedContent(id, timestamp, input.payload);
    const signature =
      keys.signing.version === 'v1'
        ? hmac('sha256', keys.signing.key, ...content)
        : signEd25519(null, Buffer.concat(content), keys.signing.key);
    return {
      headers: {
        'content-type': 'application/json',
        [ID_HEADER]: id,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: `${keys.signing.version},${signature.toString('base64')}`,
      },
      body: input.payload,
    };
  },
};

function signedContent(id: string, timestamp: string, body: Buffer): Buffer[] {
  return [Buffer.from(`${id}.${timestamp}.`, 'utf8'), body];
}

/** The shape of a base64 HMAC-SHA256: 43 characters and one "=" of padding. */
const V1_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Entries of unknown versions are skipped; a header with no usable entry at all is
 * malformed. The body's HMAC is computed once per key, however many entries there are.
 * `v1a` entries cost nothing unless the source has public keys: the signed bytes are then
 * joined once, and at most one entry per public key is checked (a longer list of `v1a`
 * entries cannot buy more ed25519 work than the keys that could match).
 */
function verifySignatures(header: string, content: Buffer[], keys: StandardWebhooksKeys): void {
  const entries = header.split(' ').filter((entry) => entry !== '');
  if (entries.length > MAX_SIGNATURE_CANDIDATES) {
    throw new WebhookVerificationError('malformed_signature', tooManySignatures(SIGNATURE_HEADER, MAX_SIGNATURE_CANDIDATES));
  }
  // Node joins a repeated header with ", ": an entry ending in a comma is a header sent twice.
  if (entries.some((entry) => entry.endsWith(','))) {
    throw new WebhookVerificationError('malformed_signature', headerRepeated(SIGNATURE_HEADER));
  }
  let usable = 0;
  let expectedHmacs: Buffer[] | undefined;
  let signedBytes: Buffer | undefined;
  let v1aChecks = 0;
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    const version = entry.slice(0, comma);
    const text = entry.slice(comma + 1);
    if (version === 'v1') {
      if (!V1_SIGNATURE.test(text)) continue;
      usable += 1;
      // Compared as canonical base64 text, as the reference implementation does: no decoding per entry.
      expectedHmacs ??= keys.symmetric.map((key) => Buffer.from(hmac('sha256', key, ...content).toString('base64')));
      if (matchesAny(expectedHmacs, Buffer.from(text))) return;
    } else if (version === 'v1a') {
      const signature = decodeSignature(text, 'base64', ED25519_SIGNATURE_BYTES);
      if (!signature) continue;
      usable += 1;
      if (v1aChecks >= keys.publicKeys.length) continue;
      v1aChecks += 1;
      signedBytes ??= Buffer.concat(content);
      const signed = signedBytes;
      if (keys.publicKeys.some((key) => verifyEd25519(null, signed, key, signature))) return;
    } else if (/^v\d+[a-z]?$/.test(version)) {
      usable += 1; // a well-formed entry of a version we do not check
    }
  }
  if (usable === 0) throw new WebhookVerificationError('malformed_signature', noUsableSignature(SIGNATURE_HEADER));
  throw new WebhookVerificationError('invalid_signature', noSignatureMatches(SIGNATURE_HEADER));
}

/** Compares against every expected digest, so the time taken does not tell which key matched. */
function matchesAny(expected: readonly Buffer[], signature: Buffer): boolean {
  let matched = false;
  for (const digest of expected) if (bytesEqual(digest, signature)) matched = true;
  return matched;
}

function eventTypeOf(delivery: IncomingWebhook): string | undefined {
  const type = fieldOf(delivery.json(), 'type');
  return typeof type === 'string' ? type : undefined;
}

function decodeKey(base64: string, kind: string, length?: number): Buffer {
  const key = decodeBase64(base64);
  if (!key || (length !== undefined && key.length !== length)) {
    throw new WebhookConfigurationError(
      providerCannot('standard-webhooks', `takes a ${kind} secret only as base64${length ? ` of ${length} bytes` : ''}`),
    );
  }
  return key;
}

function publicKeyFrom(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

function privateKeyFrom(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * A secret without a prefix is used as a bare HMAC key, as the reference library does. A
 * public key pasted without its `whpk_` prefix would then silently become an HMAC key that
 * no sender uses: 32 bytes is exactly an ed25519 public key's size, so say so at start-up.
 */
function bareKeyWarnings({ secrets }: WebhookCredentials): string[] {
  return secrets
    .filter((secret) => !/^wh(sec|pk|sk)_/.test(secret) && decodeBase64(secret)?.length === ED25519_KEY_BYTES)
    .map(
      () =>
        'configured with a secret without a prefix that decodes to 32 bytes, the size of an ed25519 public key. ' +
        'It is used as an HMAC key; if it is a public key, write it as whpk_<base64> so v1a signatures are checked.',
    );
}
