import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerifier } from '../../lib/index.js';
import type { WebhookHeaders, WebhookProvider } from '../../lib/index.js';
import { Webhook } from 'svix';
import { flipByte, reasonOf, rejectionOf } from '../core/rejections.js';
import type { SenderFixture, WireDelivery } from '../senders/sender-fixture.js';

/**
 * Svix's published worked example ("Verifying Webhooks Manually", docs.svix.com): this
 * secret, id, timestamp and body give this signature.
 */
export const SVIX_EXAMPLE = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const;

const URL = 'https://hooks.example.com/webhooks/in';

/** The three header values under `svix-*` (or `webhook-*`) names. */
export function named(prefix: 'svix' | 'webhook', id: string, timestamp: string, signature: string) {
  return { [`${prefix}-id`]: id, [`${prefix}-timestamp`]: timestamp, [`${prefix}-signature`]: signature };
}

/** The specification by hand: base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed with the decoded secret. */
export function v1(secret: string, id: string, timestamp: string, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
}

const seconds = (date: Date): string => String(Math.floor(date.getTime() / 1000));

/** What one Svix-delivered preset is tested with. */
export interface SvixFamilyCase {
  readonly provider: WebhookProvider;
  readonly sender: SenderFixture;
  /** The SDK function that judged the deliveries, for test names. */
  readonly sdk: string;
}

/**
 * The tests every Svix-delivered preset (Svix, Clerk, Resend) must pass: the published
 * example, the preset's SDK in both directions, id / event / timestamp, the window,
 * rotation, malformed and duplicated headers, and the choice between `svix-*` and
 * `webhook-*` names.
 */
