import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingWebhook } from '../../core/incoming-webhook.js';
import type { VerifiedWebhook, WebhookProvider } from '../../core/webhook-provider.js';
import { WebhookConfigurationError, WebhookVerificationError } from '../../core/errors/index.js';
import { selfCheckForeignDelivery, selfCheckSignsItself } from '../../core/errors/webhook.messages.js';
import { WebhookVerifier } from '../../core/webhook-verifier.js';
import type { WebhookSource } from '../webhook-sources.js';
import { SELF_CHECK_SOURCE } from '../webhooks.constants.js';

/** The header carrying the check's one-time token and the body kind, `<token>.<kind>`. */
export const SELF_CHECK_TOKEN_HEADER = 'x-webhooks-self-check';
/** The header carrying the HMAC-SHA256 of the body under the check's one-time key. */
export const SELF_CHECK_SIGNATURE_HEADER = 'x-webhooks-self-check-signature';

/** What the verifier saw of one self-check delivery. */
export interface SelfCheckSighting {
  readonly bytes: Buffer;
  readonly signatureMatches: boolean;
}

/**
 * One run of the self-check: a random token and key that only this process knows,
 * and the bytes its verifier saw per body kind. It serves as the source of the
 * module's own route while the check runs; nothing it accepts reaches a handler.
 */
export class SelfCheckProbe {
  private readonly token = randomBytes(24).toString('hex');
  private readonly key = randomBytes(32);
  private readonly sightings = new Map<string, SelfCheckSighting>();

  /** The headers that make a body a signed self-check delivery of `kind`. */
  sign(kind: string, body: Buffer): Record<string, string> {
    return {
      [SELF_CHECK_TOKEN_HEADER]: `${this.token}.${kind}`,
      [SELF_CHECK_SIGNATURE_HEADER]: this.signature(body).toString('hex'),
    };
  }

  /** What the verifier saw of the delivery of `kind`, if it got that far. */
  sighting(kind: string): SelfCheckSighting | undefined {
    return this.sightings.get(kind);
  }

  /** The probe as the source the guard routes `_self-check` deliveries to. */
  asSource(): WebhookSource {
    const provider = this.provider();
    const verifier = new WebhookVerifier({ provider, toleranceSeconds: 0 });
    const resolved = { verifier, tenant: undefined, scope: undefined };
    return {
      name: SELF_CHECK_SOURCE,
      provider,
      toleranceSeconds: 0,
      url: undefined,
      fixedVerifier: verifier,
      verifierFor: () => resolved,
    };
  }

  private provider(): WebhookProvider<undefined> {
    return {
      name: 'self-check',
      sensitiveHeaders: [SELF_CHECK_TOKEN_HEADER, SELF_CHECK_SIGNATURE_HEADER],
      methods: ['POST'],
      prepareKeys: () => undefined,
      verify: (delivery) => this.see(delivery),
      parse: () => Promise.resolve({ payload: undefined, attachments: undefined }),
      sign: () => {
        throw new WebhookConfigurationError(selfCheckSignsItself());
      },
    };
  }

  /** Records the bytes of a delivery carrying this run's token, whatever became of them on the way. */
  private see(delivery: IncomingWebhook): VerifiedWebhook {
    const [token, kind] = (delivery.headers.single(SELF_CHECK_TOKEN_HEADER, 'malformed_signature') ?? '').split('.');
    if (!token || !kind || !sameText(token, this.token)) {
      throw new WebhookVerificationError('invalid_signature', selfCheckForeignDelivery());
    }
    const received = Buffer.from(
      delivery.headers.single(SELF_CHECK_SIGNATURE_HEADER, 'malformed_signature') ?? '',
      'hex',
    );
    const expected = this.signature(delivery.rawBody);
    const signatureMatches = received.length === expected.length && timingSafeEqual(received, expected);
    this.sightings.set(kind, { bytes: delivery.rawBody, signatureMatches });
    return { deliveryId: `self-check-${kind}`, event: undefined, timestamp: undefined };
  }

  private signature(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
