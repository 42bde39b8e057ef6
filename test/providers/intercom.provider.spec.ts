import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import { signWebhook, verifyWebhook, WebhookConfigurationError, type WebhookHeaders } from '../../lib/index.js';
import { intercomProvider } from '../../lib/providers/intercom.provider.js';
import { INTERCOM_NOTIFICATION_BODY, intercomSender } from '../senders/intercom.sender.js';
import { flipByte, reasonOf } from '../core/rejections.js';

const SECRET = 'ic-test-client-secret';
const URL = 'https://hooks.example.com/webhooks/intercom';
const NOW = new Date('2024-05-01T12:00:00Z');

/** The request shown in Intercom's "Signed notifications" (its secret is not published, so it is re-signed here). */
const DOC_EXAMPLE_BODY = JSON.stringify({
  type: 'notification_event',
  id: 'notif_78c122d0-23ba-11e4-9464-79b01267cc2e',
  topic: 'user.created',
  app_id: 'a86dr8yl',
  data: {
    type: 'notification_event_data',
    item: {
      type: 'user',
      id: '530370b477ad7120001d',
      user_id: '25',
      name: 'Hoban Washburne',
      unsubscribed_from_emails: false,
      custom_attributes: {},
    },
  },
});

/** Intercom's documented scheme: `sha1=` + the hex HMAC-SHA1 of the body under the client secret. */
function documentedSignature(body: string | Buffer, secret = SECRET): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

function verifyIntercom(headers: WebhookHeaders, body: string | Buffer, secret: string | string[] = SECRET) {
  return verifyWebhook({ provider: intercomProvider, secret, headers, rawBody: Buffer.from(body) });
}

function signedHeaders(body: string | Buffer, secret = SECRET): Record<string, string> {
  return { 'X-Hub-Signature': documentedSignature(body, secret), 'Content-Type': 'application/json' };
}

function digestIdOf(header: string): string {
  return createHash('sha256')
    .update(Buffer.from(header.slice(5), 'hex'))
    .digest('hex')
    .slice(0, 32);
}

