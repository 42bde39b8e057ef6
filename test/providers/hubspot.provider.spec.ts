import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Signature } from '@hubspot/api-client/lib/src/utils/signature.js';
import { signWebhook, verifyWebhook, WebhookConfigurationError, WebhookVerifier } from '../../lib/index.js';
import type { WebhookHeaders } from '../../lib/index.js';
import { hubspotProvider } from '../../lib/providers/hubspot.provider.js';
import { flipByte, reasonOf } from '../core/rejections.js';
import { HUBSPOT_EVENTS_BODY, hubspotDeliveryId, hubspotSender, hubspotSignedUri } from '../senders/hubspot.sender.js';

const SECRET = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const URL_ = 'https://hooks.example.com/webhooks/hubspot?portal=62515';
const NOW = new Date('2024-05-01T12:00:00.000Z');
const NOW_MS = String(NOW.getTime());

/** The SDK's v3 signature (it takes the URI as given: pass it decoded, as HubSpot's documentation says). */
function sdkSignature(options: { url?: string; body?: string; timestamp?: number; method?: string; secret?: string }) {
  const {
    url = URL_,
    body = HUBSPOT_EVENTS_BODY,
    timestamp = NOW.getTime(),
    method = 'POST',
    secret = SECRET,
  } = options;
  return Signature.getSignature(method, 'v3', {
    signature: '',
    clientSecret: secret,
    requestBody: body,
    url,
    timestamp,
  });
}

function headersFor(signature: string, timestamp = NOW_MS): Record<string, string> {
  return { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp };
}

interface VerifyOptions {
  url?: string;
  method?: string;
  now?: Date;
  secret?: string | string[];
  toleranceSeconds?: number;
}

function verify(headers: WebhookHeaders, body: string | Buffer = HUBSPOT_EVENTS_BODY, options: VerifyOptions = {}) {
  const { url = URL_, method, now = NOW, secret = SECRET, toleranceSeconds } = options;
  return verifyWebhook({
    provider: hubspotProvider,
    secret,
    headers,
    rawBody: Buffer.from(body),
    url,
    method,
    now,
    toleranceSeconds,
  });
}

