import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import {
  IncomingWebhook,
  signWebhook,
  verifyWebhook,
  WebhookConfigurationError,
  type WebhookHeaders,
} from '../../lib/index.js';
import { linearProvider } from '../../lib/providers/linear.provider.js';
import { linearSender } from '../senders/linear.sender.js';
import { flipByte, isRejected, reasonOf } from '../core/rejections.js';

const SECRET = 'lin_wh_7d1f3a9c5e2b8f4a6c0e1d3b5a7f9c2e';
const DELIVERY_ID = '3f6a2c1e-8b4d-4e7a-9c5f-1d2e3f4a5b6c';
const SENT = new Date('2024-05-06T12:53:20.123Z');

function issueBody(webhookTimestamp: number | string | null = SENT.getTime(), type = 'Issue'): string {
  return JSON.stringify({
    action: 'update',
    actor: { id: '2e6eea91-1111-4a2b-9486-acea0603064d', name: 'Jane Doe', type: 'user' },
    data: {
      id: '5b1a0e6c-2f3d-4c8e-9a7b-6d5e4f3a2b1c',
      identifier: 'ENG-1234',
      title: 'Checkout fails on Safari',
      priority: 1,
    },
    updatedFrom: { priority: 2, updatedAt: '2024-05-06T12:50:00.000Z' },
    url: 'https://linear.app/acme/issue/ENG-1234',
    type,
    organizationId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
    webhookTimestamp,
    webhookId: '0f1e2d3c-4b5a-4968-8776-655443322110',
  });
}
const ISSUE = issueBody();

/** Linear's scheme by hand: hex HMAC-SHA256 of the body. */
function sign(body: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function headersFor(body: string | Buffer, secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'linear-delivery': DELIVERY_ID,
    'linear-event': 'Issue',
    'linear-signature': sign(body, secret),
  };
}

function verify(
  headers: WebhookHeaders,
  body: string | Buffer,
  options: { secret?: string | string[]; now?: Date; toleranceSeconds?: number } = {},
) {
  const { secret = SECRET, now = SENT, toleranceSeconds } = options;
  return verifyWebhook({
    provider: linearProvider,
    secret,
    headers,
    rawBody: Buffer.from(body),
    now,
    toleranceSeconds,
  });
}

/** The SDK's verdict at `now`: it reads `Date.now()` and takes no clock. */
function sdkAccepts(body: Buffer, signature: string, now: Date, secret = SECRET): boolean {
  const realNow = Date.now;
  Date.now = () => now.getTime();
  try {
    return new LinearWebhookClient(secret).verify(body, signature);
  } catch {
    return false;
  } finally {
    Date.now = realNow;
  }
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
}

/** Counts how often the delivery's body is parsed from now on. */
function countParses(delivery: IncomingWebhook): () => number {
  let parses = 0;
  const json = delivery.json.bind(delivery);
  delivery.json = () => {
    parses += 1;
    return json();
  };
  return () => parses;
}

