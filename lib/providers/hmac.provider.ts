import { randomUUID } from 'node:crypto';
import { hmac, signatureDigestId, type HmacAlgorithm, type SignatureEncoding } from '../core/crypto.js';
import { prepareSharedSecrets, signingKey, verifyHmacSignature } from '../core/hmac-signature.js';
import type { IncomingWebhook } from '../core/incoming-webhook.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../core/errors/index.js';
import { headerMalformed, optionInvalid } from '../core/errors/webhook.messages.js';
import { assertWithinWindow, parseEpochTimestamp } from '../core/timestamp.js';
import { parseWebhookBody } from '../core/webhook-body.js';
import type { WebhookProvider } from '../core/webhook-provider.js';

/** The hash functions `hmacProvider` accepts. */
export type HmacProviderAlgorithm = Exclude<HmacAlgorithm, 'sha1'>;

/** How a sender that signs the raw body alone with an HMAC writes its headers. */
export interface HmacProviderOptions {
  /** The provider's name in `WebhookContext.provider` and in logs. Default: `'hmac'`. */
  readonly name?: string;
  /** The header that carries the signature, e.g. `'x-hub-signature-256'` (any case). */
  readonly signatureHeader: string;
  /** The HMAC hash function (SHA-1 is refused: only the presets of senders that still use it have it). */
  readonly algorithm: HmacProviderAlgorithm;
  /** How the signature is written. */
  readonly encoding: SignatureEncoding;
  /** Text before the signature in the header, e.g. `'sha256='`. */
  readonly prefix?: string;
  /** The header with the sender's delivery id. Without it, a digest of the signature is the id. */
  readonly idHeader?: string;
  /** The header with the event type used to route deliveries. */
  readonly eventHeader?: string;
  /**
   * A header with the send time (epoch seconds, or milliseconds when 13+ digits). It is
   * not signed, so it only feeds the replay window; it does not prove freshness.
   */
  readonly timestampHeader?: string;
  /**
   * The media type the sender sends (default `application/json`): what `sign` writes, and
   * what the start-up self-check proves the app keeps byte for byte (e.g. `text/plain`).
   */
  readonly contentType?: string;
}

/**
 * Declares a sender whose signature is an HMAC of the raw body alone.
 *
 * @example GitHub
 * ```ts
 * const github = hmacProvider({
 *   name: 'github',
 *   signatureHeader: 'x-hub-signature-256',
 *   algorithm: 'sha256',
 *   encoding: 'hex',
 *   prefix: 'sha256=',
 *   idHeader: 'x-github-delivery',
 *   eventHeader: 'x-github-event',
 * });
 * ```
 */
export function hmacProvider(options: HmacProviderOptions): WebhookProvider<Buffer[]> {
  const settings = checkOptions(options);
  const { name, signatureHeader, prefix, idHeader, eventHeader, timestampHeader } = settings;
  const scheme = { algorithm: settings.algorithm, encoding: settings.encoding };

  return {
    name,
    sensitiveHeaders: [signatureHeader],
    senderHeaders: [idHeader, eventHeader, timestampHeader].filter((header): header is string => header !== undefined),
    methods: ['POST'],
    contentType: options.contentType ?? 'application/json',
    summary: {
      sender: 'any sender that signs the body alone',
      secret: 'the shared secret',
      signatureHeader: 'your `signatureHeader`, after an optional `prefix`',
      signedContent: 'body',
      algorithm: 'HMAC-SHA256/384/512, hex or base64',
      deliveryId: 'your `idHeader`, else digest',
      event: 'your `eventHeader`',
      timestamp: 'your `timestampHeader` (not signed: it narrows replays only)',
      handshake: 'none',
      checkedAgainst: '`@octokit/webhooks-methods` (as a GitHub declaration)',
    },

    prepareKeys: ({ secrets }) => prepareSharedSecrets(secrets, name),

    verify(delivery, keys, policy) {
      const received = delivery.headers.required(signatureHeader, 'missing_signature', 'malformed_signature');
      if (!received.startsWith(prefix)) {
        throw new WebhookVerificationError(
          'malformed_signature',
          headerMalformed(signatureHeader, `must start with "${prefix}"`),
        );
      }
      const deliveryIdHeader =
        idHeader && delivery.headers.required(idHeader, 'malformed_signature', 'malformed_signature');
      const timestamp = timestampHeader ? readTimestamp(delivery, timestampHeader) : undefined;
      if (timestamp) assertWithinWindow(timestamp, policy);
      const signature = verifyHmacSignature(received.slice(prefix.length), signatureHeader, scheme, keys, [
        delivery.rawBody,
      ]);
      return {
        deliveryId: deliveryIdHeader || signatureDigestId(signature),
        event: eventHeader ? delivery.headers.single(eventHeader, 'malformed_signature') : undefined,
        timestamp,
      };
    },

    parse: parseWebhookBody,

    sign(input, keys) {
      const signature = hmac(scheme.algorithm, signingKey(keys, name), input.payload).toString(scheme.encoding);
      const headers: Record<string, string> = {
        'content-type': options.contentType ?? 'application/json',
        [signatureHeader]: `${prefix}${signature}`,
      };
      if (idHeader) headers[idHeader] = input.id ?? randomUUID();
      if (eventHeader && input.event !== undefined) headers[eventHeader] = input.event;
      if (timestampHeader) headers[timestampHeader] = String(Math.floor(input.timestamp.getTime() / 1000));
      return { headers, body: input.payload };
    },
  };
}

function readTimestamp(delivery: IncomingWebhook, header: string): Date {
  const text = delivery.headers.required(header, 'missing_timestamp', 'malformed_timestamp');
  return parseEpochTimestamp(text, header);
}

function checkOptions(options: HmacProviderOptions) {
  const algorithms: readonly HmacProviderAlgorithm[] = ['sha256', 'sha384', 'sha512'];
  if (!algorithms.includes(options.algorithm)) {
    throw new WebhookConfigurationError(optionInvalid('hmacProvider: algorithm', `one of ${algorithms.join(', ')}`));
  }
  if (options.encoding !== 'hex' && options.encoding !== 'base64') {
    throw new WebhookConfigurationError(optionInvalid('hmacProvider: encoding', '"hex" or "base64"'));
  }
  if (!options.signatureHeader) {
    throw new WebhookConfigurationError(optionInvalid('hmacProvider: signatureHeader', 'a header name'));
  }
  return {
    name: options.name ?? 'hmac',
    algorithm: options.algorithm,
    encoding: options.encoding,
    prefix: options.prefix ?? '',
    signatureHeader: options.signatureHeader.toLowerCase(),
    idHeader: options.idHeader?.toLowerCase(),
    eventHeader: options.eventHeader?.toLowerCase(),
    timestampHeader: options.timestampHeader?.toLowerCase(),
  };
}
