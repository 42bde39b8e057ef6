import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { WebhookConfigurationError } from './errors/index.js';
import { providerCannot } from './errors/webhook.messages.js';

/** The DER prefix that wraps a raw 32-byte ed25519 public key as SPKI. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A raw 32-byte ed25519 public key as a `KeyObject` (wrapped as SPKI), for `crypto.verify(null, ...)`. */
export function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * The private key a public-key sender (Discord, SendGrid, Standard Webhooks `v1a`) signs with: a
 * `KeyObject` or a PKCS#8 PEM, of the sender's key type. Such a sender's verification secret is
 * only the public key, so signing without a private key is a configuration error.
 *
 * @param provider the provider's name, for the message.
 * @param description what key is expected, for the message (e.g. "the application's ed25519 private key").
 * @param check a further check of the key (e.g. its curve).
 */
export function signingKeyOf(
  provider: string,
  given: KeyObject | string | undefined,
  type: 'ed25519' | 'ec',
  description: string,
  check: (key: KeyObject) => boolean = () => true,
): KeyObject {
  const refuse = () =>
    new WebhookConfigurationError(
      providerCannot(provider, `signs only with privateKey: ${description}, as a KeyObject or PKCS#8 PEM`),
    );
  if (given === undefined) throw refuse();
  let key: KeyObject;
  try {
    key = typeof given === 'string' ? createPrivateKey(given) : given;
  } catch {
    throw refuse();
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== type || !check(key)) throw refuse();
  return key;
}
