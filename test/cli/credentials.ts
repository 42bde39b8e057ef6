import { generateKeyPairSync } from 'node:crypto';

/** What the command line is given for one provider: the secret, and a private key PEM for key-pair senders. */
export interface CliCredentials {
  readonly secret: string;
  readonly privateKeyPem?: string;
}

const ed25519 = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
/** A distinctive shared secret, searched for in every output. */
export const CLI_SECRET = 'cli-secret-Wq83Zp';
/** base64 of 32 bytes of key material, for the Standard Webhooks family. */
const WHSEC = `whsec_${Buffer.from('cli-secret-key-material-Wq83Zp-0').toString('base64')}`;

/** Each provider's credentials in the form its sender uses. */
export function credentialsFor(provider: string): CliCredentials {
  switch (provider) {
    case 'standard-webhooks':
    case 'svix':
    case 'clerk':
    case 'resend':
      return { secret: WHSEC };
    case 'discord':
      return {
        secret: ed25519.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'),
        privateKeyPem: ed25519.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      };
    case 'sendgrid':
      return {
        secret: p256.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        privateKeyPem: p256.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      };
    default:
      return { secret: CLI_SECRET };
  }
}
