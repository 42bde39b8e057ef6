import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { signWebhook, verifyWebhook, type WebhookSecret } from '../../lib/index.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const BODY = Buffer.alloc(5 * 1024 * 1024, 0x61);
const now = new Date();

/**
 * The median over `rounds` of `measured`'s time divided by `baseline`'s, each round timing
 * both back to back: a ratio in one run, as steady as a shared machine allows.
 */
function medianRatio(measured: () => void, baseline: () => void, rounds = 9): number {
  const time = (run: () => void): number => {
    const start = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - start);
  };
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round += 1) ratios.push(time(measured) / time(baseline));
  return ratios.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

/** A delivery signed with `SECRET`, whose signature header is replaced by `signatures`. */
function deliveryWith(signatures: string): { headers: Record<string, string>; rawBody: Buffer } {
  const signed = signWebhook({
    provider: 'standard-webhooks',
    secret: SECRET,
    payload: BODY,
    id: 'msg_cost',
    timestamp: now,
  });
  return { headers: { ...signed.headers, 'webhook-signature': signatures }, rawBody: BODY };
}

/**
 * A well-formed ed25519 signature that does not match. Its S half is kept below the group order,
 * so the verifier must hash the whole message to refuse it (a random S would usually be refused
 * at once, and measure nothing).
 */
const bogusV1a = (): string => {
  const signature = randomBytes(64);
  signature[63]! &= 0x0f;
  return `v1a,${signature.toString('base64')}`;
};

describe('Standard Webhooks: v1a entries cost nothing they cannot earn', () => {
  const valid = signWebhook({
    provider: 'standard-webhooks',
    secret: SECRET,
    payload: BODY,
    id: 'msg_cost',
    timestamp: now,
  });
  const oneV1Check = () =>
    verifyWebhook({ provider: 'standard-webhooks', secret: SECRET, headers: valid.headers, rawBody: BODY, now });

  it('refuses a 5 MB body with 16 v1a entries, for a source without public keys, in at most 2x one v1 check', () => {
    const flooded = deliveryWith(Array.from({ length: 16 }, bogusV1a).join(' '));
    const refuse = () => {
      expect(() => verifyWebhook({ provider: 'standard-webhooks', secret: SECRET, ...flooded, now })).toThrow(
        'No signature',
      );
    };
    oneV1Check();
    refuse();
    const ratio = medianRatio(refuse, oneV1Check);
    expect(ratio).toBeLessThan(2);
  });

  it('checks at most one v1a entry per public key: 16 entries cost about one ed25519 check', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const secret: WebhookSecret = [SECRET, `whpk_${raw.toString('base64')}`];
    const one = deliveryWith(bogusV1a());
    const sixteen = deliveryWith(Array.from({ length: 16 }, bogusV1a).join(' '));
    const refuse = (delivery: typeof one) => () => {
      expect(() => verifyWebhook({ provider: 'standard-webhooks', secret, ...delivery, now })).toThrow();
    };
    refuse(one)();
    refuse(sixteen)();
    const ratio = medianRatio(refuse(sixteen), refuse(one), 7);
    // One entry per key is checked, however many there are; 16 checks would be ~16x.
    expect(ratio).toBeLessThan(2);
  });

  it('still accepts a valid v1a entry among bogus ones when it is among the first per key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    const signed = signWebhook({
      provider: 'standard-webhooks',
      secret: `whsk_${seed.toString('base64')}`,
      payload: '{"type":"a"}',
      id: 'msg_v1a',
      timestamp: now,
    });
    const headers = {
      ...signed.headers,
      'webhook-signature': `v1,${randomBytes(32).toString('base64')} ${signed.headers['webhook-signature']} ${bogusV1a()}`,
    };
    const verified = verifyWebhook({
      provider: 'standard-webhooks',
      secret: `whpk_${raw.toString('base64')}`,
      headers,
      rawBody: signed.body,
      now,
    });
    expect(verified.deliveryId).toBe('msg_v1a');
  });
});
