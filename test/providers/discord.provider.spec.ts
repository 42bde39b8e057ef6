import { createHash, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { verifyKey } from 'discord-interactions';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerifier } from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { discordProvider } from '../../lib/providers/discord.provider.js';
import { flipByte, reasonOf, rejectionOf } from '../core/rejections.js';
import { DISCORD_PRIVATE_KEY, DISCORD_PUBLIC_KEY, discordDelivery, discordSender } from '../senders/discord.sender.js';

const URL = 'https://bot.example.com/discord/interactions';
const SENT = new Date('2024-06-17T09:30:00Z');
const SENT_S = String(SENT.getTime() / 1000);

/** A fresh application key pair: the public key as hex (as the Developer Portal shows it), the private key object. */
function application() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const hex = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  return { hex, privateKey };
}

/** Discord's scheme by hand: hex ed25519 over the timestamp text followed by the body. */
function signed(
  body: string | Buffer,
  timestamp = SENT_S,
  privateKey: Parameters<typeof sign>[2] = DISCORD_PRIVATE_KEY,
) {
  const signature = sign(null, Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), privateKey).toString('hex');
  return { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  return verifyWebhook({
    provider: discordProvider,
    secret: options.secret ?? DISCORD_PUBLIC_KEY,
    headers,
    rawBody: Buffer.from(body),
    now: options.now ?? SENT,
    toleranceSeconds: options.toleranceSeconds,
  });
}

/** The id of a webhook event: Discord sends none, so the first 32 hex characters of the body's SHA-256. */
const bodyDigest = (body: string | Buffer) => createHash('sha256').update(body).digest('hex').slice(0, 32);

const interaction = (type: number, id = '1252005811405094912') =>
  JSON.stringify({ application_id: '1251316715767504957', id, token: 'tok', type, version: 1, data: { name: 'roll' } });