describe('linear provider', () => {
  describe("against @linear/sdk's LinearWebhookClient", () => {
    it('verify accepts what signWebhook signs, and refuses it with one byte or the secret changed', () => {
      const signed = signWebhook({ provider: linearProvider, secret: SECRET, payload: ISSUE, timestamp: SENT });
      const signature = signed.headers['linear-signature']!;
      expect(sdkAccepts(signed.body, signature, SENT)).toBe(true);
      for (let offset = 0; offset < signed.body.length; offset += 5) {
        expect(sdkAccepts(flipByte(signed.body, offset, 0x01), signature, SENT)).toBe(false);
      }
      expect(sdkAccepts(signed.body, signature, SENT, `${SECRET}x`)).toBe(false);
    });

    it('parseData gives the payload whose webhookTimestamp signWebhook wrote', () => {
      const payload = { action: 'create', type: 'Comment', data: { id: 'c1', body: 'LGTM' } };
      const signed = signWebhook({ provider: linearProvider, secret: SECRET, payload, timestamp: SENT });
      const realNow = Date.now;
      Date.now = () => SENT.getTime();
      try {
        expect(new LinearWebhookClient(SECRET).parseData(signed.body, signed.headers['linear-signature']!)).toEqual({
          ...payload,
          webhookTimestamp: SENT.getTime(),
        });
      } finally {
        Date.now = realNow;
      }
      expect(signed.headers['linear-event']).toBe('Comment');
    });

    it("the SDK's own handler routes what signWebhook signs on the body type, as this provider does", async () => {
      const now = new Date();
      const body = issueBody(now.getTime());
      const signed = signWebhook({
        provider: linearProvider,
        secret: SECRET,
        payload: body,
        timestamp: now,
        event: 'NotIssue',
      });
      const seen: string[] = [];
      const handler = new LinearWebhookClient(SECRET).createHandler();
      handler.on('Issue', (payload) => {
        seen.push(payload.type);
      });
      const response = await handler(
        new Request('https://hooks.example.com/webhooks/linear', {
          method: 'POST',
          headers: signed.headers,
          body: new Uint8Array(signed.body),
        }),
      );
      expect(response.status).toBe(200);
      expect(seen).toEqual(['Issue']);
      expect(verify(signed.headers, signed.body, { now }).event).toBe('Issue');
    });

    it('verifies what the recipe signs, as the SDK does, and refuses one changed byte as the SDK does', () => {
      const headers = headersFor(ISSUE);
      expect(sdkAccepts(Buffer.from(ISSUE), headers['linear-signature']!, SENT)).toBe(true);
      expect(verify(headers, ISSUE).deliveryId).toBe(DELIVERY_ID);
      for (let offset = 0; offset < ISSUE.length; offset += 5) {
        const tampered = flipByte(Buffer.from(ISSUE), offset, 0x01);
        expect(sdkAccepts(tampered, headers['linear-signature']!, SENT)).toBe(false);
        expect(reasonOf(() => verify(headers, tampered))).toBe('invalid_signature');
      }
    });

    it('agrees with the SDK on the window: 60 s either way', () => {
      const headers = headersFor(ISSUE);
      const signature = headers['linear-signature']!;
      for (const seconds of [60, -60]) {
        const now = new Date(SENT.getTime() + seconds * 1000);
        expect(sdkAccepts(Buffer.from(ISSUE), signature, now)).toBe(true);
        expect(verify(headers, ISSUE, { now }).timestamp).toEqual(SENT);
      }
      for (const seconds of [61, -61]) {
        const now = new Date(SENT.getTime() + seconds * 1000);
        expect(sdkAccepts(Buffer.from(ISSUE), signature, now)).toBe(false);
        expect(reasonOf(() => verify(headers, ISSUE, { now }))).toBe('timestamp_out_of_window');
      }
    });
  });

  describe('delivery id, event and timestamp', () => {
    it('Linear-Delivery, the body type, the body webhookTimestamp in milliseconds', () => {
      expect(verify(headersFor(ISSUE), ISSUE)).toEqual({ deliveryId: DELIVERY_ID, event: 'Issue', timestamp: SENT });
    });

    it('routes on the signed body type, not on a changed Linear-Event header', () => {
      const headers = { ...headersFor(ISSUE), 'linear-event': 'Comment' };
      expect(verify(headers, ISSUE).event).toBe('Issue');
    });

    it('falls back to Linear-Event when the body has no type, and to the digest without Linear-Delivery', () => {
      const body = JSON.stringify({ action: 'create', webhookTimestamp: SENT.getTime() });
      const result = verify(without(headersFor(body), 'linear-delivery'), body);
      expect(result.event).toBe('Issue');
      expect(result.deliveryId).toMatch(/^[0-9a-f]{32}$/);
    });

    it('a repeated Linear-Delivery or Linear-Event is malformed_signature', () => {
      expect(reasonOf(() => verify({ ...headersFor(ISSUE), 'linear-delivery': [DELIVERY_ID, 'x'] }, ISSUE))).toBe(
        'malformed_signature',
      );
      expect(reasonOf(() => verify({ ...headersFor(ISSUE), 'linear-event': ['Issue', 'Comment'] }, ISSUE))).toBe(
        'malformed_signature',
      );
    });

    it('with the window off, reads nothing from the body to verify', () => {
      const delivery = new IncomingWebhook(headersFor(ISSUE), Buffer.from(ISSUE));
      const parses = countParses(delivery);
      const keys = linearProvider.prepareKeys({ secrets: [SECRET] });
      const verified = linearProvider.verify(delivery, keys, { toleranceSeconds: 0, now: SENT });
      expect(parses()).toBe(0);
      expect(verified.timestamp).toEqual(SENT);
      expect(verified.event).toBe('Issue');
    });

    it('never parses a body whose signature does not match', () => {
      const delivery = new IncomingWebhook(headersFor(ISSUE, 'another-secret'), Buffer.from(ISSUE));
      let parses = 0;
      delivery.json = () => {
        parses += 1;
        return undefined;
      };
      const keys = linearProvider.prepareKeys({ secrets: [SECRET] });
      expect(reasonOf(() => linearProvider.verify(delivery, keys, { toleranceSeconds: 60, now: SENT }))).toBe(
        'invalid_signature',
      );
      expect(parses).toBe(0);
    });
  });

  describe('webhookTimestamp read from the end of the body', () => {
    const T = SENT.getTime();
    /** Verifies with the window on, counting how often the body is parsed. */
    function verifyCountingParses(body: string): { result: string | Date | undefined; parses: number } {
      const delivery = new IncomingWebhook(headersFor(body), Buffer.from(body));
      const parses = countParses(delivery);
      const keys = linearProvider.prepareKeys({ secrets: [SECRET] });
      try {
        return {
          result: linearProvider.verify(delivery, keys, { toleranceSeconds: 60, now: SENT }).timestamp,
          parses: parses(),
        };
      } catch (error) {
        return {
          result: reasonOf(() => {
            throw error;
          }),
          parses: parses(),
        };
      }
    }

    it("reads Linear's own layout (webhookTimestamp, then webhookId, last) without parsing the body", () => {
      expect(verifyCountingParses(ISSUE)).toEqual({ result: SENT, parses: 0 });
      const spaced = `{ "type": "Issue", "webhookTimestamp" : ${T} ,\n "webhookId": "abc" }\n`;
      expect(verifyCountingParses(spaced)).toEqual({ result: SENT, parses: 0 });
    });

    // Each body: what the shortcut must not misread. The answer must be the full parse's.
    it.each([
      ['nested last member', `{"type":"Issue","data":{"webhookTimestamp":${T}}}`],
      ['an earlier duplicate: the last one counts', `{"webhookTimestamp":1,"type":"Issue","webhookTimestamp":${T}}`],
      ['a later duplicate: the last one counts', `{"webhookTimestamp":${T},"type":"Issue","webhookTimestamp":1}`],
      ['inside a string with escaped quotes', `{"type":"Issue","note":"x\\",\\"webhookTimestamp\\":${T}"}`],
      ['an escaped key', `{"type":"Issue","webhook\\u0054imestamp":${T}}`],
      ['a fraction', `{"type":"Issue","webhookTimestamp":${T}.5}`],
      ['an exponent', `{"type":"Issue","webhookTimestamp":1.7e12}`],
      ['a negative time', `{"type":"Issue","webhookTimestamp":-${T}}`],
      ['a leading zero (not JSON)', `{"type":"Issue","webhookTimestamp":0${T}}`],
      ['a string', `{"type":"Issue","webhookTimestamp":"${T}"}`],
      ['a top-level array', `[{"webhookTimestamp":${T}}]`],
      ['after a nested last member', `{"webhookTimestamp":${T},"data":{"a":1}}`],
      ['behind a literal', `{"webhookTimestamp":${T},"ok":true}`],
    ])('%s: the same answer as parsing the body', (_label, body) => {
      const parsed = ((): unknown => {
        try {
          return (JSON.parse(body) as { webhookTimestamp?: unknown }).webhookTimestamp;
        } catch {
          return undefined;
        }
      })();
      const expected =
        parsed === undefined || parsed === null
          ? 'missing_timestamp'
          : typeof parsed !== 'number'
            ? 'malformed_timestamp'
            : Math.abs(parsed - T) > 60_000
              ? 'timestamp_out_of_window'
              : new Date(parsed);
      expect(verifyCountingParses(body).result).toEqual(expected);
    });
  });

  describe('window and webhookTimestamp', () => {
    it('is 60 s by default, configurable, off with 0', () => {
      const headers = headersFor(ISSUE);
      const at = (seconds: number) => new Date(SENT.getTime() + seconds * 1000);
      expect(reasonOf(() => verify(headers, ISSUE, { now: at(61) }))).toBe('timestamp_out_of_window');
      expect(verify(headers, ISSUE, { now: at(299), toleranceSeconds: 300 }).event).toBe('Issue');
      expect(verify(headers, ISSUE, { now: at(86_400 * 365), toleranceSeconds: 0 }).timestamp).toEqual(SENT);
    });

    it.each([
      ['absent', JSON.stringify({ type: 'Issue', data: {} })],
      ['null', issueBody(null)],
      ['a body that is not JSON', 'not json {'],
      ['a JSON array', '[{"webhookTimestamp":1715000000123}]'],
    ])('missing (%s) is missing_timestamp', (_label, body) => {
      expect(reasonOf(() => verify(headersFor(body), body))).toBe('missing_timestamp');
    });

    it.each([
      ['a string', issueBody(String(SENT.getTime()))],
      ['beyond what a Date holds', issueBody(1e300)],
      ['a string of an ISO date', issueBody(SENT.toISOString())],
    ])('%s is malformed_timestamp', (_label, body) => {
      expect(reasonOf(() => verify(headersFor(body), body))).toBe('malformed_timestamp');
    });

    it('with the window off, a body without a timestamp verifies cleanly', () => {
      for (const body of ['not json {', '[]', JSON.stringify({ type: 'Issue', webhookTimestamp: 'soon' })]) {
        const result = verify(headersFor(body), body, { toleranceSeconds: 0 });
        expect(result.timestamp).toBeUndefined();
        expect(result.deliveryId).toBe(DELIVERY_ID);
        expect(result.event).toBe('Issue');
      }
    });
  });

  describe('rotation', () => {
    it('verifies with either secret of [new, old] and signs with the first', () => {
      const next = 'lin_wh_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d';
      expect(verify(headersFor(ISSUE), ISSUE, { secret: [next, SECRET] }).deliveryId).toBe(DELIVERY_ID);
      const byNew = headersFor(ISSUE, next);
      expect(verify(byNew, ISSUE, { secret: [next, SECRET] }).deliveryId).toBe(DELIVERY_ID);
      expect(reasonOf(() => verify(byNew, ISSUE))).toBe('invalid_signature');
      const signed = signWebhook({ provider: linearProvider, secret: [next, SECRET], payload: ISSUE, timestamp: SENT });
      expect(signed.headers['linear-signature']).toBe(sign(ISSUE, next));
    });
  });

  describe('malformed signatures', () => {
    const good = headersFor(ISSUE);
    const signature = good['linear-signature']!;

    it('a missing or empty signature is missing_signature', () => {
      expect(reasonOf(() => verify(without(good, 'linear-signature'), ISSUE))).toBe('missing_signature');
      expect(reasonOf(() => verify({ ...good, 'linear-signature': '' }, ISSUE))).toBe('missing_signature');
    });

    it.each([
      ['with a sha256= prefix', `sha256=${signature}`],
      ['base64', Buffer.from(signature, 'hex').toString('base64')],
      ['too short', signature.slice(0, 62)],
      ['not hex', 'z'.repeat(64)],
      ['sent twice', [signature, signature]],
      ['a thousand times', Array.from({ length: 1000 }, () => signature).join(',')],
    ])('a signature %s is malformed_signature', (_label, value) => {
      expect(reasonOf(() => verify({ ...good, 'linear-signature': value }, ISSUE))).toBe('malformed_signature');
    });

    it('refuses no secret or an empty one at configuration', () => {
      expect(() => signWebhook({ provider: linearProvider, payload: ISSUE })).toThrow(WebhookConfigurationError);
      expect(() => signWebhook({ provider: linearProvider, secret: '', payload: ISSUE })).toThrow(
        WebhookConfigurationError,
      );
    });
  });

  describe('signWebhook', () => {
    it('adds webhookTimestamp to a JSON object without one, keeping every other byte', () => {
      const signed = signWebhook({
        provider: linearProvider,
        secret: SECRET,
        payload: '{ "type": "Issue" }\n',
        timestamp: SENT,
        id: DELIVERY_ID,
      });
      expect(signed.body.toString()).toBe(`{ "type": "Issue","webhookTimestamp":${SENT.getTime()}}\n`);
      expect(signed.headers).toEqual({
        'content-type': 'application/json; charset=utf-8',
        'linear-delivery': DELIVERY_ID,
        'linear-event': 'Issue',
        'linear-signature': sign(signed.body),
      });
      const empty = signWebhook({ provider: linearProvider, secret: SECRET, payload: {}, timestamp: SENT });
      expect(empty.body.toString()).toBe(`{"webhookTimestamp":${SENT.getTime()}}`);
    });

    it('keeps a webhookTimestamp the payload has, and signs a non-object as given', () => {
      const stale = issueBody(SENT.getTime() - 120_000);
      expect(
        signWebhook({ provider: linearProvider, secret: SECRET, payload: stale, timestamp: SENT }).body.toString(),
      ).toBe(stale);
      expect(
        signWebhook({ provider: linearProvider, secret: SECRET, payload: '[1]', timestamp: SENT }).body.toString(),
      ).toBe('[1]');
    });
  });

  describe('sender fixture', () => {
    it('delivers what the provider verifies, the SDK and the floor accept, and a changed byte fails all', async () => {
      const now = new Date('2024-05-06T12:53:20Z');
      const url = 'https://hooks.example.com/webhooks/linear';
      const delivery = await linearSender.delivery({ url, now });
      const result = verify(delivery.headers, delivery.body, { now });
      expect({ deliveryId: result.deliveryId, event: result.event }).toEqual(linearSender.expected);
      expect(result.timestamp).toEqual(now);
      expect(await linearSender.sdkAccepts!({ delivery, url, now })).toBe(true);
      expect(linearSender.floor({ delivery, url })).toBe(true);
      const tampered = { ...delivery, body: flipByte(delivery.body, 30, 0x01) };
      expect(await linearSender.sdkAccepts!({ delivery: tampered, url, now })).toBe(false);
      expect(linearSender.floor({ delivery: tampered, url })).toBe(false);
      expect(isRejected(() => verify(tampered.headers, tampered.body, { now }))).toBe(true);
      const later = new Date(now.getTime() + 61_000);
      expect(await linearSender.sdkAccepts!({ delivery, url, now: later })).toBe(false);
    });
  });
});
