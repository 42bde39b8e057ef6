import { afterEach, describe, expect, it } from '@jest/globals';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { WebhookSigner, WebhooksModule } from '../../lib/index.js';
import { guuruChatBody, screenshotPng, usersnapFeedback } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

describe.each(PLATFORMS)('raw bodies and size limits on %s', (platform) => {
  let testApp: TestApp | undefined;

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
  });

  describe('an app created without rawBody: true', () => {
    it('answers 500 for JSON and logs one line that says how to fix it', async () => {
      testApp = await startTestApp(undefined, { rawBody: false, platform });
      const signer = testApp.app.get(WebhookSigner);
      const server = testApp.app.getHttpServer() as App;
      const signed = signer.sign('guuru', guuruChatBody);
      const response = await deliver(server, '/webhooks/guuru', signed).expect(500);
      expect(response.body.reason).toBe('raw_body_unavailable');
      const lines = testApp.logs.find('error', 'reason=raw_body_unavailable');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('rawBody: true');
      if (platform === 'fastify') expect(lines[0]).toContain('new FastifyAdapter()');
      expect(testApp.calls.calls).toHaveLength(0);
    });

    it('still verifies and handles multipart, which the module reads itself', async () => {
      testApp = await startTestApp(undefined, { rawBody: false, platform });
      const signer = testApp.app.get(WebhookSigner);
      const signed = signer.sign('usersnap', usersnapFeedback, {
        attachments: [{ name: 'screenshot', filename: 's.png', contentType: 'image/png', data: screenshotPng }],
      });
      await request(testApp.app.getHttpServer() as App)
        .post('/webhooks/usersnap')
        .set(signed.headers)
        .send(signed.body)
        .expect(200);
      expect(testApp.calls.of('usersnap')).toHaveLength(1);
    });

    it('verifies a text/plain delivery from its exact bytes', async () => {
      testApp = await startTestApp(undefined, { rawBody: false, platform });
      const signed = testApp.app.get(WebhookSigner).sign('github', 'plain text, signed: ünïcödé', { event: 'push' });
      const headers = { ...signed.headers, 'content-type': 'text/plain; charset=utf-8' };
      await deliver(testApp.app.getHttpServer() as App, '/webhooks/github', { headers, body: signed.body }).expect(200);
      expect(testApp.calls.of('github.push')[0]?.payload).toBe('plain text, signed: ünïcödé');
    });
  });

  describe('maxBodyBytes', () => {
    const limit = 4096;

    async function start(): Promise<{ signer: WebhookSigner; server: App }> {
      testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), maxBodyBytes: limit }), {
        platform,
      });
      return { signer: testApp.app.get(WebhookSigner), server: testApp.app.getHttpServer() as App };
    }

    /** A Guuru chat whose JSON is exactly `size` bytes. */
    function chatOfSize(size: number): string {
      const base = JSON.stringify({ question: '' });
      return JSON.stringify({ question: 'q'.repeat(size - base.length) });
    }

    it('accepts a JSON body of exactly the limit and answers 413 one byte over', async () => {
      const { signer, server } = await start();
      const atLimit = signer.sign('flaky', chatOfSize(limit));
      expect(atLimit.body).toHaveLength(limit);
      await deliver(server, '/webhooks/flaky', atLimit).expect(200);
      const over = signer.sign('flaky', chatOfSize(limit + 1));
      const response = await deliver(server, '/webhooks/flaky', over).expect(413);
      expect(response.body.reason).toBe('body_too_large');
      expect(testApp!.calls.of('flaky')).toHaveLength(1);
    });

    it('answers 413 to a text/plain body over the limit', async () => {
      const { signer, server } = await start();
      const signed = signer.sign('github', 't'.repeat(limit + 1), { event: 'push' });
      const headers = { ...signed.headers, 'content-type': 'text/plain' };
      const response = await deliver(server, '/webhooks/github', { headers, body: signed.body }).expect(413);
      expect(response.body.reason).toBe('body_too_large');
    });

    it('answers 413 to a multipart body over the limit, refused while streaming', async () => {
      const { signer, server } = await start();
      const signed = signer.sign('usersnap', usersnapFeedback, {
        attachments: [{ name: 'screenshot', filename: 'big.bin', data: Buffer.alloc(limit * 2, 7) }],
      });
      const response = await deliver(server, '/webhooks/usersnap', signed);
      expect(response.status).toBe(413);
      expect(response.body.reason).toBe('body_too_large');
      expect(testApp!.calls.calls).toHaveLength(0);
    });

    // Fastify's text/plain parser reads the whole body (up to its bodyLimit) before the guard; Express leaves it unread.
    const streamed = ['multipart/form-data; boundary=x', ...(platform === 'express' ? ['text/plain'] : [])];

    it.each(streamed)(
      'answers 413 to a chunked %s body (no content-length) as soon as it grows over the limit, and lets the sender finish writing',
      async (contentType) => {
        await start();
        await testApp!.app.listen(0, '127.0.0.1');
        const { port } = (testApp!.app.getHttpServer() as Server).address() as AddressInfo;
        let sent = 0;
        let finished!: () => void;
        const bodyFinished = new Promise<void>((resolve) => (finished = resolve));
        const answer = await new Promise<{ status: number; connection?: string; sentWhenAnswered: number }>(
          (resolve, reject) => {
            const req = httpRequest(
              {
                host: '127.0.0.1',
                port,
                method: 'POST',
                path: '/webhooks/usersnap',
                headers: { 'content-type': contentType },
              },
              (res) => {
                res.resume();
                resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, sentWhenAnswered: sent });
              },
            );
            // A lingering close: the server reads and drops the rest, so the sender never sees its write cut off.
            req.on('error', reject);
            req.on('finish', () => finished());
            // Chunks keep coming: the answer must not wait for the end of the body.
            const chunk = Buffer.alloc(1024, 0x61);
            const timer = setInterval(() => {
              if (sent > limit * 4 || req.destroyed) {
                clearInterval(timer);
                req.end();
                return;
              }
              req.write(chunk);
              sent += chunk.length;
            }, 5);
          },
        );
        expect(answer.status).toBe(413);
        expect(answer.connection).not.toBe('close');
        expect(answer.sentWhenAnswered).toBeLessThan(limit * 4);
        await bodyFinished;
        expect(sent).toBeGreaterThan(limit * 4);
        expect(testApp!.calls.calls).toHaveLength(0);
      },
    );
  });

  describe("the platform's own JSON limit", () => {
    // Express's JSON parser stops at 100 kB, Fastify's bodyLimit at 1 MiB, both under the 5 MiB default maxBodyBytes.
    it('answers 413 to a JSON body over it, before the guard', async () => {
      testApp = await startTestApp(undefined, { platform });
      const signed = testApp.app.get(WebhookSigner).sign('guuru', { question: 'q'.repeat(1024 * 1024 + 1) });
      const response = await deliver(testApp.app.getHttpServer() as App, '/webhooks/guuru', signed);
      expect(response.status).toBe(413);
      expect(testApp.calls.calls).toHaveLength(0);
    });
  });
});

