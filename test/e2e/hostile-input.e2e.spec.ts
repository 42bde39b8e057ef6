import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookSigner } from '../../lib/index.js';
import { screenshotPng, usersnapFeedback } from '../../sample/payloads.js';
import { CONTENT_TYPES, hostileBody, printable, randomHeaderName } from './fixtures/hostile-arbitraries.js';
import { RawHttpClient } from './fixtures/http-client.js';
import { SECRETS } from './fixtures/secrets.js';
import { PLATFORMS, startTestApp, type TestApp } from './fixtures/test-app.js';

const SOURCES = ['usersnap', 'guuru', 'survicate', 'shopsurvey', 'billing', 'github', 'nobody', '_x', '..', '%00'];
const SIGNATURE_HEADERS = [
  'x-usersnap-signature',
  'x-usersnap-timestamp',
  'x-guuru-hmac-sha256',
  'hmac',
  'token',
  'x-shopsurvey-webhook-hmac',
  'x-shopsurvey-webhook-hmac-algorithm',
  'x-shopsurvey-webhook-sent-at',
  'x-shopsurvey-webhook-message-id',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-hub-signature-256',
  'x-github-delivery',
];
const headerName = fc.oneof(fc.constantFrom(...SIGNATURE_HEADERS), randomHeaderName);
const headerValue = fc.oneof(
  { weight: 8, arbitrary: printable(200) },
  { weight: 1, arbitrary: fc.integer({ min: 8_000, max: 20_000 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.array(printable(60), { minLength: 2, maxLength: 3 }) },
);
/**
 * Up to 8 headers of up to 20 kB each: many sets go over Node's 16 KiB header limit, which
 * both platforms must answer with 431 (and `Connection: close`, so the keep-alive pool does
 * not send the next request on the closed socket).
 */
const headerSets = fc.dictionary(headerName, headerValue, { maxKeys: 8 });
describe.each(PLATFORMS)('hostile input on %s', (platform) => {
  describe('hostile input (fast-check over real HTTP)', () => {
    let testApp: TestApp;
    let client: RawHttpClient;

    beforeAll(async () => {
      testApp = await startTestApp(undefined, { platform });
      await testApp.app.listen(0, '127.0.0.1');
      client = new RawHttpClient(port(testApp), 10);
    });

    afterAll(async () => {
      client.close();
      await testApp.app.close();
    });

    beforeEach(() => testApp.calls.clear());

    it('never answers 5xx and never runs a handler for random headers, bodies and content types', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...SOURCES),
          headerSets,
          fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
          hostileBody,
          fc.constantFrom('POST', 'GET', 'PUT'),
          async (source, headers, contentType, payload, method) => {
            const all: Record<string, string | string[]> = { ...headers };
            if (contentType !== undefined) all['content-type'] = contentType;
            const response = await client.send(
              method,
              `/webhooks/${source}`,
              all,
              method === 'GET' ? undefined : payload,
            );
            expect(response.status).toBeLessThan(500);
            // Node counts names, values and separators against its 16 KiB limit; between the two bounds, either.
            const headerBytes = Object.entries(all).reduce(
              (sum, [name, value]) => sum + [value].flat().reduce((line, v) => line + name.length + v.length + 4, 0),
              0,
            );
            if (headerBytes > 17_000) expect(response.status).toBe(431);
            if (headerBytes < 15_000) expect(response.status).not.toBe(431);
            expect(testApp.calls.calls).toHaveLength(0);
          },
        ),
        { numRuns: 300 },
      );
    }, 120_000);

    it('answers 431 with Connection: close to headers over 16 KiB, and the keep-alive pool carries on', async () => {
      const single = new RawHttpClient(port(testApp), 1);
      try {
        const signer = testApp.app.get(WebhookSigner);
        const before = signer.sign('guuru', { question: 'before the oversized one' });
        expect((await single.send('POST', '/webhooks/guuru', before.headers, before.body)).status).toBe(200);
        for (const body of [undefined, Buffer.alloc(4096, 0x7b)]) {
          const oversized = signer.sign('guuru', { question: 'oversized' });
          const refused = await single.send(
            'POST',
            '/webhooks/guuru',
            { ...oversized.headers, 'x-padding': 'p'.repeat(20_000) },
            body ?? oversized.body,
          );
          expect(refused.status).toBe(431);
          expect(refused.headers.connection).toBe('close');
          // The same one-socket pool: the next request must not land on the closed socket.
          const after = signer.sign('guuru', { question: `after ${body ? 'a body' : 'no body'}` });
          expect((await single.send('POST', '/webhooks/guuru', after.headers, after.body)).status).toBe(200);
        }
        expect(testApp.calls.of('guuru').map((call) => (call.payload as { question: string }).question)).toEqual([
          'before the oversized one',
          'after no body',
          'after a body',
        ]);
      } finally {
        single.close();
      }
    });

    it('refuses signature headers of every length for every sender with 401', async () => {
      const signer = testApp.app.get(WebhookSigner);
      const genuine = {
        usersnap: signer.sign('usersnap', usersnapFeedback),
        guuru: signer.sign('guuru', { question: 'q' }),
        survicate: signer.sign('survicate', { messageId: 'm', event: { questionAnswered: {} } }),
        shopsurvey: signer.sign('shopsurvey', { id: 'x' }),
        billing: signer.sign('billing', { type: 't', timestamp: '2026-01-01T00:00:00Z', data: {} }),
        github: signer.sign('github', { ref: 'r' }, { event: 'push' }),
      };
      const signatureHeader: Record<keyof typeof genuine, string> = {
        usersnap: 'x-usersnap-signature',
        guuru: 'x-guuru-hmac-sha256',
        survicate: 'hmac',
        shopsurvey: 'x-shopsurvey-webhook-hmac',
        billing: 'webhook-signature',
        github: 'x-hub-signature-256',
      };
      for (const [source, signed] of Object.entries(genuine) as [keyof typeof genuine, (typeof genuine)['guuru']][]) {
        for (let length = 0; length <= 300; length += length < 140 ? 1 : 16) {
          for (const alphabet of [
            '0123456789abcdef',
            'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=,v ',
          ]) {
            const value = Array.from({ length }, (_, i) => alphabet[(i * 7 + length) % alphabet.length]).join('');
            const headers = { ...signed.headers, [signatureHeader[source]]: value };
            const response = await client.send('POST', `/webhooks/${source}`, headers, signed.body);
            if (response.status !== 401)
              throw new Error(`${source} length ${length}: ${response.status} ${response.body}`);
          }
        }
      }
      expect(testApp.calls.calls).toHaveLength(0);
    }, 120_000);

    it('answers 400, not 500, to signed bodies that break parsers: unknown charsets, absurdly deep JSON', async () => {
      const signer = testApp.app.get(WebhookSigner);
      const feedbackPart = Buffer.from(
        '--b\r\nContent-Disposition: form-data; name="feedback"\r\nContent-Type: text/plain; charset=x-bogus\r\n\r\n{}\r\n--b--\r\n',
      );
      const timestamp = String(Date.now());
      const signature = usersnapSignature(feedbackPart, timestamp);
      const bogus = await client.send(
        'POST',
        '/webhooks/usersnap',
        {
          'content-type': 'multipart/form-data; boundary=b',
          'x-usersnap-signature': signature,
          'x-usersnap-timestamp': timestamp,
        },
        feedbackPart,
      );
      expect(bogus.status).toBe(400);
      expect(JSON.parse(bogus.body)).toMatchObject({ reason: 'unparseable_payload' });

      const deep = `{"question":"q","user":${'['.repeat(5000)}${']'.repeat(5000)}}`;
      const signed = signer.sign('guuru', deep);
      const response = await client.send('POST', '/webhooks/guuru', signed.headers, signed.body);
      expect(response.status).toBe(400);
      expect(testApp.calls.calls).toHaveLength(0);
    });

    it('refuses truncated multipart: 401 when the signature no longer matches, 400 (never 5xx) when re-signed', async () => {
      const signer = testApp.app.get(WebhookSigner);
      const signed = signer.sign('usersnap', usersnapFeedback, {
        attachments: [{ name: 'screenshot', filename: 's.png', contentType: 'image/png', data: screenshotPng }],
      });
      const full = Buffer.from(signed.body);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: full.length - 8 }), async (cut) => {
          const truncated = full.subarray(0, cut);
          const unsigned = await client.send('POST', '/webhooks/usersnap', signed.headers, truncated);
          expect(unsigned.status).toBe(401);
          // Authentic but truncated: the sender signed exactly these bytes.
          const timestamp = signed.headers['x-usersnap-timestamp']!;
          const signature = usersnapSignature(truncated, timestamp);
          const resigned = await client.send(
            'POST',
            '/webhooks/usersnap',
            { ...signed.headers, 'x-usersnap-signature': signature },
            truncated,
          );
          expect(resigned.status).toBe(400);
          expect(JSON.parse(resigned.body)).toMatchObject({ reason: 'unparseable_payload' });
        }),
        { numRuns: 60 },
      );
      expect(testApp.calls.calls).toHaveLength(0);
    }, 60_000);
  });
});

function port(testApp: TestApp): number {
  return ((testApp.app.getHttpServer() as Server).address() as AddressInfo).port;
}

/** Usersnap's signature of raw bytes, as its sender computes it (HMAC-SHA256 of the body, then the timestamp as 32 LE bytes). */
function usersnapSignature(body: Buffer, timestamp: string): string {
  const timestampBytes = Buffer.alloc(32);
  timestampBytes.writeBigUInt64LE(BigInt(timestamp));
  return createHmac('sha256', SECRETS.usersnap).update(body).update(timestampBytes).digest('hex');
}
