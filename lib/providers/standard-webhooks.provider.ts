import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as signEd25519,
  verify as verifyEd25519,
  type KeyObject,
} from 'node:crypto';
import { bytesEqual, decodeBase64, decodeSignature, hmac, hmacOfParts } from '../core/crypto.js';
import { fieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import {
  headerRepeated,
  noSignatureMatches,
  noUsableSignature,
  providerCannot,
  secretRequired,
  tooManySignatures,
} from '../core/errors/webhook.messages.js';
import { ed25519PublicKey } from '../core/asymmetric-keys.js';
import { MAX_SIGNATURE_CANDIDATES } from '../core/hmac-signature.js';
import { assertWithinWindow, parseEpochSeconds } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type {
  WebhookCredentials,
  WebhookExample,
  WebhookProvider,
  WebhookProviderSummary,
} from '../core/webhook-provider.js';

const ED25519_SIGNATURE_BYTES = 64;
const ED25519_KEY_BYTES = 32;
/** The DER prefix that wraps a raw 32-byte ed25519 seed as PKCS#8. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The names of the three headers a Standard Webhooks sender writes (lower-case). */
export interface StandardWebhooksHeaders {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
}

/** The specification's own names. */
export const STANDARD_WEBHOOKS_HEADERS: StandardWebhooksHeaders = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
};

/** Svix's names, which Svix, Clerk and Resend send. */
export const SVIX_HEADERS: StandardWebhooksHeaders = {
  id: 'svix-id',
  timestamp: 'svix-timestamp',
  signature: 'svix-signature',
};

/** The secrets of a Standard Webhooks source, prepared. */
export interface StandardWebhooksKeys {
  /** `whsec_` secrets: HMAC keys for `v1` signatures. */
  readonly symmetric: readonly Buffer[];
  /** `whpk_` public keys (and those of `whsk_` keys): check `v1a` signatures. */
  readonly publicKeys: readonly KeyObject[];
  /** The key new deliveries are signed with: the first `whsec_` or `whsk_` entry. */
  readonly signing?:
    { readonly version: 'v1'; readonly key: Buffer } | { readonly version: 'v1a'; readonly key: KeyObject };
}

/** A sender that signs as Standard Webhooks does, under its own name and header names. */
export interface StandardWebhooksFamilyOptions {
  /** The preset's name. */
  readonly name: string;
  /**
   * The header names the sender may use, preferred first; `sign` writes the first. A
   * delivery is read with ONE set, whole: the first set any of whose three headers is
   * present (else the first), so an id or timestamp sent under one set of names is never
   * checked against a signature sent under the other.
   */
  readonly headerSets: readonly [StandardWebhooksHeaders, ...StandardWebhooksHeaders[]];
  /** Non-secret headers of the sender that handlers may need. */
  readonly senderHeaders?: readonly string[];
  /** How the sender signs, for the docs' senders table. */
  readonly summary: WebhookProviderSummary;
  /** Realistic deliveries the sender makes, for the command line and docs. */
  readonly examples?: readonly WebhookExample[];
}

/**
 * A provider for a sender that signs as Standard Webhooks (standardwebhooks.com) does:
 * the `id`, `timestamp` and `signature` headers of {@link StandardWebhooksFamilyOptions.headerSets},
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (and `v1a,<base64 ed25519>`) entries,
 * `whsec_` / `whpk_` / `whsk_` secrets, the body's `type` as the event. Svix, Clerk and
 * Resend are built with it; so is {@link standardWebhooksProvider}.
 */
