import type { KeyObject } from 'node:crypto';
import type { IncomingWebhook } from './incoming-webhook.js';
import type { WebhookAttachmentInput } from './webhook-attachment.js';
import type { ParsedWebhookBody } from './webhook-body.js';
import type { WebhookResponse } from './webhook-response.js';

/**
 * What a delivery was proven to be. Fields a sender puts in the body (Stripe's `id`,
 * Standard Webhooks' `type`) may be getters read on first access, so verifying does not
 * pay for parsing a body nobody looks into.
 */
export interface VerifiedWebhook {
  /** The sender's id for this delivery (or a digest of its signature), for de-duplication. */
  readonly deliveryId: string;
  /** The event type used to route the delivery to handlers, where the sender has one. */
  readonly event: string | undefined;
  /** When the sender says it sent the delivery, where it says so. */
  readonly timestamp: Date | undefined;
  /**
   * Set for a handshake the sender checks the endpoint with (Slack's `url_verification`,
   * Zoom's `endpoint.url_validation`, Discord's PING, Twitch's challenge): the module sends
   * this answer itself, after verification; no handler runs and nothing is stored.
   */
  readonly handshake?: WebhookResponse;
  /**
   * The answer the sender expects when no handler answers (Discord's webhook events: 204).
   * Absent: the module's usual `200` receipt.
   */
  readonly acknowledgement?: WebhookResponse;
}

/** The secrets of one source, as configured. */
export interface WebhookCredentials {
  /** Every secret currently valid (rotation: a delivery is valid if one of them matches). Possibly empty. */
  readonly secrets: readonly string[];
  /** A second credential some senders send in clear beside a signature (Survicate's token), when configured. */
  readonly token?: string;
}

/** How strict verification is for one call. */
export interface VerificationPolicy {
  /** Largest accepted distance between the sender's timestamp and `now`, in seconds; 0 turns the check off. */
  readonly toleranceSeconds: number;
  /** The current time. */
  readonly now: Date;
}

/** What a provider signs: the body bytes and the per-delivery values a sender chooses. */
export interface ProviderSignInput {
  /** The body (for Usersnap, the `feedback` part's content) as bytes. */
  readonly payload: Buffer;
  /** The delivery id to write, where the sender sends one; a fresh one otherwise. */
  readonly id?: string;
  /** The time to sign with. */
  readonly timestamp: Date;
  /** The event type to write, where the sender sends it in a header. */
  readonly event?: string;
  /** A token the sender sends in clear (Survicate's Token header). */
  readonly token?: string;
  /** Extra multipart parts (Usersnap). */
  readonly attachments?: readonly WebhookAttachmentInput[];
  /** The full URL the delivery is sent to, for senders that sign it. */
  readonly url?: string;
  /** The HTTP method, for senders that sign it (default `POST`). */
  readonly method?: string;
  /** The private key of a sender that signs with one (Discord, SendGrid): a `KeyObject` or PKCS#8 PEM. */
  readonly privateKey?: KeyObject | string;
}

/** A delivery ready to send: headers (content-type included) and the exact body bytes. */
export interface SignedWebhook {
  /** Lower-case header names and their values. */
  readonly headers: Record<string, string>;
  /** The body; empty for a bodiless (GET) delivery. */
  readonly body: Buffer;
}

/**
 * One realistic delivery a sender makes, for the command line and docs: what
 * `npx nestjs-signed-webhooks send <provider> --event <event>` sends when no payload is given.
 */
export interface WebhookExample {
  /** The event type this delivery is, as {@link VerifiedWebhook.event} reads it; `undefined` for senders without one. */
  readonly event: string | undefined;
  /**
   * The payload: a value (encoded as the sender encodes it, as `signWebhook`'s `payload`) or
   * the body's exact text, for senders whose byte layout matters (pretty-printed JSON, escaped slashes).
   */
  readonly payload: unknown;
}

/** HTTP methods a sender delivers with. */
export type WebhookMethod = 'POST' | 'GET';