describe('Fastify parsers the app registered itself', () => {
  let testApp: TestApp | undefined;

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
  });

  it('keeps a text/plain parser of its own: the app starts, and a text delivery it consumed gets 500', async () => {
    testApp = await startTestApp(undefined, {
      platform: 'fastify',
      configure: (app) => {
        (app as NestFastifyApplication)
          .getHttpAdapter()
          .getInstance()
          .addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => done(null, body));
      },
    });
    const signed = testApp.app.get(WebhookSigner).sign('github', 'text', { event: 'push' });
    const headers = { ...signed.headers, 'content-type': 'text/plain' };
    const response = await deliver(testApp.app.getHttpServer() as App, '/webhooks/github', {
      headers,
      body: signed.body,
    }).expect(500);
    expect(response.body.reason).toBe('raw_body_unavailable');
  });

  describe.each(PLATFORMS)('oversized bodies sent all at once by many senders, on %s', (platform) => {
    let testApp: TestApp | undefined;

    afterEach(async () => {
      await testApp?.app.close();
      testApp = undefined;
    });

    /** One POST of `body` on its own connection: the status read, or the network error the client saw. */
    function post(port: number, body: Buffer): Promise<number | string> {
      return new Promise((resolve) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/webhooks/usersnap',
            agent: false,
            headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': body.length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        req.end(body);
      });
    }

    it('lets every one of 50 concurrent 1 MB senders read its 413 (a lingering close, never EPIPE)', async () => {
      testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), maxBodyBytes: 64 * 1024 }), {
        platform,
      });
      await testApp.app.listen(0, '127.0.0.1');
      const { port } = (testApp.app.getHttpServer() as Server).address() as AddressInfo;
      const body = Buffer.alloc(1024 * 1024, 0x61);
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(port, body)));
      expect(answers.filter((answer) => answer !== 413)).toEqual([]);
      expect(testApp.calls.calls).toHaveLength(0);
    });
  });
});