describe('discord provider', () => {
  describe('against discord-interactions verifyKey', () => {
    it('has verifyKey accept what signWebhook writes, and refuse any one-byte change of body or timestamp', async () => {
      const delivery = await discordSender.delivery({ url: URL, now: SENT });
      const { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp } = delivery.headers;
      expect(await verifyKey(delivery.body, signature!, timestamp!, DISCORD_PUBLIC_KEY)).toBe(true);
      for (let index = 0; index < delivery.body.length; index += 97) {
        const tampered = flipByte(delivery.body, index, 0x01);
        expect(await verifyKey(tampered, signature!, timestamp!, DISCORD_PUBLIC_KEY)).toBe(false);
        expect(reasonOf(() => verify(delivery.headers, tampered))).toBe('invalid_signature');
      }
      const later = String(Number(timestamp) + 1);
      expect(await verifyKey(delivery.body, signature!, later, DISCORD_PUBLIC_KEY)).toBe(false);
      expect(reasonOf(() => verify({ ...delivery.headers, 'x-signature-timestamp': later }, delivery.body))).toBe(
        'invalid_signature',
      );
    });

    it('accepts what verifyKey accepts when given a WebCrypto key, the other key form it takes', async () => {
      const key = await webcrypto.subtle.importKey('raw', Buffer.from(DISCORD_PUBLIC_KEY, 'hex'), 'Ed25519', false, [
        'verify',
      ]);
      const delivery = await discordSender.delivery({ url: URL, now: SENT });
      const { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp } = delivery.headers;
      expect(await verifyKey(delivery.body, signature!, timestamp!, key)).toBe(true);
      expect(verify(delivery.headers, delivery.body).deliveryId).toBe(discordSender.expected.deliveryId);
    });

    it('agrees with verifyKey on an upper-case hex key, and refuses at start-up the keys verifyKey silently never matches', async () => {
      const delivery = await discordSender.delivery({ url: URL, now: SENT });
      const { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp } = delivery.headers;
      const upper = DISCORD_PUBLIC_KEY.toUpperCase();
      expect(await verifyKey(delivery.body, signature!, timestamp!, upper)).toBe(true);
      expect(verify(delivery.headers, delivery.body, { secret: upper }).event).toBe('APPLICATION_COMMAND');
      for (const key of [DISCORD_PUBLIC_KEY.slice(1), `${DISCORD_PUBLIC_KEY}00`, ` ${DISCORD_PUBLIC_KEY}`]) {
        expect(await verifyKey(delivery.body, signature!, timestamp!, key)).toBe(false);
        expect(() => new WebhookVerifier({ provider: discordProvider, secret: key })).toThrow(
          WebhookConfigurationError,
        );
      }
    });

    it('verifies the fixture delivery with the facts it declares, and its floor agrees', async () => {
      const now = new Date();
      const delivery = await discordSender.delivery({ url: URL, now });
      const result = verify(delivery.headers, delivery.body, { now });
      expect(result.deliveryId).toBe(discordSender.expected.deliveryId);
      expect(result.event).toBe(discordSender.expected.event);
      expect(result.timestamp).toEqual(new Date(Math.floor(now.getTime() / 1000) * 1000));
      expect(result.handshake).toBeUndefined();
      expect(result.acknowledgement).toBeUndefined();
      expect(await discordSender.sdkAccepts!({ delivery, url: URL, now })).toBe(true);
      expect(discordSender.floor({ delivery, url: URL })).toBe(true);
      expect(discordSender.floor({ delivery: { ...delivery, body: flipByte(delivery.body, 3, 1) }, url: URL })).toBe(
        false,
      );
    });

    it('signs exactly as the scheme says: hex ed25519 over timestamp then body, seconds, JSON', () => {
      const body = interaction(2);
      const result = signWebhook({
        provider: discordProvider,
        secret: DISCORD_PUBLIC_KEY,
        privateKey: DISCORD_PRIVATE_KEY,
        timestamp: new Date(SENT.getTime() + 999),
        payload: body,
      });
      expect(result.headers).toEqual({ 'content-type': 'application/json', ...signed(body) });
      expect(result.body.toString()).toBe(body);
    });
  });

  describe('interactions', () => {
    it.each([
      [2, 'APPLICATION_COMMAND'],
      [3, 'MESSAGE_COMPONENT'],
      [4, 'APPLICATION_COMMAND_AUTOCOMPLETE'],
      [5, 'MODAL_SUBMIT'],
    ])('type %i: id from the body, event %s, timestamp in seconds, no handshake', (type, event) => {
      const body = interaction(type);
      const result = verify(signed(body), body);
      expect(result).toEqual({
        deliveryId: '1252005811405094912',
        event,
        timestamp: SENT,
        handshake: undefined,
        acknowledgement: undefined,
      });
    });

    it('answers a verified PING (type 1) with {"type":1} as JSON, itself', () => {
      const body = interaction(1);
      const result = verify(signed(body), body);
      expect(result.event).toBe('PING');
      expect(result.deliveryId).toBe('1252005811405094912');
      expect(result.handshake).toMatchObject({ status: 200, body: '{"type":1}' });
      expect(result.handshake?.contentType).toMatch(/^application\/json\b/);
      expect(result.acknowledgement).toBeUndefined();
    });

    it('answers no PING whose signature does not verify', () => {
      const body = interaction(1);
      expect(reasonOf(() => verify(signed(body), interaction(1, '1')))).toBe('invalid_signature');
      expect(reasonOf(() => verify(signed(body, SENT_S, application().privateKey), body))).toBe('invalid_signature');
    });
  });

  describe('webhook events', () => {
    const event = JSON.stringify({
      version: 1,
      application_id: '1251316715767504957',
      type: 1,
      event: {
        type: 'APPLICATION_AUTHORIZED',
        timestamp: '2024-10-18T14:42:53.064834',
        data: { integration_type: 1, scopes: ['applications.commands'], user: { id: '301066102587408386' } },
      },
    });

    it('type 1: event from event.type, the body digest as id, acknowledged with 204 as Discord expects', () => {
      const headers = signed(event);
      const result = verify(headers, event);
      expect(result.event).toBe('APPLICATION_AUTHORIZED');
      expect(result.deliveryId).toBe(bodyDigest(event));
      expect(result.deliveryId).not.toContain(headers['x-signature-ed25519'].slice(0, 16));
      expect(result.timestamp).toEqual(SENT);
      expect(result.handshake).toBeUndefined();
      expect(result.acknowledgement).toMatchObject({ status: 204, body: undefined, contentType: undefined });
    });

    it('gives a retry signed again at another second the same id, another event another id', () => {
      const first = verify(signed(event), event);
      // Both inside the 300 s window: the retry's timestamp and signature differ, its body does not.
      const later = String(Number(SENT_S) + 200);
      const again = verify(signed(event, later), event, { now: new Date(SENT.getTime() + 210_000) });
      expect(again.timestamp).toEqual(new Date(Number(later) * 1000));
      expect(again.deliveryId).toBe(first.deliveryId);
      const other = event.replace('14:42:53.064834', '14:42:54.000001');
      expect(verify(signed(other), other).deliveryId).toBe(bodyDigest(other));
      expect(bodyDigest(other)).not.toBe(first.deliveryId);
    });

    it('works the id out only when it is read, once', () => {
      const result = verify(signed(event), event);
      expect(typeof Object.getOwnPropertyDescriptor(result, 'deliveryId')?.get).toBe('function');
      expect(result.deliveryId).toBe(bodyDigest(event));
      expect(result.deliveryId).toBe(result.deliveryId);
    });

    it('type 0: the PING is answered 204 with no body, after verification', () => {
      const ping = '{"version":1,"application_id":"1251316715767504957","type":0}';
      const result = verify(signed(ping), ping);
      expect(result.handshake).toMatchObject({ status: 204, body: undefined, contentType: undefined });
      expect(result.event).toBe('PING');
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
      expect(reasonOf(() => verify(signed(ping), ping.replace('0}', '1}')))).toBe('invalid_signature');
    });

    it('an event without event.type has no event but is still acknowledged', () => {
      const body = '{"version":1,"application_id":"1","type":1}';
      const result = verify(signed(body), body);
      expect(result.event).toBeUndefined();
      expect(result.acknowledgement?.status).toBe(204);
    });
  });

  describe('bodies Discord would never send', () => {
    it.each([
      ['not JSON', 'not json {'],
      ['empty', ''],
      ['an array', '[{"type":2,"id":"1"}]'],
      ['an unknown type', '{"type":9,"id":"1"}'],
      ['a string type', '{"type":"2","id":"1"}'],
      ['an id that is an object', '{"type":2,"id":{}}'],
      ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x7b])],
    ])('verify when signed (%s), with the body digest as id, no event, no answer, never throwing', (_label, body) => {
      const headers = signed(body);
      const result = verify(headers, body);
      expect(result).toEqual({
        deliveryId: bodyDigest(body),
        event: undefined,
        timestamp: SENT,
        handshake: undefined,
        acknowledgement: undefined,
      });
    });
  });

  describe('window', () => {
    const body = interaction(2);
    const headers = signed(body);
    const at = (offsetSeconds: number) => new Date(SENT.getTime() + offsetSeconds * 1000);

    it('accepts 300 s either way and refuses 301 s either way (verifyKey has no window)', async () => {
      expect(verify(headers, body, { now: at(300) }).timestamp).toEqual(SENT);
      expect(verify(headers, body, { now: at(-300) }).timestamp).toEqual(SENT);
      expect(reasonOf(() => verify(headers, body, { now: at(301) }))).toBe('timestamp_out_of_window');
      expect(reasonOf(() => verify(headers, body, { now: at(-301) }))).toBe('timestamp_out_of_window');
      // The SDK accepts a delivery signed years ago: the window is ours alone.
      expect(
        await verifyKey(body, headers['x-signature-ed25519'], headers['x-signature-timestamp'], DISCORD_PUBLIC_KEY),
      ).toBe(true);
    });

    it('is configurable and off with 0', () => {
      expect(reasonOf(() => verify(headers, body, { now: at(61), toleranceSeconds: 60 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(verify(headers, body, { now: new Date('2040-01-01T00:00:00Z'), toleranceSeconds: 0 }).event).toBe(
        'APPLICATION_COMMAND',
      );
    });
  });

  describe('rotation', () => {
    it('verifies a delivery signed by either of two applications when both public keys are configured', () => {
      const next = application();
      const body = interaction(3);
      expect(
        verify(signed(body, SENT_S, next.privateKey), body, { secret: [next.hex, DISCORD_PUBLIC_KEY] }).event,
      ).toBe('MESSAGE_COMPONENT');
      expect(verify(signed(body), body, { secret: [next.hex, DISCORD_PUBLIC_KEY] }).event).toBe('MESSAGE_COMPONENT');
      expect(reasonOf(() => verify(signed(body), body, { secret: next.hex }))).toBe('invalid_signature');
    });
  });

  describe('malformed headers', () => {
    const body = interaction(2);
    const headers = signed(body);

    it('a missing signature is missing_signature; a repeated one malformed_signature', () => {
      expect(reasonOf(() => verify({ 'x-signature-timestamp': SENT_S }, body))).toBe('missing_signature');
      expect(reasonOf(() => verify({ ...headers, 'x-signature-ed25519': '' }, body))).toBe('missing_signature');
      const sig = headers['x-signature-ed25519'];
      expect(reasonOf(() => verify({ ...headers, 'x-signature-ed25519': [sig, sig] }, body))).toBe(
        'malformed_signature',
      );
    });

    it.each([
      ['not hex', 'z'.repeat(128)],
      ['too short', 'ab'.repeat(63)],
      ['too long', 'ab'.repeat(65)],
      ['base64', Buffer.alloc(64, 7).toString('base64')],
      ['two joined by a comma', `${'ab'.repeat(64)}, ${'ab'.repeat(64)}`],
    ])('a signature %s is malformed_signature', (_label, signature) => {
      const error = rejectionOf(() => verify({ ...headers, 'x-signature-ed25519': signature }, body));
      expect(error.reason).toBe('malformed_signature');
      expect(error.message).toContain('x-signature-ed25519');
    });

    it('a well-formed signature that does not match is invalid_signature', () => {
      expect(reasonOf(() => verify({ ...headers, 'x-signature-ed25519': 'ab'.repeat(64) }, body))).toBe(
        'invalid_signature',
      );
    });

    it('a missing timestamp is missing_timestamp; a repeated or malformed one malformed_timestamp', () => {
      expect(reasonOf(() => verify({ 'x-signature-ed25519': headers['x-signature-ed25519'] }, body))).toBe(
        'missing_timestamp',
      );
      for (const timestamp of [[SENT_S, SENT_S], '-1', `${SENT_S}.0`, 'now', String(SENT.getTime()), '9'.repeat(30)]) {
        expect(
          reasonOf(() => verify({ ...headers, 'x-signature-timestamp': timestamp }, body, { toleranceSeconds: 0 })),
        ).toBe('malformed_timestamp');
      }
    });

    it('accepts header names in any case', () => {
      const mixed = {
        'X-Signature-Ed25519': headers['x-signature-ed25519'],
        'X-Signature-Timestamp': headers['x-signature-timestamp'],
      };
      expect(verify(mixed, body).event).toBe('APPLICATION_COMMAND');
    });
  });

  describe('handshake fixtures', () => {
    it.each(discordSender.handshakes!.map((handshake) => [handshake.name, handshake] as const))(
      '%s: verified and answered as declared',
      async (_name, handshake) => {
        const delivery = await handshake.delivery({ url: URL, now: SENT });
        const answer = verify(delivery.headers, delivery.body).handshake;
        expect(answer?.status).toBe(handshake.expected.status);
        expect(answer?.contentType?.split(';')[0]).toBe(handshake.expected.contentType);
        expect(answer?.body).toBe(handshake.expected.body);
      },
    );
  });

  describe('keys and configuration', () => {
    it('declares the signature header sensitive, the timestamp a sender header, a summary', () => {
      expect(discordProvider.sensitiveHeaders).toEqual(['x-signature-ed25519']);
      expect(discordProvider.senderHeaders).toEqual(['x-signature-timestamp']);
      expect(discordProvider.contentType).toBe('application/json');
      expect(discordProvider.summary?.checkedAgainst).toContain('verifyKey');
    });

    it.each([
      ['no key', undefined],
      ['an empty list', []],
      ['a key of 63 hex characters', DISCORD_PUBLIC_KEY.slice(1)],
      ['a base64 key', Buffer.from(DISCORD_PUBLIC_KEY, 'hex').toString('base64')],
      ['a PEM', DISCORD_PRIVATE_KEY],
    ])('refuses %s', (_label, secret) => {
      expect(() => new WebhookVerifier({ provider: discordProvider, secret })).toThrow(WebhookConfigurationError);
    });

    it('signs only with an ed25519 private key, as a KeyObject or PKCS#8 PEM', () => {
      const sign = (privateKey?: Parameters<typeof signWebhook>[0]['privateKey']) =>
        signWebhook({ provider: discordProvider, secret: DISCORD_PUBLIC_KEY, privateKey, payload: interaction(2) });
      expect(() => sign()).toThrow(WebhookConfigurationError);
      expect(() => sign('not a key')).toThrow(WebhookConfigurationError);
      expect(() => sign(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey)).toThrow(
        WebhookConfigurationError,
      );
      expect(() => sign(generateKeyPairSync('ed25519').publicKey)).toThrow(WebhookConfigurationError);
      const { privateKey, hex } = application();
      const fromObject = signWebhook({ provider: discordProvider, secret: hex, privateKey, payload: interaction(2) });
      expect(
        verifyWebhook({ provider: discordProvider, secret: hex, headers: fromObject.headers, rawBody: fromObject.body })
          .event,
      ).toBe('APPLICATION_COMMAND');
    });

    it('a delivery helper signed with the fixture key verifies with the fixture public key', () => {
      const delivery = discordDelivery(interaction(5), SENT);
      expect(verify(delivery.headers, delivery.body).event).toBe('MODAL_SUBMIT');
    });
  });
});
