import { createHash, createHmac } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import { describe, expect, it } from '@jest/globals';
import { getExpectedTwilioSignature, validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  WebhookVerifier,
} from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { twilioProvider } from '../../lib/providers/twilio.provider.js';
import { flipByte, reasonOf, rejectionOf } from '../core/rejections.js';
import { TWILIO_SMS_BODY, TWILIO_SMS_PARAMS, twilioSender } from '../senders/twilio.sender.js';

const TOKEN = '9f2c4e7a1b3d5f60718293a4b5c6d7e8';
const URL_ = 'https://hooks.example.com/webhooks/twilio?tenant=acme';
const FORM = 'application/x-www-form-urlencoded';

// Published vectors: the test suite of Twilio's own Node library (spec/unit/webhooks.spec.js).
const SDK_TOKEN = '12345';
const SDK_PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const SDK_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const SDK_SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
const SDK_JSON_BODY = '{"property": "value", "boolean": true}';
const SDK_BODY_HASH = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
const SDK_URL_WITH_HASH = `${SDK_URL}&bodySHA256=${SDK_BODY_HASH}`;
const SDK_URL_WITH_HASH_SIGNATURE = 'a9nBmqA0ju/hNViExpshrM61xv4=';

const formOf = (params: Record<string, string | string[]>): Buffer => {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
  }
  return Buffer.from(form.toString(), 'utf8');
};

interface VerifyOptions {
  url?: string;
  secret?: string | string[];
  method?: string;
}

function verify(headers: WebhookHeaders, body: Buffer | string, options: VerifyOptions = {}) {
  const { url = URL_, secret = TOKEN, method } = options;
  return verifyWebhook({ provider: twilioProvider, secret, headers, rawBody: Buffer.from(body), url, method });
}

/** What the SDK's `validateIncomingRequest` decides for a form or a `bodySHA256` JSON delivery. */
function sdkValidates(signature: string, url: string, body: Buffer, token = TOKEN): boolean {
  const text = body.toString('utf8');
  if (url.includes('bodySHA256')) return validateRequestWithBody(token, signature, url, text);
  return validateRequest(token, signature, url, { ...parseQueryString(text) });
}