describe('intercom provider', () => {
  describe("against Intercom's documented scheme", () => {
    it('agrees with a signature computed independently (openssl dgst -sha1 -hmac)', () => {
      const header = 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59';
      expect(documentedSignature('Hello, World!', "It's a Secret to Everybody")).toBe(header);
      const signed = signWebhook({
        provider: intercomProvider,
        secret: "It's a Secret to Everybody",
        payload: Buffer.from('Hello, World!'),
      });
      expect(signed.headers['x-hub-signature']).toBe(header);
      expect(
        verifyIntercom({ 'x-hub-signature': header }, 'Hello, World!', "It's a Secret to Everybody").deliveryId,
      ).toBe(digestIdOf(header));
    });

    it("verifies the documentation's example request signed as documented: id and topic from the body", () => {
      const result = verifyIntercom(signedHeaders(DOC_EXAMPLE_BODY), DOC_EXAMPLE_BODY);
      expect(result).toEqual({
        deliveryId: 'notif_78c122d0-23ba-11e4-9464-79b01267cc2e',
        event: 'user.created',
        timestamp: undefined,
      });
    });

    it('refuses a documented delivery with any one byte of the body changed', () => {
      const headers = signedHeaders(INTERCOM_NOTIFICATION_BODY);
      const body = Buffer.from(INTERCOM_NOTIFICATION_BODY, 'utf8');
      for (let index = 0; index < body.length; index += 17) {
        expect(reasonOf(() => verifyIntercom(headers, flipByte(body, index, 0x04)))).toBe('invalid_signature');
      }
    });

    it('writes what the documented check accepts, and the check refuses a one-byte change', () => {
      const signed = signWebhook({ provider: intercomProvider, secret: SECRET, payload: INTERCOM_NOTIFICATION_BODY });
      expect(signed.headers).toEqual({
        'content-type': 'application/json',
        'x-hub-signature': documentedSignature(INTERCOM_NOTIFICATION_BODY),
      });
      expect(signed.body.toString('utf8')).toBe(INTERCOM_NOTIFICATION_BODY);
      expect(documentedSignature(flipByte(signed.body, 30, 0x01))).not.toBe(signed.headers['x-hub-signature']);
    });
  });

  describe('the sender fixture', () => {
    it('verifies here with the expected facts', async () => {
      const delivery = await intercomSender.delivery({ url: URL, now: NOW });
      const result = verifyWebhook({
        provider: intercomProvider,
        secret: intercomSender.secret,
        headers: delivery.headers,
        rawBody: delivery.body,
        now: NOW,
      });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(intercomSender.expected);
    });

    it('has a documented check and a floor that accept it and refuse a changed byte', async () => {
      const delivery = await intercomSender.delivery({ url: URL, now: NOW });
      expect(await intercomSender.sdkAccepts!({ delivery, url: URL, now: NOW })).toBe(true);
      expect(intercomSender.floor({ delivery, url: URL })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 50, 0x01) };
      expect(await intercomSender.sdkAccepts!({ delivery: tampered, url: URL, now: NOW })).toBe(false);
      expect(intercomSender.floor({ delivery: tampered, url: URL })).toBe(false);
    });
  });

  describe('delivery id and event from the body', () => {
    it('routes the ping Intercom sends when a subscription is saved, whose id is null, by a digest', () => {
      const ping =
        '{"type":"notification_event","app_id":"a86dr8yl","data":{"type":"notification_event_data","item":{"type":"ping","message":"something something interzen"}},"links":{},"id":null,"topic":"ping","delivery_status":null,"delivery_attempts":1,"delivered_at":0,"first_sent_at":1714564800,"created_at":1714564800,"self":null}';
      const headers = signedHeaders(ping);
      const result = verifyIntercom(headers, ping);
      expect(result.event).toBe('ping');
      expect(result.deliveryId).toBe(digestIdOf(headers['X-Hub-Signature']!));
    });

    it('takes a numeric id as text', () => {
      const body = '{"id":42,"topic":"contact.user.created"}';
      expect(verifyIntercom(signedHeaders(body), body).deliveryId).toBe('42');
    });

    it.each([
      ['not JSON', 'not json {'],
      ['a JSON array', '[{"id":"notif_1","topic":"x"}]'],
      ['empty', ''],
      ['JSON without id or topic', '{"type":"notification_event"}'],
      ['an id that is an object', '{"id":{"a":1},"topic":["x"]}'],
    ])('falls back to the digest and has no event when the body is %s, without throwing', (_label, body) => {
      const headers = signedHeaders(body);
      const result = verifyIntercom(headers, body);
      expect(result.deliveryId).toBe(digestIdOf(headers['X-Hub-Signature']!));
      expect(result.event).toBeUndefined();
      expect(result.timestamp).toBeUndefined();
    });

    it('does not parse the body to verify it: only reading the id or event does', () => {
      const parse = jest.spyOn(JSON, 'parse');
      try {
        const result = verifyIntercom(signedHeaders(INTERCOM_NOTIFICATION_BODY), INTERCOM_NOTIFICATION_BODY);
        expect(parse).not.toHaveBeenCalled();
        expect(result.event).toBe('conversation.user.created');
        expect(result.deliveryId).toBe(intercomSender.expected.deliveryId);
        expect(parse).toHaveBeenCalledTimes(1);
      } finally {
        parse.mockRestore();
      }
    });
  });

  describe('rotation and secrets', () => {
    it('verifies deliveries signed with either secret of [new, old], and not a third', () => {
      const body = INTERCOM_NOTIFICATION_BODY;
      for (const secret of ['new-secret', 'old-secret']) {
        expect(verifyIntercom(signedHeaders(body, secret), body, ['new-secret', 'old-secret']).event).toBe(
          'conversation.user.created',
        );
      }
      expect(reasonOf(() => verifyIntercom(signedHeaders(body, 'gone'), body, ['new-secret', 'old-secret']))).toBe(
        'invalid_signature',
      );
    });

    it('signs with the first secret and needs a non-empty one', () => {
      const signed = signWebhook({ provider: intercomProvider, secret: ['new-secret', 'old-secret'], payload: '{}' });
      expect(signed.headers['x-hub-signature']).toBe(documentedSignature('{}', 'new-secret'));
      const headers = signedHeaders('{}');
      expect(() => verifyWebhook({ provider: intercomProvider, headers, rawBody: Buffer.from('{}') })).toThrow(
        WebhookConfigurationError,
      );
      expect(() =>
        verifyWebhook({ provider: intercomProvider, secret: '', headers, rawBody: Buffer.from('{}') }),
      ).toThrow(WebhookConfigurationError);
    });
  });

  describe('malformed signature headers', () => {
    const body = INTERCOM_NOTIFICATION_BODY;

    it('refuses a missing or empty X-Hub-Signature as missing_signature', () => {
      expect(reasonOf(() => verifyIntercom({}, body))).toBe('missing_signature');
      expect(reasonOf(() => verifyIntercom({ 'x-hub-signature': '' }, body))).toBe('missing_signature');
    });

    it.each([
      ['sha256', `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`],
      ['SHA1 in upper case', documentedSignature(body).replace('sha1', 'SHA1')],
      ['md5', 'md5=0123456789abcdef0123456789abcdef'],
    ])('refuses a signature named %s as unsupported_algorithm', (_label, header) => {
      expect(reasonOf(() => verifyIntercom({ 'x-hub-signature': header }, body))).toBe('unsupported_algorithm');
    });

    it.each([
      ['without its prefix', documentedSignature(body).slice(5)],
      ['the prefix alone', 'sha1='],
      ['of odd length', documentedSignature(body).slice(0, -1)],
      ['a byte short', documentedSignature(body).slice(0, -2)],
      ['the length of a SHA-256', `sha1=${'ab'.repeat(32)}`],
      ['not hex', `sha1=${'x'.repeat(40)}`],
      ['base64', `sha1=${createHmac('sha1', SECRET).update(body).digest('base64')}`],
      ['a megabyte long', `sha1=${'a'.repeat(1 << 20)}`],
    ])('refuses a signature %s as malformed_signature', (_label, header) => {
      expect(reasonOf(() => verifyIntercom({ 'x-hub-signature': header }, body))).toBe('malformed_signature');
    });

    it('refuses the signature header sent twice, even with the right value', () => {
      const header = documentedSignature(body);
      expect(reasonOf(() => verifyIntercom({ 'x-hub-signature': [header, header] }, body))).toBe('malformed_signature');
    });
  });

  it('declares its headers and no replay window', () => {
    expect(intercomProvider.name).toBe('intercom');
    expect(intercomProvider.sensitiveHeaders).toEqual(['x-hub-signature']);
    expect(intercomProvider.methods).toEqual(['POST']);
    expect(intercomProvider.defaultToleranceSeconds).toBeUndefined();
    const headers = signedHeaders(DOC_EXAMPLE_BODY);
    const later = verifyWebhook({
      provider: intercomProvider,
      secret: SECRET,
      headers,
      rawBody: Buffer.from(DOC_EXAMPLE_BODY),
      now: new Date('2040-01-01T00:00:00Z'),
    });
    expect(later.event).toBe('user.created');
  });
});
