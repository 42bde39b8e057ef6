import { hash } from 'node:crypto';
import { bytesEqual, hmac, signatureDigestId } from '../core/crypto.js';
import { prepareSharedSecrets, verifyHmacSignature, type HmacScheme } from '../core/hmac-signature.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import { providerCannot, tokenMismatch } from '../core/errors/webhook.messages.js';
import { fieldOf, textFieldOf, type IncomingWebhook } from '../core/incoming-webhook.js';
import { lazyVerifiedWebhook, type LazyWebhookFields } from '../core/lazy-verified-webhook.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

const SIGNATURE_HEADER = 'hmac';
const TOKEN_HEADER = 'token';
const SCHEME: HmacScheme = { algorithm: 'sha256', encoding: 'hex' };

interface SurvicateKeys {
  readonly secrets: readonly Buffer[];
  readonly token?: { readonly value: string; readonly digest: Buffer };
}

/**
 * Survicate: the `Hmac` header is the lowercase hex HMAC-SHA256 of the raw body; the
 * `Token` header carries the workspace's verification token in plain text, checked
 * as well when a token is configured (or alone, if only a token is configured).
 * `messageId` in the body identifies the delivery; the single key of `event` names it.
 */
export const survicateProvider: WebhookProvider<SurvicateKeys> = {
  name: 'survicate',
  sensitiveHeaders: [SIGNATURE_HEADER, TOKEN_HEADER],
  methods: ['POST'],
  contentType: 'application/json',
  summary: {
    sender: 'Survicate',
    secret: 'signing secret (and optionally the verification token)',
    signatureHeader: '`Hmac` (hex); `Token` in clear',
    signedContent: 'body; `Token` compared to the configured token when one is set',
    algorithm: 'HMAC-SHA256, hex',
    deliveryId: 'body `messageId`, else digest',
    event: 'the single key of body `event`',
    timestamp: 'none',
    handshake: 'none',
    checkedAgainst: "Survicate's webhook documentation (its PHP verification example)",
  },
  examples: [
    {
      event: 'questionAnswered',
      payload: {
        messageId: 'msg-6f1c2a90-survicate',
        deliveryTries: 0,
        event: {
          questionAnswered: {
            survey: { id: 'a1b2c3', name: 'Checkout satisfaction' },
            url: 'https://shop.example.com/checkout/done',
            timestamp: '2026-11-23T10:15:00Z',
            respondent: { id: 'r-42', platform: 'web', userAgent: 'Mozilla/5.0', attributes: { plan: 'pro' } },
            question: { id: 77, body: 'How easy was it to pay?' },
            choice: { id: 3, body: 'Very easy', comment: 'Apple Pay just worked' },
          },
        },
      },
    },
  ],

  prepareKeys({ secrets, token }) {
    if (secrets.length === 0 && !token) {
      throw new WebhookConfigurationError(
        providerCannot('survicate', 'needs a signing secret (and optionally a token)'),
      );
    }
    return {
      secrets: secrets.length > 0 ? prepareSharedSecrets(secrets, 'survicate') : [],
      token: token ? { value: token, digest: digestOf(token) } : undefined,
    };
  },

  credentialWarnings({ secrets, token }) {
    return secrets.length === 0 && token
      ? ['verified by its plain-text Token header only; configure the signing secret for an HMAC check.']
      : [];
  },

  verify(delivery, keys) {
    let signature: Buffer | undefined;
    if (keys.secrets.length > 0) {
      const received = delivery.headers.required(SIGNATURE_HEADER, 'missing_signature', 'malformed_signature');
      signature = verifyHmacSignature(received, SIGNATURE_HEADER, SCHEME, keys.secrets, [delivery.rawBody]);
    }
    if (keys.token) verifyToken(delivery, keys.token.digest);
    // Read from the body only when asked for: verifying a large body need not parse it (nor hash
    // it for an id when the body has its `messageId`).
    return lazyVerifiedWebhook(FROM_BODY, { delivery, signature });
  },

  parse: parseWebhookBody,

  sign(input, keys) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const signingSecret = keys.secrets[0];
    if (signingSecret) headers[SIGNATURE_HEADER] = hmac(SCHEME.algorithm, signingSecret, input.payload).toString('hex');
    const token = input.token ?? keys.token?.value;
    if (token) headers[TOKEN_HEADER] = token;
    return { headers, body: input.payload };
  },
};

function verifyToken(delivery: IncomingWebhook, expectedDigest: Buffer): void {
  const received = delivery.headers.single(TOKEN_HEADER, 'invalid_token');
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  if (received === undefined || !bytesEqual(digestOf(received), expectedDigest)) {
    throw new WebhookVerificationError('invalid_token', tokenMismatch('Token'));
  }
}

function digestOf(value: string | Buffer): Buffer {
  return hash('sha256', value, 'buffer');
}

function messageIdOf(delivery: IncomingWebhook): string | undefined {
  return textFieldOf(delivery.json(), 'messageId');
}

/** The event's name is the single key of the body's `event` object. */
function eventNameOf(body: unknown): string | undefined {
  const event = fieldOf(body, 'event');
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const names = Object.keys(event);
  return names.length === 1 ? names[0] : undefined;
}

/** The body's `messageId` (else a digest of the signature, or of the body) and event, on first access. */
const FROM_BODY: LazyWebhookFields<{ readonly delivery: IncomingWebhook; readonly signature: Buffer | undefined }> = {
  deliveryId: ({ delivery, signature }) =>
    messageIdOf(delivery) ?? signatureDigestId(signature ?? digestOf(delivery.rawBody)),
  event: ({ delivery }) => eventNameOf(delivery.json()),
};