describe('twilio provider', () => {
  describe("the published vectors of Twilio's Node library", () => {
    it('verifies the form vector, and its one-byte changes fail', () => {
      const headers = { 'x-twilio-signature': SDK_SIGNATURE };
      const body = formOf(SDK_PARAMS);
      expect(verify(headers, body, { url: SDK_URL, secret: SDK_TOKEN })).toEqual({
        deliveryId: expect.stringMatching(/^[0-9a-f]{32}$/),
        event: undefined,
        timestamp: undefined,
      });
      const changedValue = formOf({ ...SDK_PARAMS, Digits: '1235' });
      expect(reasonOf(() => verify(headers, changedValue, { url: SDK_URL, secret: SDK_TOKEN }))).toBe(
        'invalid_signature',
      );
      const changedUrl = SDK_URL.replace('bar=2', 'bar=3');
      expect(reasonOf(() => verify(headers, body, { url: changedUrl, secret: SDK_TOKEN }))).toBe('invalid_signature');
    });

    it.each([
      ['with a non-default port (the SDK strips it)', SDK_URL.replace('.com', '.com:1234'), SDK_SIGNATURE],
      [
        'http with a port, signed with it',
        'http://mycompany.com:1234/myapp.php?foo=1&bar=2',
        'Zmvh+3yNM1Phv2jhDCwEM3q5ebU=',
      ],
      ['https signed with :443 added', SDK_URL, 'kvajT1Ptam85bY51eRf/AJRuM3w='],
      ['http signed with :80 added', SDK_URL.replace('https', 'http'), '0ZXoZLH/DfblKGATFgpif+LLRf4='],
      ['with credentials', 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2', 'CukzLTc1tT5dXEDIHm/tKBanW10='],
      ['with a user name only', 'https://user@mycompany.com/myapp.php?foo=1&bar=2', '2YRLlVAflCqxaNicjMpJcSTgzSs='],
      [
        'with credentials and :443 added',
        'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2',
        'ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=',
      ],
      [
        "with a quote in the query (new URL's spelling)",
        `${SDK_URL}&Body=It's+amazing`,
        'dsq4Ehbj6cs+KdTkpF5sSSplOWw=',
      ],
    ])('verifies the URL vector %s, as validateRequest does', (_label, url, signature) => {
      const body = formOf(SDK_PARAMS);
      expect(validateRequest(SDK_TOKEN, signature, url, SDK_PARAMS)).toBe(true);
      expect(verify({ 'x-twilio-signature': signature }, body, { url, secret: SDK_TOKEN }).event).toBeUndefined();
    });

    it('verifies the bodySHA256 vector: the URL is signed, the JSON body is checked against its hash', () => {
      expect(createHash('sha256').update(SDK_JSON_BODY).digest('hex')).toBe(SDK_BODY_HASH);
      const headers = { 'content-type': 'application/json', 'x-twilio-signature': SDK_URL_WITH_HASH_SIGNATURE };
      const options = { url: SDK_URL_WITH_HASH, secret: SDK_TOKEN };
      expect(verify(headers, SDK_JSON_BODY, options).deliveryId).toMatch(/^[0-9a-f]{32}$/);
      const body = Buffer.from(SDK_JSON_BODY);
      for (let offset = 0; offset < body.length; offset += 5) {
        expect(reasonOf(() => verify(headers, flipByte(body, offset, 0x01), options))).toBe('invalid_signature');
      }
      const otherHash = SDK_URL_WITH_HASH.slice(0, -1) + '1';
      expect(reasonOf(() => verify(headers, SDK_JSON_BODY, { ...options, url: otherHash }))).toBe('invalid_signature');
    });

    it('verifies the vector whose URL has only the bodySHA256 parameter', () => {
      const url = `https://mycompany.com/myapp.php?bodySHA256=${SDK_BODY_HASH}`;
      const headers = { 'x-twilio-signature': 'y77kIzt2vzLz71DgmJGsen2scGs=' };
      expect(validateRequestWithBody(SDK_TOKEN, 'y77kIzt2vzLz71DgmJGsen2scGs=', url, SDK_JSON_BODY)).toBe(true);
      expect(verify(headers, SDK_JSON_BODY, { url, secret: SDK_TOKEN }).event).toBeUndefined();
    });
  });

  describe("against twilio's SDK", () => {
    it('verifies a delivery the SDK signs: the idempotency token is the id, no event, no timestamp', async () => {
      const delivery = await twilioSender.delivery({ url: URL_, now: new Date() });
      expect(twilioSender.floor({ delivery, url: URL_ })).toBe(true);
      expect(twilioSender.sdkAccepts!({ delivery, url: URL_, now: new Date() })).toBe(true);
      expect(verify(delivery.headers, delivery.body)).toEqual({
        deliveryId: twilioSender.expected.deliveryId,
        event: undefined,
        timestamp: undefined,
      });
    });

    it('refuses what the SDK signed once a byte of the body or the URL changes', async () => {
      const delivery = await twilioSender.delivery({ url: URL_, now: new Date() });
      // Any change of a field's value or name changes the signed text.
      for (const name of Object.keys(TWILIO_SMS_PARAMS)) {
        const params = { ...TWILIO_SMS_PARAMS, [name]: `${TWILIO_SMS_PARAMS[name]}x` };
        expect(reasonOf(() => verify(delivery.headers, formOf(params)))).toBe('invalid_signature');
      }
      for (let index = 0; index < URL_.length; index += 3) {
        const url = flipByte(Buffer.from(URL_), index, 0x02).toString('latin1');
        if (url === URL_) continue;
        expect(reasonOf(() => verify(delivery.headers, delivery.body, { url }))).toBe('invalid_signature');
      }
      expect(reasonOf(() => verify(delivery.headers, delivery.body, { url: `${URL_}&x=1` }))).toBe('invalid_signature');
      expect(reasonOf(() => verify(delivery.headers, delivery.body, { url: URL_.replace('https:', 'http:') }))).toBe(
        'invalid_signature',
      );
    });

    it('writes what the SDK accepts, and the SDK refuses it once a byte changes', () => {
      const signed = signWebhook({ provider: twilioProvider, secret: TOKEN, url: URL_, payload: TWILIO_SMS_PARAMS });
      expect(signed.headers['content-type']).toBe(FORM);
      expect(signed.body.toString()).toBe(TWILIO_SMS_BODY);
      expect(signed.headers['x-twilio-signature']).toBe(
        getExpectedTwilioSignature(TOKEN, URL_, { ...TWILIO_SMS_PARAMS }),
      );
      expect(twilioSender.sdkAccepts!({ delivery: signed, url: URL_, now: new Date() })).toBe(true);
      const signature = signed.headers['x-twilio-signature']!;
      const tampered = Buffer.from(signed.body.toString().replace('received', 'receivee'));
      expect(sdkValidates(signature, URL_, tampered)).toBe(false);
      expect(sdkValidates(signature, `${URL_}x`, signed.body)).toBe(false);
      expect(sdkValidates(signature, URL_, signed.body, `${TOKEN}0`)).toBe(false);
    });

    it('writes a JSON delivery the SDK accepts when the URL carries its bodySHA256', () => {
      const body = '{"EventType":"com.twilio.messaging.message.delivered","MessageSid":"SM1"}';
      const url = `${URL_}&bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
      const signed = signWebhook({ provider: twilioProvider, secret: TOKEN, url, payload: body });
      expect(signed.headers['content-type']).toBe('application/json');
      expect(sdkValidates(signed.headers['x-twilio-signature']!, url, signed.body)).toBe(true);
      expect(verify(signed.headers, signed.body, { url }).event).toBeUndefined();
      expect(sdkValidates(signed.headers['x-twilio-signature']!, url, Buffer.from(body.replace('SM1', 'SM2')))).toBe(
        false,
      );
    });

    it('refuses to sign a JSON body for a URL whose bodySHA256 is not its hash', () => {
      const url = `${URL_}&bodySHA256=${'0'.repeat(64)}`;
      expect(() => signWebhook({ provider: twilioProvider, secret: TOKEN, url, payload: '{"a":1}' })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('the signed form', () => {
    it('signs the fields, not their bytes: another order or percent-encoding verifies, as the SDK', () => {
      const signature = getExpectedTwilioSignature(TOKEN, URL_, { b: 'x y', a: '1' });
      const headers = { 'x-twilio-signature': signature };
      for (const body of ['a=1&b=x+y', 'b=x%20y&a=1', 'b=x+y&a=%31']) {
        expect(verify(headers, body).deliveryId).toMatch(/^[0-9a-f]{32}$/);
        expect(sdkValidates(signature, URL_, Buffer.from(body))).toBe(true);
      }
      expect(reasonOf(() => verify(headers, 'a=1&b=x+y&c='))).toBe('invalid_signature');
    });

    it('sorts the values of a repeated field, each distinct value once, as the SDK signs an array', () => {
      const signature = getExpectedTwilioSignature(TOKEN, URL_, { MediaUrl: ['https://b', 'https://a', 'https://b'] });
      const headers = { 'x-twilio-signature': signature };
      expect(verify(headers, 'MediaUrl=https%3A%2F%2Fb&MediaUrl=https%3A%2F%2Fa').event).toBeUndefined();
      expect(
        verify(headers, 'MediaUrl=https%3A%2F%2Fa&MediaUrl=https%3A%2F%2Fb&MediaUrl=https%3A%2F%2Fb').event,
      ).toBeUndefined();
      expect(reasonOf(() => verify(headers, 'MediaUrl=https%3A%2F%2Fa'))).toBe('invalid_signature');
    });

    it('gives handlers the fields: repeated ones as a list; a JSON body as JSON', async () => {
      const form = new IncomingWebhook({ 'content-type': `${FORM}; charset=utf-8` }, Buffer.from('a=1&b=x+y&a=2'));
      expect(await twilioProvider.parse(form)).toEqual({ payload: { a: ['1', '2'], b: 'x y' } });
      const sms = new IncomingWebhook({ 'content-type': FORM }, Buffer.from(TWILIO_SMS_BODY));
      expect((await twilioProvider.parse(sms)).payload).toEqual(TWILIO_SMS_PARAMS);
      const json = new IncomingWebhook({ 'content-type': 'application/json' }, Buffer.from('{"a":[1]}'));
      expect(await twilioProvider.parse(json)).toEqual({ payload: { a: [1] } });
    });

    it('writes an object as Twilio writes a form; a nested value is a configuration error', () => {
      const signed = signWebhook({
        provider: twilioProvider,
        secret: TOKEN,
        url: URL_,
        payload: { Body: 'a b&c', NumMedia: 2, Flag: true, MediaUrl: ['u1', 'u2'], Skipped: undefined },
      });
      expect(signed.body.toString()).toBe('Body=a+b%26c&NumMedia=2&Flag=true&MediaUrl=u1&MediaUrl=u2');
      expect(verify(signed.headers, signed.body).event).toBeUndefined();
      expect(() =>
        signWebhook({ provider: twilioProvider, secret: TOKEN, url: URL_, payload: { Nested: { a: 1 } } }),
      ).toThrow(WebhookConfigurationError);
    });

    it('verifies a GET delivery: the parameters are in the signed URL, the body is empty', () => {
      const url = `${URL_}&CallSid=CA1&From=%2B14155550123`;
      const signature = getExpectedTwilioSignature(TOKEN, url, {});
      expect(verify({ 'x-twilio-signature': signature }, '', { url, method: 'GET' }).event).toBeUndefined();
      expect(reasonOf(() => verify({ 'x-twilio-signature': signature }, 'CallSid=CA2', { url }))).toBe(
        'invalid_signature',
      );
    });
  });

  describe('the URL', () => {
    it('is required: without one, verifying and signing are configuration errors', () => {
      const signature = getExpectedTwilioSignature(TOKEN, URL_, {});
      const rawBody = Buffer.alloc(0);
      const headers = { 'x-twilio-signature': signature };
      expect(() => verifyWebhook({ provider: twilioProvider, secret: TOKEN, headers, rawBody })).toThrow(
        WebhookConfigurationError,
      );
      expect(() => signWebhook({ provider: twilioProvider, secret: TOKEN, payload: 'a=1' })).toThrow(
        WebhookConfigurationError,
      );
    });

    it('is tried as new URL() spells it, with the legacy query encoding too (at most six forms)', () => {
      const received = "https://hooks.example.com/t?q=it's+a+b";
      const normalised = new URL(received).toString();
      expect(normalised).not.toBe(received);
      // querystring re-encodes the space as %20 and leaves the quote alone.
      const legacy = "https://hooks.example.com/t?q=it's%20a%20b";
      for (const signedUrl of [normalised, legacy, "https://hooks.example.com:443/t?q=it's%20a%20b"]) {
        const signature = getExpectedTwilioSignature(TOKEN, signedUrl, {});
        expect(validateRequest(TOKEN, signature, received, {})).toBe(true);
        expect(verify({ 'x-twilio-signature': signature }, '', { url: received }).event).toBeUndefined();
      }
    });

    it('refuses a signature of another URL, and a URL new URL() cannot read fails cleanly', () => {
      const signature = getExpectedTwilioSignature(TOKEN, URL_, {});
      const headers = { 'x-twilio-signature': signature };
      expect(reasonOf(() => verify(headers, '', { url: 'https://hooks.example.com/webhooks/twilio' }))).toBe(
        'invalid_signature',
      );
      expect(reasonOf(() => verify(headers, '', { url: 'not a url' }))).toBe('invalid_signature');
    });
  });

  describe('HMAC-SHA256 (SharedKey webhooks)', () => {
    const settings = 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256';

    it('checks HMAC-SHA256 when X-Twilio-Webhooks-Signature-Settings names it, as the SDK', () => {
      const signature = getExpectedTwilioSignature(TOKEN, URL_, { ...TWILIO_SMS_PARAMS }, 'HMAC_SHA256');
      const headers = { 'x-twilio-signature': signature, 'x-twilio-webhooks-signature-settings': settings };
      expect(verify(headers, TWILIO_SMS_BODY).event).toBeUndefined();
      expect(
        verify({ ...headers, 'x-twilio-webhooks-signature-settings': 'algorithm=hmac_sha256' }, TWILIO_SMS_BODY),
      ).toBeDefined();
      // Without the header, a SHA-256-length signature is not a SHA-1 signature.
      expect(reasonOf(() => verify({ 'x-twilio-signature': signature }, TWILIO_SMS_BODY))).toBe('malformed_signature');
      expect(reasonOf(() => verify(headers, `${TWILIO_SMS_BODY}&x=1`))).toBe('invalid_signature');
    });

    it('reads HMAC_SHA1 (or nothing named) as SHA-1, and refuses any other algorithm', () => {
      const signature = getExpectedTwilioSignature(TOKEN, URL_, {});
      for (const named of ['key=k,algorithm=HMAC_SHA1', 'key=k', 'algorithm=', '']) {
        const headers = { 'x-twilio-signature': signature, 'x-twilio-webhooks-signature-settings': named };
        expect(verify(headers, '').event).toBeUndefined();
      }
      for (const named of ['algorithm=HMAC_MD5', 'algorithm=sha1', 'algorithm=none']) {
        const headers = { 'x-twilio-signature': signature, 'x-twilio-webhooks-signature-settings': named };
        expect(reasonOf(() => verify(headers, ''))).toBe('unsupported_algorithm');
      }
      const repeated = {
        'x-twilio-signature': signature,
        'x-twilio-webhooks-signature-settings': [settings, settings],
      };
      expect(reasonOf(() => verify(repeated, ''))).toBe('malformed_signature');
    });
  });

  describe('delivery id', () => {
    it('is the idempotency token when sent, else a stable digest that does not reveal the signature', () => {
      const signature = getExpectedTwilioSignature(TOKEN, URL_, {});
      const withToken = { 'x-twilio-signature': signature, 'i-twilio-idempotency-token': 'idem-1' };
      expect(verify(withToken, '').deliveryId).toBe('idem-1');
      const digest = verify({ 'x-twilio-signature': signature }, '').deliveryId;
      expect(digest).toMatch(/^[0-9a-f]{32}$/);
      expect(verify({ 'x-twilio-signature': signature }, '').deliveryId).toBe(digest);
      expect(digest).not.toContain(Buffer.from(signature, 'base64').toString('hex').slice(0, 16));
      const repeated = { ...withToken, 'i-twilio-idempotency-token': ['idem-1', 'idem-2'] };
      expect(reasonOf(() => verify(repeated, ''))).toBe('malformed_signature');
    });

    it('is what signWebhook writes as the token', () => {
      const signed = signWebhook({ provider: twilioProvider, secret: TOKEN, url: URL_, id: 'idem-7', payload: 'a=1' });
      expect(signed.headers['i-twilio-idempotency-token']).toBe('idem-7');
      expect(verify(signed.headers, signed.body).deliveryId).toBe('idem-7');
    });
  });

  describe('secrets', () => {
    it('verifies with a rotation list, signed with either secret', () => {
      const old = 'old-auth-token-0000000000000000';
      for (const token of [TOKEN, old]) {
        const signature = getExpectedTwilioSignature(token, URL_, { ...TWILIO_SMS_PARAMS });
        expect(
          verify({ 'x-twilio-signature': signature }, TWILIO_SMS_BODY, { secret: [TOKEN, old] }).event,
        ).toBeUndefined();
      }
      const signature = getExpectedTwilioSignature(old, URL_, { ...TWILIO_SMS_PARAMS });
      expect(reasonOf(() => verify({ 'x-twilio-signature': signature }, TWILIO_SMS_BODY))).toBe('invalid_signature');
    });

    it('needs a secret', () => {
      expect(() => new WebhookVerifier({ provider: twilioProvider, secret: [] })).toThrow(WebhookConfigurationError);
    });
  });

  describe('hostile input', () => {
    const signature = getExpectedTwilioSignature(TOKEN, URL_, { ...TWILIO_SMS_PARAMS });

    it('refuses a missing, empty or repeated signature header', () => {
      expect(reasonOf(() => verify({}, TWILIO_SMS_BODY))).toBe('missing_signature');
      expect(reasonOf(() => verify({ 'x-twilio-signature': '' }, TWILIO_SMS_BODY))).toBe('missing_signature');
      expect(reasonOf(() => verify({ 'x-twilio-signature': [signature, signature] }, TWILIO_SMS_BODY))).toBe(
        'malformed_signature',
      );
    });

    it('refuses a signature that is not base64 of 20 bytes as malformed', () => {
      const hex = Buffer.from(signature, 'base64').toString('hex');
      for (const bad of [signature.slice(1), `${signature}A`, hex, signature.replace(/=$/, ''), '!'.repeat(28)]) {
        expect(reasonOf(() => verify({ 'x-twilio-signature': bad }, TWILIO_SMS_BODY))).toBe('malformed_signature');
      }
    });

    it('handles a form of many fields, a body that is no form and bytes that are no UTF-8 without throwing anything else', () => {
      // Under the 1000 keys the SDK's querystring.parse (and Express's urlencoded) reads at most.
      const many = Array.from({ length: 999 }, (_, index) => `f${index}=${'v'.repeat(index % 50)}`).join('&');
      expect(reasonOf(() => verify({ 'x-twilio-signature': signature }, many))).toBe('invalid_signature');
      const bigSignature = getExpectedTwilioSignature(TOKEN, URL_, { ...parseQueryString(many) });
      expect(verify({ 'x-twilio-signature': bigSignature }, many).event).toBeUndefined();
      for (const body of ['{"not":"a form"}', '%%%&&&==', Buffer.from([0xff, 0xfe, 0x3d, 0x80])]) {
        expect(reasonOf(() => verify({ 'x-twilio-signature': signature }, body))).toBe('invalid_signature');
      }
    });

    it('asks for the URL once, however many of its forms it tries', () => {
      const calls: string[] = [];
      const headers = {
        'x-twilio-signature': createHmac('sha1', TOKEN).update('https://h.example:443/x').digest('base64'),
      };
      const delivery = new IncomingWebhook(headers, Buffer.alloc(0), {
        url: () => {
          calls.push('url');
          return 'https://h.example/x';
        },
      });
      const keys = twilioProvider.prepareKeys({ secrets: [TOKEN] });
      expect(twilioProvider.verify(delivery, keys, { toleranceSeconds: 0, now: new Date() }).event).toBeUndefined();
      expect(calls).toEqual(['url']);
    });

    it('names its failures with the reasons of the library', () => {
      const error = rejectionOf(() => verify({ 'x-twilio-signature': signature }, `${TWILIO_SMS_BODY}&x=1`));
      expect(error.message).toContain('x-twilio-signature');
      expect(error.message).not.toContain(TOKEN);
    });
  });
});
