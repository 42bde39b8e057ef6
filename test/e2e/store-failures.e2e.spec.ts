import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { App } from 'supertest/types.js';
import { deliveryKey, WebhookSigner, WebhooksModule } from '../../lib/index.js';
import { eventually } from '../support/queue-idle.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/** Where the Redis store keeps a delivery's claim (its default key prefix, braces for Redis Cluster). */
const claimKey = (key: string): string => `nestjs-signed-webhooks:delivery:{${key}}`;

describe.each(PLATFORMS)('the Redis delivery store failing, inline mode, on %s', (platform) => {
  let redis: TestRedis;
  let testApp: TestApp | undefined;

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
    // Each test counts the claims it sees: none may be left by the one before (a stolen claim lives 60 s).
    const client = new Redis(redis.url);
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  });

  async function start(deliveries: { leaseSeconds?: number } = {}): Promise<TestApp> {
    testApp = await startTestApp(
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        deliveries: { store: 'redis', connection: redis.url, ...deliveries },
      }),
      { platform },
    );
    return testApp;
  }

  it('answers 503 delivery_store_unavailable while Redis is down, runs nothing, and handles the retry once it is back', async () => {
    const app = await start();
    const server = app.app.getHttpServer() as App;
    const signed = app.app.get(WebhookSigner).sign('guuru', { question: 'while Redis is down' });
    await redis.stop();
    try {
      const refused = await deliver(server, '/webhooks/guuru', signed).expect(503);
      expect(refused.body).toEqual({
        statusCode: 503,
        reason: 'delivery_store_unavailable',
        message: 'The delivery could not be processed; see the application log.',
      });
      expect(app.calls.calls).toEqual([]);
      expect(app.logs.find('error', 'webhook delivery store failed')).not.toEqual([]);
      expect(app.logs.find('error', 'source=guuru reason=delivery_store_unavailable status=503')).toHaveLength(1);
    } finally {
      await redis.start();
    }

    // The sender retries until Redis answers again: every answer before is a 503, never a 200 that ran nothing.
    let status = 0;
    await eventually(
      async () => {
        status = (await deliver(server, '/webhooks/guuru', signed)).status;
        if (status !== 200) expect(status).toBe(503);
        return status === 200;
      },
      20_000,
      'a 200 once Redis is back',
    );
    expect(app.calls.of('guuru')).toHaveLength(1);
    const repeat = await deliver(server, '/webhooks/guuru', signed).expect(200);
    expect(repeat.body).toMatchObject({ duplicate: true, handled: 0 });
    expect(app.calls.of('guuru')).toHaveLength(1);
  }, 60_000);

  it('logs a claim lost while its handler runs (another owner took it), naming the key', async () => {
    const app = await start({ leaseSeconds: 1 });
    app.handlers.slowMs = 3_000;
    const signed = app.app.get(WebhookSigner).sign('slow', { question: 'claim stolen' });
    const client = new Redis(redis.url);
    try {
      const answer = deliver(app.app.getHttpServer() as App, '/webhooks/slow', signed).then((response) => response);
      // The claim exists once the handler has been given the delivery.
      let key = '';
      await eventually(
        async () => {
          key = (await client.keys(claimKey('slow:*')))[0] ?? '';
          return key !== '';
        },
        10_000,
        'the claim in Redis',
      );
      // Another owner holds it now, as if the lease had run out and a second instance had claimed it.
      await client.set(key, 'p:another-instance', 'PX', 60_000);
      const response = await answer;
      const deliveryId = response.body.deliveryId as string;
      expect(key).toBe(claimKey(deliveryKey('slow', deliveryId)));
      expect(app.logs.find('warn', 'webhook delivery claim lost while its handlers ran')).toEqual(
        expect.arrayContaining([expect.stringContaining(`key=slow:${deliveryId}`)]),
      );
      // The handler that lost its claim still ran to its end, once; its answer is not a failure.
      expect(response.status).toBe(200);
      expect(app.calls.of('slow')).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  }, 30_000);

  it('answers 200 when Redis goes down while the handler runs (it ran: a retry must not run it again), and logs it', async () => {
    const app = await start({ leaseSeconds: 1 });
    app.handlers.slowMs = 2_000;
    const signed = app.app.get(WebhookSigner).sign('slow', { question: 'Redis goes away' });
    const client = new Redis(redis.url);
    try {
      const answer = deliver(app.app.getHttpServer() as App, '/webhooks/slow', signed).then((response) => response);
      await eventually(async () => (await client.keys(claimKey('slow:*'))).length === 1, 10_000, 'the claim');
      client.disconnect();
      await redis.stop();
      const response = await answer;
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ received: true, handled: 1 });
      expect(app.calls.of('slow')).toHaveLength(1);
      // The renewals and the completion failed, and said so.
      expect(app.logs.find('error', 'webhook delivery store failed')).not.toEqual([]);
    } finally {
      client.disconnect();
      await redis.start();
    }
  }, 30_000);
});