describe('hubspot provider', () => {
  describe("against @hubspot/api-client's Signature", () => {
    it('verifies what getSignature signs (v3): a digest id, no event, the timestamp in milliseconds', () => {
      const signature = sdkSignature({});
      const result = verify(headersFor(signature));
      expect(result).toEqual({ deliveryId: expect.stringMatching(/^[0-9a-f]{32}$/), event: undefined, timestamp: NOW });
      expect(result.deliveryId).not.toContain(Buffer.from(signature, 'base64').toString('hex').slice(0, 16));
    });

    it('verifies the fixture delivery with the facts it expects', async () => {
      const delivery = await hubspotSender.delivery({ url: URL_, now: NOW });
      const result = verify(delivery.headers, delivery.body);
      expect(result).toEqual({ ...hubspotSender.expected });
      expect(hubspotSender.floor({ delivery, url: URL_ })).toBe(true);
      expect(hubspotSender.sdkAccepts!({ delivery, url: URL_, now: NOW })).toBe(true);
    });

    it('refuses what the SDK signed once a byte of the body, the URL, the time or the method changes', () => {
      const signature = sdkSignature({});
      const body = Buffer.from(HUBSPOT_EVENTS_BODY);
      for (let offset = 0; offset < body.length; offset += 11) {
        expect(reasonOf(() => verify(headersFor(signature), flipByte(body, offset, 0x01)))).toBe('invalid_signature');
      }
      expect(reasonOf(() => verify(headersFor(signature), body, { url: `${URL_}1` }))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor(signature), body, { url: URL_.replace('https', 'http') }))).toBe(
        'invalid_signature',
      );
      expect(reasonOf(() => verify(headersFor(signature, String(NOW.getTime() - 1)), body))).toBe('invalid_signature');
      expect(reasonOf(() => verify(headersFor(signature), body, { method: 'PUT' }))).toBe('invalid_signature');
    });

    it('writes what Signature.isValid accepts at that time, and it refuses a one-byte change', () => {
      const signed = signWebhook({
        provider: hubspotProvider,
        secret: SECRET,
        url: URL_,
        timestamp: NOW,
        payload: HUBSPOT_EVENTS_BODY,
      });
      expect(signed.headers['x-hubspot-request-timestamp']).toBe(NOW_MS);
      expect(signed.headers['x-hubspot-signature-v3']).toBe(sdkSignature({}));
      expect(hubspotSender.sdkAccepts!({ delivery: signed, url: URL_, now: NOW })).toBe(true);
      const tampered = { ...signed, body: flipByte(signed.body, 10, 0x01) };
      expect(hubspotSender.sdkAccepts!({ delivery: tampered, url: URL_, now: NOW })).toBe(false);
      expect(hubspotSender.sdkAccepts!({ delivery: signed, url: `${URL_}1`, now: NOW })).toBe(false);
      const later = {
        ...signed,
        headers: { ...signed.headers, 'x-hubspot-request-timestamp': String(NOW.getTime() + 1) },
      };
      expect(hubspotSender.sdkAccepts!({ delivery: later, url: URL_, now: NOW })).toBe(false);
    });

    it("writes HubSpot's v1 signature too, matching the v1 example of HubSpot's documentation", () => {
      const docsSecret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
      const docsBody =
        '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
      const signed = signWebhook({ provider: hubspotProvider, secret: docsSecret, url: URL_, payload: docsBody });
      expect(signed.headers['x-hubspot-signature']).toBe(
        '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de',
      );
      expect(signed.headers['x-hubspot-signature-version']).toBe('v1');
    });

    it('checks v3 only: a delivery with only the v1 signature has no signature', () => {
      const v1 = Signature.getSignature('POST', 'v1', {
        signature: '',
        clientSecret: SECRET,
        requestBody: HUBSPOT_EVENTS_BODY,
      });
      const headers = {
        'x-hubspot-signature': v1,
        'x-hubspot-signature-version': 'v1',
        'x-hubspot-request-timestamp': NOW_MS,
      };
      expect(reasonOf(() => verify(headers))).toBe('missing_signature');
    });
  });

  describe('the URI, as HubSpot decodes it', () => {
    const escaped =
      'https://hooks.example.com/webhooks/hubspot?next=%2Fdeals%3Fid%3D7&who=a%40b.c&x=%21%24%27%28%29%2a%2C%3B%3a';

    it('decodes the twelve escapes of the documentation (either case) before checking', () => {
      const decoded = "https://hooks.example.com/webhooks/hubspot?next=/deals?id%3D7&who=a@b.c&x=!$'()*,;:";
      expect(hubspotSignedUri(escaped)).toBe(decoded);
      const signature = sdkSignature({ url: decoded });
      expect(verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { url: escaped }).timestamp).toEqual(NOW);
      // The same escapes decoded by the app already: the same signed URI.
      expect(verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { url: decoded }).timestamp).toEqual(NOW);
    });

    it('keeps every other escape: %3D, %26, %2B, %20 and %25 stay as received', () => {
      const url = 'https://hooks.example.com/h?q=a%3Db%26c%2Bd%20e%25';
      const signature = sdkSignature({ url });
      expect(verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { url }).timestamp).toEqual(NOW);
      const overDecoded = sdkSignature({ url: decodeURIComponent(url) });
      expect(reasonOf(() => verify(headersFor(overDecoded), HUBSPOT_EVENTS_BODY, { url }))).toBe('invalid_signature');
    });

    it('does not match a signature of the undecoded URI (what the SDK computes when given the raw URL)', () => {
      const signature = sdkSignature({ url: escaped });
      expect(reasonOf(() => verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { url: escaped }))).toBe(
        'invalid_signature',
      );
    });

    it('signs the decoded URI, so what signWebhook writes for an escaped URL verifies', () => {
      const signed = signWebhook({
        provider: hubspotProvider,
        secret: SECRET,
        url: escaped,
        timestamp: NOW,
        payload: '[]',
      });
      expect(signed.headers['x-hubspot-signature-v3']).toBe(
        sdkSignature({ url: hubspotSignedUri(escaped), body: '[]' }),
      );
      expect(verify(signed.headers, signed.body, { url: escaped }).timestamp).toEqual(NOW);
    });

    it('is required: without one, verifying and signing are configuration errors', () => {
      const headers = headersFor(sdkSignature({}));
      const rawBody = Buffer.from(HUBSPOT_EVENTS_BODY);
      expect(() => verifyWebhook({ provider: hubspotProvider, secret: SECRET, headers, rawBody, now: NOW })).toThrow(
        WebhookConfigurationError,
      );
      expect(() => signWebhook({ provider: hubspotProvider, secret: SECRET, payload: '[]' })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('the delivery id (HubSpot sends none)', () => {
    /** The batch as HubSpot sends it again: every event's `attemptNumber` raised. */
    const attempt = (number: number, body = HUBSPOT_EVENTS_BODY) =>
      JSON.stringify(
        (JSON.parse(body) as Record<string, unknown>[]).map((event) => ({ ...event, attemptNumber: number })),
      );

    it('gives a retry signed again later, with its attemptNumber raised, the same id; another batch another id', () => {
      const first = verify(headersFor(sdkSignature({})));
      expect(first.deliveryId).toBe(hubspotDeliveryId(HUBSPOT_EVENTS_BODY));
      // The same body at another time, both inside the 300 s window.
      const later = NOW.getTime() + 250_000;
      const resigned = verify(headersFor(sdkSignature({ timestamp: later }), String(later)), HUBSPOT_EVENTS_BODY, {
        now: new Date(later + 1000),
      });
      expect(resigned.timestamp).toEqual(new Date(later));
      expect(resigned.deliveryId).toBe(first.deliveryId);
      // HubSpot's own retry: attemptNumber 1, signed again.
      const retry = attempt(1);
      const retried = verify(headersFor(sdkSignature({ body: retry, timestamp: later }), String(later)), retry, {
        now: new Date(later + 1000),
      });
      expect(retried.deliveryId).toBe(first.deliveryId);
      const other = HUBSPOT_EVENTS_BODY.replace('1871893410', '1871893411');
      expect(verify(headersFor(sdkSignature({ body: other })), other).deliveryId).not.toBe(first.deliveryId);
    });

    it("takes out only the events' attemptNumber: another body is hashed as received", () => {
      const body = '{"callbackId":"ap-102-193-1-1","attemptNumber":0}';
      const id = verify(headersFor(sdkSignature({ body })), body).deliveryId;
      expect(id).toBe(createHash('sha256').update(body).digest('hex').slice(0, 32));
      const raised = body.replace('0}', '1}');
      expect(verify(headersFor(sdkSignature({ body: raised })), raised).deliveryId).not.toBe(id);
    });

    it('keeps the signature digest for a request without a body: two GETs of one URI are two requests', () => {
      const signature = sdkSignature({ method: 'GET', body: '' });
      const get = verify(headersFor(signature), '', { method: 'GET' });
      expect(get.deliveryId).toBe(
        createHash('sha256').update(Buffer.from(signature, 'base64')).digest('hex').slice(0, 32),
      );
      const later = NOW.getTime() + 1000;
      const again = sdkSignature({ method: 'GET', body: '', timestamp: later });
      expect(verify(headersFor(again, String(later)), '', { method: 'GET' }).deliveryId).not.toBe(get.deliveryId);
    });

    it('works the id out only when it is read, once', () => {
      const result = verify(headersFor(sdkSignature({})));
      expect(typeof Object.getOwnPropertyDescriptor(result, 'deliveryId')?.get).toBe('function');
      expect(result.deliveryId).toBe(result.deliveryId);
    });
  });

  describe('the method', () => {
    it('is signed: a GET (a workflow or card request) verifies as GET, with an empty body', () => {
      const signature = sdkSignature({ method: 'GET', body: '' });
      expect(verify(headersFor(signature), '', { method: 'GET' }).timestamp).toEqual(NOW);
      expect(verify(headersFor(signature), '', { method: 'get' }).timestamp).toEqual(NOW);
      expect(reasonOf(() => verify(headersFor(signature), ''))).toBe('invalid_signature');
      const signed = signWebhook({
        provider: hubspotProvider,
        secret: SECRET,
        url: URL_,
        method: 'GET',
        timestamp: NOW,
      });
      expect(signed.headers['x-hubspot-signature-v3']).toBe(signature);
    });
  });

  describe('the timestamp and the window (300 s, only the past refused, as Signature.isValid)', () => {
    const signature = sdkSignature({});
    const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

    it('accepts a delivery 300 s old and refuses one 300.001 s old, as the SDK', () => {
      expect(verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { now: at(300_000) }).timestamp).toEqual(NOW);
      expect(reasonOf(() => verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { now: at(300_001) }))).toBe(
        'timestamp_out_of_window',
      );
      const delivery = { headers: headersFor(signature), body: Buffer.from(HUBSPOT_EVENTS_BODY) };
      expect(hubspotSender.sdkAccepts!({ delivery, url: URL_, now: at(300_000) })).toBe(true);
      expect(hubspotSender.sdkAccepts!({ delivery, url: URL_, now: at(300_001) })).toBe(false);
    });

    it('accepts a timestamp ahead of the clock, as the SDK does', () => {
      expect(verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { now: at(-3_600_000) }).timestamp).toEqual(NOW);
      const delivery = { headers: headersFor(signature), body: Buffer.from(HUBSPOT_EVENTS_BODY) };
      expect(hubspotSender.sdkAccepts!({ delivery, url: URL_, now: at(-3_600_000) })).toBe(true);
    });

    it('follows a configured window, and none with 0', () => {
      expect(
        reasonOf(() => verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { now: at(61_000), toleranceSeconds: 60 })),
      ).toBe('timestamp_out_of_window');
      expect(
        verify(headersFor(signature), HUBSPOT_EVENTS_BODY, { now: at(86_400_000), toleranceSeconds: 0 }).timestamp,
      ).toEqual(NOW);
    });

    it('refuses a missing, malformed or repeated timestamp, even with the window off', () => {
      const noTimestamp = { 'x-hubspot-signature-v3': signature };
      expect(reasonOf(() => verify(noTimestamp))).toBe('missing_timestamp');
      expect(reasonOf(() => verify({ ...noTimestamp, 'x-hubspot-request-timestamp': '' }))).toBe('missing_timestamp');
      for (const bad of ['yesterday', '-1714564800000', '1714564800000.5', '1e12', ' 1714564800000', '9'.repeat(40)]) {
        expect(reasonOf(() => verify(headersFor(signature, bad), HUBSPOT_EVENTS_BODY, { toleranceSeconds: 0 }))).toBe(
          'malformed_timestamp',
        );
      }
      const repeated = { ...noTimestamp, 'x-hubspot-request-timestamp': [NOW_MS, NOW_MS] };
      expect(reasonOf(() => verify(repeated))).toBe('malformed_timestamp');
    });
  });

  describe('signatures and secrets', () => {
    it('verifies with a rotation list, signed with either secret', () => {
      const old = 'old-client-secret-0000';
      for (const secret of [SECRET, old]) {
        expect(
          verify(headersFor(sdkSignature({ secret })), HUBSPOT_EVENTS_BODY, { secret: [SECRET, old] }).timestamp,
        ).toEqual(NOW);
      }
      expect(reasonOf(() => verify(headersFor(sdkSignature({ secret: old }))))).toBe('invalid_signature');
    });

    it('refuses a missing, empty, repeated or malformed signature', () => {
      const signature = sdkSignature({});
      expect(reasonOf(() => verify({ 'x-hubspot-request-timestamp': NOW_MS }))).toBe('missing_signature');
      expect(reasonOf(() => verify(headersFor('')))).toBe('missing_signature');
      expect(
        reasonOf(() =>
          verify({ 'x-hubspot-signature-v3': [signature, signature], 'x-hubspot-request-timestamp': NOW_MS }),
        ),
      ).toBe('malformed_signature');
      const hex = createHmac('sha256', SECRET).update('x').digest('hex');
      for (const bad of [hex, signature.slice(2), `${signature}=`, signature.replace(/=$/, '')]) {
        expect(reasonOf(() => verify(headersFor(bad)))).toBe('malformed_signature');
      }
    });

    it('needs a secret', () => {
      expect(() => new WebhookVerifier({ provider: hubspotProvider, secret: [] })).toThrow(WebhookConfigurationError);
    });
  });
});