export function standardWebhooksFamily(options: StandardWebhooksFamilyOptions): WebhookProvider<StandardWebhooksKeys> {
  const { name, headerSets, summary } = options;
  const written = headerSets[0];
  return {
    name,
    sensitiveHeaders: headerSets.map((set) => set.signature),
    // The id and timestamp headers travel with a queued job; the signature never does.
    senderHeaders: options.senderHeaders ?? headerSets.flatMap((set) => [set.id, set.timestamp]),
    methods: ['POST'],
    contentType: 'application/json',
    summary,
    examples: options.examples,

    prepareKeys: ({ secrets }) => prepareStandardKeys(secrets, name),

    credentialWarnings: bareKeyWarnings,

    verify(delivery, keys, policy) {
      const names = headerSetOf(delivery, headerSets);
      const id = delivery.headers.required(names.id, 'malformed_signature', 'malformed_signature');
      const timestampText = delivery.headers.required(names.timestamp, 'missing_timestamp', 'malformed_timestamp');
      const received = delivery.headers.required(names.signature, 'missing_signature', 'malformed_signature');
      const timestamp = parseEpochSeconds(timestampText, names.timestamp);
      assertWithinWindow(timestamp, policy);
      verifySignatures(received, names.signature, [`${id}.${timestampText}.`, delivery.rawBody], keys);
      // Read from the body only when asked for: verifying a large body need not parse it.
      return lazyVerifiedWebhook(EVENT_FROM_BODY, delivery, { deliveryId: id, timestamp });
    },

    parse: parseWebhookBody,

    sign(input, keys) {
      if (!keys.signing) {
        throw new WebhookConfigurationError(
          providerCannot(name, 'signs with a whsec_ or whsk_ secret; a whpk_ public key cannot sign'),
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
          [written.id]: id,
          [written.timestamp]: timestamp,
          [written.signature]: `${keys.signing.version},${signature.toString('base64')}`,
        },
        body: input.payload,
      };
    },
  };
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
export const standardWebhooksProvider: WebhookProvider<StandardWebhooksKeys> = standardWebhooksFamily({
  name: 'standard-webhooks',
  headerSets: [STANDARD_WEBHOOKS_HEADERS],
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
  examples: [
    {
      event: 'invoice.paid',
      payload: {
        type: 'invoice.paid',
        timestamp: '2026-11-23T10:17:00Z',
        data: { invoiceId: 'in_1042', amountCents: 12900, currency: 'EUR' },
      },
    },
  ],
});

/** The header set a delivery is read with: the first any of whose headers is present, else the first. */
function headerSetOf(
  delivery: IncomingWebhook,
  headerSets: readonly [StandardWebhooksHeaders, ...StandardWebhooksHeaders[]],
): StandardWebhooksHeaders {
  if (headerSets.length === 1) return headerSets[0];
  const { headers } = delivery;
  for (const set of headerSets) {
    if (headers.get(set.id) !== undefined || headers.get(set.timestamp) !== undefined) return set;
    if (headers.get(set.signature) !== undefined) return set;
  }
  return headerSets[0];
}

function prepareStandardKeys(secrets: readonly string[], name: string): StandardWebhooksKeys {
  if (secrets.length === 0) throw new WebhookConfigurationError(secretRequired(name));
  const symmetric: Buffer[] = [];
  const publicKeys: KeyObject[] = [];
  let signing: StandardWebhooksKeys['signing'];
  for (const secret of secrets) {
    if (secret.startsWith('whpk_')) {
      publicKeys.push(ed25519PublicKey(decodeKey(secret.slice(5), name, 'whpk_', ED25519_KEY_BYTES)));
    } else if (secret.startsWith('whsk_')) {
      const privateKey = privateKeyFrom(decodeKey(secret.slice(5), name, 'whsk_', ED25519_KEY_BYTES));
      publicKeys.push(createPublicKey(privateKey));
      signing ??= { version: 'v1a', key: privateKey };
    } else {
      // Like the reference implementation, a secret without its prefix is the bare base64 key.
      const key = decodeKey(secret.startsWith('whsec_') ? secret.slice(6) : secret, name, 'whsec_');
      symmetric.push(key);
      signing ??= { version: 'v1', key };
    }
  }
  return { symmetric, publicKeys, signing };
}

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
function verifySignatures(
  header: string,
  headerName: string,
  content: readonly [prefix: string, body: Buffer],
  keys: StandardWebhooksKeys,
): void {
  // The usual header is one `v1,` entry: no list is made for it.
  const entries = header.includes(' ') ? header.split(' ').filter((entry) => entry !== '') : [header];
  if (entries.length > MAX_SIGNATURE_CANDIDATES) {
    throw new WebhookVerificationError('malformed_signature', tooManySignatures(headerName, MAX_SIGNATURE_CANDIDATES));
  }
  // Node joins a repeated header with ", ": an entry ending in a comma is a header sent twice.
  for (const entry of entries) {
    if (entry.endsWith(',')) throw new WebhookVerificationError('malformed_signature', headerRepeated(headerName));
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
      // Only canonical base64 can match, as when the reference implementation compares the text:
      // an entry with stray low bits decodes to the bytes of another and is no match.
      const signature = Buffer.from(text, 'base64');
      if (signature.toString('base64') !== text) continue;
      expectedHmacs ??= keys.symmetric.map((key) => hmacOfParts('sha256', key, content));
      if (matchesAny(expectedHmacs, signature)) return;
    } else if (version === 'v1a') {
      const signature = decodeSignature(text, 'base64', ED25519_SIGNATURE_BYTES);
      if (!signature) continue;
      usable += 1;
      if (v1aChecks >= keys.publicKeys.length) continue;
      v1aChecks += 1;
      signedBytes ??= Buffer.concat([Buffer.from(content[0], 'utf8'), content[1]]);
      const signed = signedBytes;
      if (keys.publicKeys.some((key) => verifyEd25519(null, signed, key, signature))) return;
    } else if (/^v\d+[a-z]?$/.test(version)) {
      usable += 1; // a well-formed entry of a version we do not check
    }
  }
  if (usable === 0) throw new WebhookVerificationError('malformed_signature', noUsableSignature(headerName));
  throw new WebhookVerificationError('invalid_signature', noSignatureMatches(headerName));
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

function decodeKey(base64: string, name: string, kind: string, length?: number): Buffer {
  const key = decodeBase64(base64);
  if (!key || (length !== undefined && key.length !== length)) {
    throw new WebhookConfigurationError(
      providerCannot(name, `takes a ${kind} secret only as base64${length ? ` of ${length} bytes` : ''}`),
    );
  }
  return key;
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

/** The body's `type`, on first access. */
const EVENT_FROM_BODY: LazyWebhookFields<IncomingWebhook> = { event: eventTypeOf };
