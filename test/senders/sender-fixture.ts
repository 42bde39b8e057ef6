import type { KeyObject } from 'node:crypto';
import type { WebhookSecret } from '../../lib/index.js';

/** A delivery exactly as it goes over the wire. */
export interface WireDelivery {
  /** Header names as the sender writes them (any case). */
  readonly headers: Record<string, string>;
  /** The exact body bytes. */
  readonly body: Buffer;
  /** `POST` unless said otherwise. */
  readonly method?: 'POST' | 'GET';
}

/** What the library must read from a delivery. */
export interface ExpectedFacts {
  readonly deliveryId: string;
  readonly event: string | undefined;
  /** The sender's timestamp, where it has one. */
  readonly timestamp?: Date;
}

/** A handshake the module answers itself after verification, and the answer the sender expects. */
export interface HandshakeCase {
  readonly name: string;
  /** Signed as the sender signs it, for `url` (the URL the request is sent to) at `now`. */
  delivery(input: { url: string; now: Date }): Promise<WireDelivery> | WireDelivery;
  readonly expected: {
    readonly status: number;
    /** The media type of the answer, without parameters; absent for no body. */
    readonly contentType?: string;
    /** The exact body text, or a check of it. */
    readonly body?: string | ((body: string) => void);
  };
}

/**
 * One preset as the whole-app suites, the hostile-input suite and `bench:verify` see it:
 * how its sender's own SDK (or a published example) signs a delivery, and what the
 * library must make of it. One file per preset in `test/senders/`, beside its provider's
 * unit tests in `test/providers/`.
 */
export interface SenderFixture {
  /** The preset's name, as in `sources: { <name>: { secret } }`. */
  readonly provider: string;
  /** What a source is configured with to verify (for Discord and SendGrid: the public key). */
  readonly secret: WebhookSecret;
  /** What `signWebhook` signs with, when it is not `secret` (Discord, SendGrid: the private key). */
  readonly privateKey?: KeyObject | string;
  /** Whether the sender signs the URL it calls (Twilio, Square, HubSpot). */
  readonly signsUrl?: boolean;
  /** Where the realistic delivery came from: the SDK's name, or the published example. */
  readonly signedBy: string;
  /**
   * A realistic delivery, signed by the sender's own SDK where it signs (else by the
   * library's `signWebhook`, checked by the SDK in `sdkAccepts`), sent to `url` at `now`.
   */
  delivery(input: { url: string; now: Date }): Promise<WireDelivery> | WireDelivery;
  /** The facts the library must read from {@link delivery}. */
  readonly expected: ExpectedFacts;
  /**
   * The sender's own SDK's verdict on a delivery (what `signWebhook` wrote), where the SDK
   * verifies; `undefined` when the SDK cannot verify (then `delivery` is SDK-signed).
   */
  sdkAccepts?(input: { delivery: WireDelivery; url: string; now: Date }): Promise<boolean> | boolean;
  /** The handshakes of this sender, answered by the module itself. */
  readonly handshakes?: readonly HandshakeCase[];
  /**
   * The floor for `bench:verify`: the least work node:crypto must do to check this delivery
   * (the same signed content through one `createHmac`, or one `crypto.verify` for public-key
   * senders), with no parsing beyond what finding the signature needs.
   */
  floor(input: { delivery: WireDelivery; url: string }): boolean;
}