export function describeSvixFamily({ provider, sender, sdk }: SvixFamilyCase): void {
  const secret = sender.secret as string;
  const sdkAccepts = (delivery: WireDelivery, now = new Date()) =>
    Promise.resolve(sender.sdkAccepts!({ delivery, url: URL, now }));

  function verify(
    headers: WebhookHeaders,
    body: string | Buffer,
    options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
  ) {
    return verifyWebhook({
      provider,
      secret: options.secret ?? secret,
      headers,
      rawBody: Buffer.from(body),
      now: options.now,
      toleranceSeconds: options.toleranceSeconds,
    });
  }

  const SENT = new Date('2024-05-01T12:00:00Z');
  const SENT_S = seconds(SENT);
  const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const BODY = '{"type":"thing.happened","data":{"name":"Jo\u00e3o \u{1F600}","n":1}}';
  const good = v1(secret, ID, SENT_S, BODY);

  describe(`${provider.name}: Svix's published example`, () => {
    const { id, timestamp, body, signature } = SVIX_EXAMPLE;
    const at = new Date(Number(timestamp) * 1000);

    it('verifies it under the svix-* and the webhook-* names', () => {
      expect(v1(SVIX_EXAMPLE.secret, id, timestamp, body)).toBe(signature);
      for (const prefix of ['svix', 'webhook'] as const) {
        const result = verify(named(prefix, id, timestamp, signature), body, { secret: SVIX_EXAMPLE.secret, now: at });
        expect(result).toEqual({ deliveryId: id, event: undefined, timestamp: at });
      }
    });

    it('refuses it after any one-byte change of the body, id or timestamp', () => {
      const options = { secret: SVIX_EXAMPLE.secret, now: at };
      const raw = Buffer.from(body);
      for (let index = 0; index < raw.length; index += 1) {
        expect(
          reasonOf(() => verify(named('svix', id, timestamp, signature), flipByte(raw, index, 0x01), options)),
        ).toBe('invalid_signature');
      }
      expect(reasonOf(() => verify(named('svix', `${id.slice(0, -1)}l`, timestamp, signature), body, options))).toBe(
        'invalid_signature',
      );
      expect(reasonOf(() => verify(named('svix', id, '1614265331', signature), body, options))).toBe(
        'invalid_signature',
      );
    });
  });

  describe(`${provider.name}: against ${sdk}`, () => {
    it('verifies the fixture delivery and reads its id and event; the SDK accepts it too', async () => {
      const now = new Date();
      const delivery = await sender.delivery({ url: URL, now });
      const result = verify(delivery.headers, delivery.body, { now });
      expect(result).toEqual({
        deliveryId: sender.expected.deliveryId,
        event: sender.expected.event,
        timestamp: new Date(Number(seconds(now)) * 1000),
      });
      expect(await sdkAccepts(delivery)).toBe(true);
      expect(sender.floor({ delivery, url: URL })).toBe(true);
    });

    it('has the SDK accept what signWebhook writes, and refuse it after a one-byte change of body, id or timestamp', async () => {
      const now = new Date();
      const signed = signWebhook({ provider, secret, id: ID, timestamp: now, payload: BODY });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        ...named('svix', ID, seconds(now), v1(secret, ID, seconds(now), BODY)),
      });
      expect(await sdkAccepts(signed)).toBe(true);
      const tampered: WireDelivery[] = [
        { headers: signed.headers, body: flipByte(signed.body, 0, 0x01) },
        { headers: signed.headers, body: flipByte(signed.body, signed.body.length - 1, 0x01) },
        { headers: { ...signed.headers, 'svix-id': `${ID}x` }, body: signed.body },
        { headers: { ...signed.headers, 'svix-timestamp': String(Number(seconds(now)) - 1) }, body: signed.body },
      ];
      for (const delivery of tampered) {
        expect(await sdkAccepts(delivery)).toBe(false);
        expect(reasonOf(() => verify(delivery.headers, delivery.body, { now }))).toBe('invalid_signature');
        expect(sender.floor({ delivery, url: URL })).toBe(false);
      }
    });

    it('verifies what the svix SDK signs (Svix delivers for every Svix-based sender), and refuses it tampered', () => {
      const now = new Date();
      const headers = named('svix', ID, seconds(now), new Webhook(secret).sign(ID, now, BODY));
      expect(verify(headers, BODY, { now })).toEqual({
        deliveryId: ID,
        event: 'thing.happened',
        timestamp: new Date(Number(seconds(now)) * 1000),
      });
      expect(reasonOf(() => verify(headers, flipByte(Buffer.from(BODY), 5, 0x20), { now }))).toBe('invalid_signature');
    });

    it('agrees with the SDK on the window edges (its clock is the real one)', async () => {
      for (const [offsetSeconds, accepted] of [
        [-290, true],
        [290, true],
        [-310, false],
        [310, false],
      ] as const) {
        const now = new Date();
        const sent = new Date(now.getTime() + offsetSeconds * 1000);
        const signed = signWebhook({ provider, secret, id: ID, timestamp: sent, payload: BODY });
        expect(await sdkAccepts(signed)).toBe(accepted);
        if (accepted) expect(verify(signed.headers, signed.body, { now }).deliveryId).toBe(ID);
        else expect(reasonOf(() => verify(signed.headers, signed.body, { now }))).toBe('timestamp_out_of_window');
      }
    });
  });

  describe(`${provider.name}: id, event and timestamp`, () => {
    it('reads the id from svix-id, the event from the body type, the timestamp in seconds', () => {
      expect(verify(named('svix', ID, SENT_S, good), BODY, { now: SENT })).toEqual({
        deliveryId: ID,
        event: 'thing.happened',
        timestamp: SENT,
      });
    });

    it('verifies a body that is not an object with a string type, with no event, without throwing', () => {
      for (const body of ['{"type":7}', '[{"type":"x"}]', 'not json {', '', '{"type":"', '\u0000\u00ff']) {
        const result = verify(named('svix', ID, SENT_S, v1(secret, ID, SENT_S, body)), body, { now: SENT });
        expect(result.deliveryId).toBe(ID);
        expect(result.event).toBeUndefined();
      }
    });

    it('writes a msg_ id when none is given and floors the timestamp to seconds', () => {
      const signed = signWebhook({ provider, secret, timestamp: new Date(SENT.getTime() + 999), payload: BODY });
      expect(signed.headers['svix-id']).toMatch(/^msg_[A-Za-z0-9_-]+$/);
      expect(signed.headers['svix-timestamp']).toBe(SENT_S);
      expect(verify(signed.headers, signed.body, { now: SENT }).deliveryId).toBe(signed.headers['svix-id']);
    });
  });

  describe(`${provider.name}: window`, () => {
    const headers = named('svix', ID, SENT_S, good);
    const at = (offsetSeconds: number) => new Date(SENT.getTime() + offsetSeconds * 1000);

    it('accepts 300 s either way and refuses 301 s either way', () => {
      expect(verify(headers, BODY, { now: at(300) }).timestamp).toEqual(SENT);
      expect(verify(headers, BODY, { now: at(-300) }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify(headers, BODY, { now: at(301) }))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(headers, BODY, { now: at(-301) }))).toBe('timestamp_out_of_window');
    });

    it('is configurable and off with 0', () => {
      expect(reasonOf(() => verify(headers, BODY, { now: at(11), toleranceSeconds: 10 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, BODY, { now: new Date('2040-01-01T00:00:00Z'), toleranceSeconds: 0 }).deliveryId).toBe(ID);
    });
  });

  describe(`${provider.name}: rotation`, () => {
    const other = `whsec_${randomBytes(24).toString('base64')}`;

    it('verifies a delivery signed with either secret of [new, old], and signs with the first', () => {
      for (const signer of [other, secret]) {
        const signed = signWebhook({ provider, secret: signer, id: ID, timestamp: SENT, payload: BODY });
        expect(verify(signed.headers, signed.body, { secret: [other, secret], now: SENT }).deliveryId).toBe(ID);
      }
      const signed = signWebhook({ provider, secret: [other, secret], id: ID, timestamp: SENT, payload: BODY });
      expect(signed.headers['svix-signature']).toBe(v1(other, ID, SENT_S, BODY));
      expect(reasonOf(() => verify(signed.headers, signed.body, { secret, now: SENT }))).toBe('invalid_signature');
    });

    it("verifies a header listing the sender's old and new signatures, either first", () => {
      const old = v1(other, ID, SENT_S, BODY);
      expect(verify(named('svix', ID, SENT_S, `${old} ${good}`), BODY, { now: SENT }).deliveryId).toBe(ID);
      expect(verify(named('svix', ID, SENT_S, `${good} ${old}`), BODY, { now: SENT }).deliveryId).toBe(ID);
    });
  });

  describe(`${provider.name}: malformed headers`, () => {
    const base = named('svix', ID, SENT_S, good);
    const without = (name: string) => Object.fromEntries(Object.entries(base).filter(([key]) => key !== name));

    it('refuses a missing signature as missing_signature, naming svix-signature', () => {
      const error = rejectionOf(() => verify(without('svix-signature'), BODY, { now: SENT }));
      expect(error.reason).toBe('missing_signature');
      expect(error.message).toContain('svix-signature');
      expect(reasonOf(() => verify({ ...base, 'svix-signature': '' }, BODY, { now: SENT }))).toBe('missing_signature');
    });

    it('refuses a missing or repeated svix-id as malformed_signature', () => {
      expect(reasonOf(() => verify(without('svix-id'), BODY, { now: SENT }))).toBe('malformed_signature');
      expect(reasonOf(() => verify({ ...base, 'svix-id': [ID, ID] }, BODY, { now: SENT }))).toBe('malformed_signature');
    });

    it('refuses a missing timestamp as missing_timestamp and a bad one as malformed_timestamp', () => {
      expect(reasonOf(() => verify(without('svix-timestamp'), BODY, { now: SENT }))).toBe('missing_timestamp');
      for (const timestamp of ['-1', '1714564800.5', 'soon', String(SENT.getTime()), '9'.repeat(40)]) {
        expect(reasonOf(() => verify({ ...base, 'svix-timestamp': timestamp }, BODY, { toleranceSeconds: 0 }))).toBe(
          'malformed_timestamp',
        );
      }
      expect(reasonOf(() => verify({ ...base, 'svix-timestamp': [SENT_S, SENT_S] }, BODY, { now: SENT }))).toBe(
        'malformed_timestamp',
      );
    });

    it('refuses a repeated signature header, garbage, or more than 16 entries as malformed_signature', () => {
      for (const signature of [
        [good, good],
        `v1,AAAA, ${good}`,
        'garbage',
        good.slice(3),
        `v1,${good.slice(3).replace(/=$/, '')}`,
        [...Array.from({ length: 16 }, () => `v1,${'A'.repeat(43)}=`), good].join(' '),
      ]) {
        expect(reasonOf(() => verify({ ...base, 'svix-signature': signature }, BODY, { now: SENT }))).toBe(
          'malformed_signature',
        );
      }
    });

    it('refuses well-formed signatures that do not match as invalid_signature', () => {
      const wrong = v1(`whsec_${randomBytes(24).toString('base64')}`, ID, SENT_S, BODY);
      expect(reasonOf(() => verify({ ...base, 'svix-signature': wrong }, BODY, { now: SENT }))).toBe(
        'invalid_signature',
      );
      expect(reasonOf(() => verify({ ...base, 'svix-signature': 'v2,xyz' }, BODY, { now: SENT }))).toBe(
        'invalid_signature',
      );
    });

    it('accepts header names in any case', () => {
      const headers = { 'Svix-Id': ID, 'SVIX-TIMESTAMP': SENT_S, 'Svix-Signature': good };
      expect(verify(headers, BODY, { now: SENT }).deliveryId).toBe(ID);
    });
  });

  describe(`${provider.name}: svix-* and webhook-* names`, () => {
    const svix = named('svix', ID, SENT_S, good);
    const webhook = named('webhook', ID, SENT_S, good);

    it('verifies the white-label webhook-* names alone', () => {
      expect(verify(webhook, BODY, { now: SENT })).toEqual({
        deliveryId: ID,
        event: 'thing.happened',
        timestamp: SENT,
      });
    });

    it('reads svix-* whole when both sets are sent, ignoring webhook-* entirely', () => {
      const otherId = 'msg_other';
      const decoy = named('webhook', otherId, SENT_S, v1(secret, otherId, SENT_S, BODY));
      expect(verify({ ...decoy, ...svix }, BODY, { now: SENT }).deliveryId).toBe(ID);
      // A wrong svix-signature is not rescued by a right webhook-signature.
      const broken = { ...webhook, ...svix, 'svix-signature': v1(secret, ID, SENT_S, `${BODY} `) };
      expect(reasonOf(() => verify(broken, BODY, { now: SENT }))).toBe('invalid_signature');
    });

    it('never mixes the sets: svix-* present means every header must be svix-*', () => {
      const sigFromOther = { 'svix-id': ID, 'svix-timestamp': SENT_S, 'webhook-signature': good };
      expect(reasonOf(() => verify(sigFromOther, BODY, { now: SENT }))).toBe('missing_signature');
      const idFromOther = { 'webhook-id': ID, 'webhook-timestamp': SENT_S, 'svix-signature': good };
      expect(reasonOf(() => verify(idFromOther, BODY, { now: SENT }))).toBe('malformed_signature');
      const timestampFromOther = { 'svix-id': ID, 'webhook-timestamp': SENT_S, 'svix-signature': good };
      expect(reasonOf(() => verify(timestampFromOther, BODY, { now: SENT }))).toBe('missing_timestamp');
    });

    it('names the webhook-* header in messages when those are the ones sent', () => {
      const rest = { 'webhook-id': ID, 'webhook-timestamp': SENT_S };
      const error = rejectionOf(() => verify(rest, BODY, { now: SENT }));
      expect(error.reason).toBe('missing_signature');
      expect(error.message).toContain('webhook-signature');
    });
  });

  describe(`${provider.name}: declaration and configuration`, () => {
    it('keeps both signature headers out of logs, declares its other headers and a summary', () => {
      expect(provider.sensitiveHeaders).toEqual(['svix-signature', 'webhook-signature']);
      expect(provider.senderHeaders).toEqual(['svix-id', 'svix-timestamp', 'webhook-id', 'webhook-timestamp']);
      expect(provider.contentType).toBe('application/json');
      expect(provider.methods).toEqual(['POST']);
      expect(provider.defaultToleranceSeconds).toBeUndefined();
      expect(provider.summary?.checkedAgainst).toContain('`');
    });

    it.each([
      ['no secret', undefined],
      ['an empty list', []],
      ['a secret that is not base64', 'whsec_not base64!'],
      ['an empty whsec_', 'whsec_'],
    ])('refuses %s, naming the preset', (_label, bad) => {
      let thrown: unknown;
      try {
        new WebhookVerifier({ provider, secret: bad });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(WebhookConfigurationError);
      expect((thrown as Error).message).toContain(provider.name);
    });
  });
}