/**
 * How a sender signs, in words: one row of the senders table in the docs, written by a
 * script from the providers' own declarations. Short phrases; code in backticks.
 */
export interface WebhookProviderSummary {
  /** The sender's product name, e.g. `'Stripe'`. */
  readonly sender: string;
  /** What the user configures as the secret, e.g. "endpoint secret `whsec_...`". */
  readonly secret: string;
  /** The header that carries the signature, and its shape. */
  readonly signatureHeader: string;
  /** Exactly what is signed, e.g. "`<t>.<body>`". */
  readonly signedContent: string;
  /** The algorithm and encoding, e.g. "HMAC-SHA256, hex". */
  readonly algorithm: string;
  /** Where the delivery id comes from (what de-duplication keys on). */
  readonly deliveryId: string;
  /** Where the event type comes from (what handlers route on). */
  readonly event: string;
  /** The timestamp and its default window, or why there is none. */
  readonly timestamp: string;
  /** The handshake the module answers itself, or "none". */
  readonly handshake: string;
  /** The sender's code or documents this provider was checked against. */
  readonly checkedAgainst: string;
}

/**
 * Everything one sender does differently: which headers it reads, what bytes are signed
 * and how, where its delivery id, event type and timestamp come from, how its body becomes
 * a payload, and how it answers handshakes. The only place that knows a sender: write one
 * for a sender no preset covers, with the helpers this package exports (see `docs/providers.md`).
 *
 * `TKeys` is the provider's own form of the secrets, prepared once per configuration by
 * {@link WebhookProvider.prepareKeys} (decoded bytes, key objects).
 */
export interface WebhookProvider<TKeys = unknown> {
  /** The provider's name: what configuration and `verifyWebhook` call it, and what logs show. */
  readonly name: string;
  /** Lower-case names of headers that carry a signature or token: never logged, shown or stored. */
  readonly sensitiveHeaders: readonly string[];
  /** Lower-case names of the other headers the sender sends that its handlers may need (kept in queued jobs). */
  readonly senderHeaders?: readonly string[];
  /** The HTTP methods the sender delivers with. */
  readonly methods: readonly WebhookMethod[];
  /**
   * The media type of the bodies the sender sends (`application/json` when absent). `sign`
   * writes it, and the start-up self-check proves the app keeps such bodies byte for byte.
   */
  readonly contentType?: string;
  /** The replay window when the configuration sets none, in seconds (default 300). */
  readonly defaultToleranceSeconds?: number;
  /** Whether the sender signs the URL it called: the module then rebuilds it, and `verifyWebhook` needs `url`. */
  readonly signsUrl?: boolean;
  /** How the sender signs, for the docs' senders table. */
  readonly summary?: WebhookProviderSummary;
  /** Realistic deliveries the sender makes, for the command line and docs (one or two, real event names). */
  readonly examples?: readonly WebhookExample[];
  /**
   * Checks and prepares the secrets once; throws `WebhookConfigurationError` for credentials
   * this sender cannot use.
   */
  prepareKeys(credentials: WebhookCredentials): TKeys;
  /** Warnings about credentials that work but are weak or likely mistaken (logged once at start-up). */
  credentialWarnings?(credentials: WebhookCredentials): readonly string[];
  /** Proves the delivery authentic or throws `WebhookVerificationError`. */
  verify(delivery: IncomingWebhook, keys: TKeys, policy: VerificationPolicy): VerifiedWebhook;
  /** Turns a verified delivery's body into the payload handlers receive. */
  parse(delivery: IncomingWebhook): Promise<ParsedWebhookBody>;
  /**
   * The body bytes of a payload given to `sign` as a value (an object): JSON when absent.
   * Senders that post forms (Twilio) encode them as the sender does.
   */
  encodePayload?(payload: unknown): Buffer;
  /** Produces a delivery exactly as the sender would send it. */
  sign(input: ProviderSignInput, keys: TKeys): SignedWebhook;
}
