import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { App } from 'supertest/types.js';
import { WebhookSigner, WebhooksModule, type WebhooksModuleOptions } from '../../lib/index.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { eventually } from '../support/queue-idle.js';
import { deliver } from './fixtures/deliver.js';
import { SECRETS } from './fixtures/secrets.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

let redis: TestRedis;

describe.each(PLATFORMS)('deliveries on %s', (platform) => {
  // A Redis of its own: the other platform's run would otherwise have handled the same deliveries.
  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  const stores: readonly [string, () => Partial<WebhooksModuleOptions>][] = [
    ['memory store', () => ({})],
    ['redis store', () => ({ deliveries: { store: 'redis', connection: redis.url } })],
  ];

  describe.each(stores)('de-duplication with the %s', (_name, storeOptions) => {
    const apps: TestApp[] = [];

    async function start(): Promise<TestApp> {
      const app = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), ...storeOptions() }), {
        platform,
      });
      apps.push(app);
      return app;
    }

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.app.close()));
    });

    it('runs the handler once for the same delivery sent 10 times at once; repeats get 200 or 409', async () => {
      const testApp = await start();
      testApp.handlers.slowMs = 300;
      const server = testApp.app.getHttpServer() as App;
      const signed = testApp.app.get(WebhookSigner).sign('slow', { question: 'once only' });
      const responses = await Promise.all(Array.from({ length: 10 }, () => deliver(server, '/webhooks/slow', signed)));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
      expect(responses.filter((response) => response.status === 200 && response.body.handled === 1)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409).length).toBeGreaterThan(0);
      // The sender retries the 409s later: they are recognised as done, without a second run.
      const retry = await deliver(server, '/webhooks/slow', signed).expect(200);
      expect(retry.body).toMatchObject({ duplicate: true, handled: 0 });
      expect(testApp.calls.of('slow')).toHaveLength(1);
    });

    it('answers a repeat of a handled delivery with 200 and runs nothing again', async () => {
      const testApp = await start();
      const server = testApp.app.getHttpServer() as App;
      const signed = testApp.app.get(WebhookSigner).sign('guuru', { question: 'again?' });
      await deliver(server, '/webhooks/guuru', signed).expect(200);
      const repeat = await deliver(server, '/webhooks/guuru', signed).expect(200);
      expect(repeat.body).toEqual({ received: true, deliveryId: repeat.body.deliveryId, handled: 0, duplicate: true });
      expect(testApp.calls.of('guuru')).toHaveLength(1);
    });

    it('releases the claim when a handler fails: 500, then the retry is processed (1 successful run)', async () => {
      const testApp = await start();
      const server = testApp.app.getHttpServer() as App;
      testApp.handlers.failNext = true;
      const signed = testApp.app.get(WebhookSigner).sign('flaky', { question: 'fails once' });
      await deliver(server, '/webhooks/flaky', signed).expect(500);
      expect(testApp.calls.of('flaky')).toHaveLength(0);
      await deliver(server, '/webhooks/flaky', signed).expect(200);
      await deliver(server, '/webhooks/flaky', signed).expect(200);
      expect(testApp.calls.of('flaky')).toHaveLength(1);
    });

    it('reruns only the handler that failed: a sibling that succeeded never runs twice', async () => {
      const testApp = await start();
      const server = testApp.app.getHttpServer() as App;
      testApp.handlers.failAnyBillingNext = true;
      const signed = testApp.app
        .get(WebhookSigner)
        .sign('billing', { type: 'invoice.paid', timestamp: '2026-11-23T10:00:00Z', data: { id: 'partial' } });
      await deliver(server, '/webhooks/billing', signed).expect(500);
      expect(testApp.calls.calls.map((call) => call.handler)).toEqual(['billing.invoice.paid']);
      const retry = await deliver(server, '/webhooks/billing', signed).expect(200);
      expect(retry.body.handled).toBe(1);
      expect(testApp.calls.calls.map((call) => call.handler).sort()).toEqual(['billing.*', 'billing.invoice.paid']);
      await deliver(server, '/webhooks/billing', signed).expect(200);
      expect(testApp.calls.calls).toHaveLength(2);
    });

    it('renews the claim while a handler outlives its lease, so a retry meanwhile is 409, not a second run', async () => {
      const testApp = await startTestApp(
        WebhooksModule.forRoot({
          ...testWebhooksOptions(),
          ...storeOptions(),
          deliveries: { ...storeOptions().deliveries, leaseSeconds: 1 },
        }),
        { platform },
      );
      apps.push(testApp);
      testApp.handlers.slowMs = 2_500;
      const server = testApp.app.getHttpServer() as App;
      const signed = testApp.app.get(WebhookSigner).sign('slow', { question: 'long handler' });
      const first = deliver(server, '/webhooks/slow', signed).then((response) => response);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      await deliver(server, '/webhooks/slow', signed).expect(409);
      expect((await first).status).toBe(200);
      expect(testApp.calls.of('slow')).toHaveLength(1);
    }, 15_000);

    it('forgets a handled delivery after deliveries.ttlSeconds: a repeat is then handled again', async () => {
      const ttlSeconds = 3;
      const testApp = await startTestApp(
        WebhooksModule.forRoot({
          sources: { guuru: { secret: SECRETS.guuru } },
          // No replay window, so a ttl of seconds is allowed (start-up refuses one shorter than the window).
          toleranceSeconds: 0,
          deliveries: { ...storeOptions().deliveries, ttlSeconds },
        }),
        { platform, handlers: 'guuru-only' },
      );
      apps.push(testApp);
      const server = testApp.app.getHttpServer() as App;
      const signed = testApp.app.get(WebhookSigner).sign('guuru', { question: 'remember me for a while' });
      expect((await deliver(server, '/webhooks/guuru', signed).expect(200)).body.handled).toBe(1);
      const handledAt = Date.now();
      expect((await deliver(server, '/webhooks/guuru', signed).expect(200)).body).toMatchObject({ duplicate: true });
      // The sender keeps repeating it: each repeat is a duplicate until the record expires.
      await eventually(
        async () => (await deliver(server, '/webhooks/guuru', signed).expect(200)).body.handled === 1,
        ttlSeconds * 1000 + 15_000,
        'the repeat handled again once the ttl is over',
      );
      expect(Date.now() - handledAt).toBeGreaterThanOrEqual(ttlSeconds * 1000 - 100);
      expect(testApp.calls.of('guuru')).toHaveLength(2);
    }, 30_000);

    it('releases the claim when the payload is refused, so nothing is both skipped and unprocessed', async () => {
      const testApp = await start();
      const server = testApp.app.getHttpServer() as App;
      const signed = testApp.app.get(WebhookSigner).sign('guuru', { rating: 'not a number' });
      await deliver(server, '/webhooks/guuru', signed).expect(400);
      await deliver(server, '/webhooks/guuru', signed).expect(400);
    });
  });

  describe('deliveries.ttlSeconds at start-up', () => {
    const apps: TestApp[] = [];
    const startWith = (options: Partial<WebhooksModuleOptions>): Promise<TestApp> =>
      startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), ...options }), { platform }).then((app) => {
        apps.push(app);
        return app;
      });

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.app.close()));
    });

    it('refuses a ttl shorter than the longest replay window, a source’s own window included', async () => {
      // Every source here has the default 300 s window but usersnap, whose own is 600 s.
      await expect(startWith({ deliveries: { ttlSeconds: 60 } })).rejects.toThrow(
        'deliveries.ttlSeconds (60) must be at least the longest replay window (600s)',
      );
      await expect(startWith({ deliveries: { ttlSeconds: 599 } })).rejects.toThrow(
        'deliveries.ttlSeconds (599) must be at least the longest replay window (600s)',
      );
      const withoutUsersnap = Object.fromEntries(
        Object.entries(testWebhooksOptions().sources).filter(([name]) => name !== 'usersnap'),
      );
      await expect(
        startTestApp(WebhooksModule.forRoot({ sources: withoutUsersnap, deliveries: { ttlSeconds: 299 } }), {
          platform,
          handlers: 'guuru-only',
        }),
      ).rejects.toThrow('deliveries.ttlSeconds (299) must be at least the longest replay window (300s)');
    });

    it('accepts a ttl as long as the longest window', async () => {
      const app = await startWith({ deliveries: { ttlSeconds: 600 } });
      const signed = app.app.get(WebhookSigner).sign('guuru', { question: 'a ttl of exactly the window' });
      await deliver(app.app.getHttpServer() as App, '/webhooks/guuru', signed).expect(200);
    });

    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('refuses ttlSeconds %p', async (ttlSeconds) => {
      await expect(startWith({ deliveries: { ttlSeconds } })).rejects.toThrow(
        'deliveries.ttlSeconds must be a positive number of seconds.',
      );
    });
  });

  describe('graceful shutdown in inline mode', () => {
    it('lets an in-flight handler finish, and answer 200, before the app closes', async () => {
      const testApp = await startTestApp(undefined, { platform });
      testApp.handlers.slowMs = 500;
      const signed = testApp.app.get(WebhookSigner).sign('slow', { question: 'finish me' });
      const pending = deliver(testApp.app.getHttpServer() as App, '/webhooks/slow', signed);
      const answered = pending.then((response) => response);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(testApp.calls.of('slow')).toHaveLength(0);
      await testApp.app.close();
      expect(testApp.calls.of('slow')).toHaveLength(1);
      expect((await answered).status).toBe(200);
    });
  });

  describe('two app instances sharing one Redis', () => {
    it('run the handler once for 10 copies of a delivery spread over both', async () => {
      const options = WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        deliveries: { store: 'redis', connection: redis.connection },
      });
      const first = await startTestApp(options, { platform });
      const second = await startTestApp(
        WebhooksModule.forRoot({ ...testWebhooksOptions(), deliveries: { store: 'redis', connection: redis.url } }),
        { platform },
      );
      try {
        first.handlers.slowMs = 300;
        second.handlers.slowMs = 300;
        const signed = first.app.get(WebhookSigner).sign('slow', { question: 'shared' });
        const servers = [first.app.getHttpServer() as App, second.app.getHttpServer() as App];
        const responses = await Promise.all(
          Array.from({ length: 10 }, (_, index) => deliver(servers[index % 2]!, '/webhooks/slow', signed)),
        );
        expect(responses.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
        const runs = first.calls.of('slow').length + second.calls.of('slow').length;
        expect(runs).toBe(1);
        // Both instances now know it is done.
        for (const server of servers) {
          const repeat = await deliver(server, '/webhooks/slow', signed).expect(200);
          expect(repeat.body.duplicate).toBe(true);
        }
        expect(first.calls.of('slow').length + second.calls.of('slow').length).toBe(1);
      } finally {
        await first.app.close();
        await second.app.close();
      }
    });
  });
});
