import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { App } from 'supertest/types.js';
import { WebhookDeliveries, WebhookSigner, WebhooksModule, type WebhooksModuleOptions } from '../../lib/index.js';
import { eventually, waitForQueueIdle } from '../support/queue-idle.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver } from './fixtures/deliver.js';
import { SECRETS } from './fixtures/secrets.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

let redis: TestRedis;
let queueNumber = 0;

describe.each(PLATFORMS)('queue on %s', (platform) => {
  // A Redis of its own: the other platform's run would otherwise have handled the same deliveries.
  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  describe('queue mode (BullMQ on a real Redis)', () => {
    let testApp: TestApp | undefined;
    let queueName = '';

    /** Waits until no job of this test's queue is active, waiting or delayed: nothing more can run. */
    const queueIdle = (): Promise<void> => waitForQueueIdle(redis.url, queueName);

    async function start(overrides: Partial<WebhooksModuleOptions> = {}): Promise<TestApp> {
      queueNumber += 1;
      queueName = `test-queue-${queueNumber}`;
      testApp = await startTestApp(
        WebhooksModule.forRoot({
          ...testWebhooksOptions(),
          processing: 'queue',
          queue: {
            jobSigningKey: SECRETS.jobSigning,
            connection: redis.connection,
            name: queueName,
            attempts: 3,
            backoffMs: 50,
          },
          deliveries: { store: 'redis', connection: redis.url },
          ...overrides,
        }),
        { platform },
      );
      return testApp;
    }

    afterEach(async () => {
      await testApp?.app.close();
      testApp = undefined;
    });

    it('answers 200 before a handler that takes 10 s has finished, then runs it', async () => {
      const app = await start();
      app.handlers.slowMs = 10_000;
      const signed = app.app.get(WebhookSigner).sign('slow', { question: 'take your time' });
      const startedAt = Date.now();
      const response = await deliver(app.app.getHttpServer() as App, '/webhooks/slow', signed).expect(200);
      expect(Date.now() - startedAt).toBeLessThan(2_000);
      expect(response.body).toMatchObject({ received: true, queued: true });
      expect(app.calls.of('slow')).toHaveLength(0);
      await queueIdle();
      expect(app.calls.of('slow')).toHaveLength(1);
      expect(app.calls.of('slow')[0]!.context.deliveryId).toBe(response.body.deliveryId);
    }, 60_000);

    it('handles a queued delivery with the same validated DTO as inline mode, once, however often it is sent', async () => {
      const app = await start();
      const server = app.app.getHttpServer() as App;
      const signed = app.app.get(WebhookSigner).sign('guuru', { question: 'queued', rating: 5 });
      const first = await deliver(server, '/webhooks/guuru', signed).expect(200);
      const repeat = await deliver(server, '/webhooks/guuru', signed).expect(200);
      // The first is queued, the repeat is known as one: exactly, not merely "queued" both times.
      expect(first.body).toEqual({ received: true, deliveryId: first.body.deliveryId, handled: 0, queued: true });
      expect(repeat.body).toEqual({ ...first.body, duplicate: true });
      await queueIdle();
      expect(app.calls.of('guuru')).toHaveLength(1);
      // Sent again once handled: nothing is added or run.
      await deliver(server, '/webhooks/guuru', signed).expect(200);
      await queueIdle();
      expect(app.calls.of('guuru')).toHaveLength(1);
      const [call] = app.calls.of('guuru');
      expect(call!.payload).toMatchObject({ question: 'queued', rating: 5 });
      expect(call!.payload!.constructor.name).toBe('GuuruChatDto');
      // Signature headers are not kept in the queue.
      expect(call!.context.headers['x-guuru-hmac-sha256']).toBeUndefined();
    }, 60_000);

    it('keeps a delivery that always fails as a dead letter, and replays it once the handler is fixed', async () => {
      const app = await start();
      const deliveries = app.app.get(WebhookDeliveries);
      const signed = app.app.get(WebhookSigner).sign('broken', { question: 'dead letter' });
      const response = await deliver(app.app.getHttpServer() as App, '/webhooks/broken', signed).expect(200);
      await eventually(async () => (await deliveries.listFailed()).length === 1, 30_000);
      expect(app.handlers.brokenAttempts).toBe(3);

      const [entry] = await deliveries.listFailed({ source: 'broken' });
      expect(entry).toMatchObject({
        source: 'broken',
        deliveryId: response.body.deliveryId,
        attempts: 3,
        error: expect.stringContaining('the broken handler is still broken'),
      });
      expect(entry!.failedAt).toBeInstanceOf(Date);
      expect(await deliveries.listFailed({ source: 'guuru' })).toEqual([]);
      expect(await deliveries.get(entry!.id)).toMatchObject({ id: entry!.id, deliveryId: response.body.deliveryId });

      app.handlers.broken = false;
      const result = await deliveries.replay(entry!.id);
      expect(result).toEqual({ id: entry!.id, status: 'handled' });
      expect(app.calls.of('broken')).toHaveLength(1);
      expect(await deliveries.listFailed()).toEqual([]);
      expect(await deliveries.get(entry!.id)).toBeUndefined();
      // The sender's late retry of the same delivery runs nothing again.
      await deliver(app.app.getHttpServer() as App, '/webhooks/broken', signed).expect(200);
      await queueIdle();
      expect(app.calls.of('broken')).toHaveLength(1);
    }, 60_000);

    it('replays every dead letter of a source, and reports one that fails again', async () => {
      const app = await start();
      const deliveries = app.app.get(WebhookDeliveries);
      const signer = app.app.get(WebhookSigner);
      const server = app.app.getHttpServer() as App;
      await deliver(server, '/webhooks/broken', signer.sign('broken', { question: 'one' })).expect(200);
      await deliver(server, '/webhooks/broken', signer.sign('broken', { question: 'two' })).expect(200);
      await eventually(async () => (await deliveries.listFailed({ source: 'broken' })).length === 2, 30_000);

      const stillBroken = await deliveries.replayFailed({ source: 'broken' });
      expect(stillBroken.map((result) => result.status)).toEqual(['failed', 'failed']);
      expect(stillBroken[0]!.error).toContain('still broken');
      expect(await deliveries.listFailed({ source: 'broken' })).toHaveLength(2);

      app.handlers.broken = false;
      const fixed = await deliveries.replayFailed({ source: 'broken' });
      expect(fixed.map((result) => result.status)).toEqual(['handled', 'handled']);
      expect(app.calls.of('broken')).toHaveLength(2);
      expect(await deliveries.listFailed()).toEqual([]);
    }, 60_000);

    it('sends a verified delivery whose DTO refuses the payload straight to the dead letters', async () => {
      const app = await start();
      const deliveries = app.app.get(WebhookDeliveries);
      const signed = app.app.get(WebhookSigner).sign('guuru', { rating: 'bad' });
      await deliver(app.app.getHttpServer() as App, '/webhooks/guuru', signed).expect(200);
      await eventually(async () => (await deliveries.listFailed()).length === 1, 30_000);
      await queueIdle();
      const [entry] = await deliveries.listFailed();
      expect(entry!.attempts).toBe(1);
      expect(entry!.reason).toBe('invalid_payload');
      expect(entry!.error).toContain('GuuruChatDto');
      expect(app.calls.of('guuru')).toEqual([]);
    }, 60_000);
  });

  describe('WebhookDeliveries in inline mode', () => {
    it('says that dead letters need queue mode', async () => {
      const app = await startTestApp(undefined, { platform });
      try {
        await expect(app.app.get(WebhookDeliveries).listFailed()).rejects.toThrow(/queue mode only/);
      } finally {
        await app.app.close();
      }
    });
  });
});
