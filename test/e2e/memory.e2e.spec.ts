import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookSigner, WebhooksModule } from '../../lib/index.js';
import { usersnapFeedback } from '../../sample/payloads.js';
import { RawHttpClient, runLimited } from './fixtures/http-client.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

const MB = 1024 * 1024;
const CONCURRENCY = 50;

/** Samples the process's memory while `work` runs; returns the peak growth in MB. */
async function peakGrowth(work: () => Promise<unknown>): Promise<number> {
  // The JavaScript heap plus memory outside it, where Buffers live.
  const used = (): number => {
    const { heapUsed, external } = process.memoryUsage();
    return heapUsed + external;
  };
  const before = used();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, used())), 2);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, used());
  return (peak - before) / MB;
}

describe.each(PLATFORMS)('memory on %s', (platform) => {
  describe('memory under large bodies', () => {
    let testApp: TestApp;
    let client: RawHttpClient;

    beforeAll(async () => {
      testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), maxBodyBytes: 2 * MB }), {
        platform,
      });
      await testApp.app.listen(0, '127.0.0.1');
      const { port } = (testApp.app.getHttpServer() as Server).address() as AddressInfo;
      client = new RawHttpClient(port, CONCURRENCY);
    });

    afterAll(async () => {
      client.close();
      await testApp.app.close();
    });

    it('handles 1 MB deliveries at 50 concurrent connections with bounded memory', async () => {
      const signer = testApp.app.get(WebhookSigner);
      const attachment = Buffer.alloc(MB, 0x5a);
      const deliveries = Array.from({ length: 150 }, (_, n) =>
        signer.sign(
          'usersnap',
          { ...usersnapFeedback, feedback_number: n },
          {
            attachments: [{ name: 'screenshot', filename: 'big.bin', data: attachment }],
          },
        ),
      );
      const statuses: number[] = [];
      const growth = await peakGrowth(() =>
        runLimited(
          deliveries.map((signed) => async () => {
            statuses.push((await client.send('POST', '/webhooks/usersnap', signed.headers, signed.body)).status);
            testApp.calls.clear(); // the test's own record would otherwise keep every body alive
          }),
          CONCURRENCY,
        ),
      );
      console.log(
        `1 MB bodies x ${deliveries.length} at ${CONCURRENCY} connections: peak memory growth ${growth.toFixed(0)} MB`,
      );
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      // Each in-flight delivery holds its body, its parts and a copy in the client: a few MB each, never all 150.
      expect(growth).toBeLessThan(CONCURRENCY * 8);
    }, 60_000);

    // A type no parser reads, so the guard reads the stream: Fastify has no parser for octet-stream and answers 415.
    const unparsedContentType = platform === 'fastify' ? 'multipart/form-data; boundary=x' : 'application/octet-stream';

    it('stops reading bodies over the limit: 50 concurrent 10 MB bodies cost far less than 500 MB', async () => {
      const huge = Buffer.alloc(10 * MB, 0x61);
      const statuses: number[] = [];
      const growth = await peakGrowth(() =>
        runLimited(
          Array.from({ length: CONCURRENCY }, () => async () => {
            const response = await client
              .send(
                'POST',
                '/webhooks/usersnap',
                { 'content-type': unparsedContentType, 'transfer-encoding': 'chunked' },
                huge,
              )
              .catch(() => ({ status: 413 }));
            statuses.push(response.status);
          }),
          CONCURRENCY,
        ),
      );
      console.log(`10 MB bodies over a 2 MB limit x ${CONCURRENCY}: peak memory growth ${growth.toFixed(0)} MB`);
      expect(statuses.filter((status) => status !== 413)).toEqual([]);
      // At most the limit is read per request, and those bytes are dropped.
      expect(growth).toBeLessThan(CONCURRENCY * 3);
    }, 60_000);
  });
});
