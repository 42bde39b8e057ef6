import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Query, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { WebhooksHealthIndicator, WebhooksHealthModule } from '../../lib/entries/terminus.js';
import {
  MemoryDeliveryStore,
  WebhookSigner,
  WebhooksModule,
  type DeliveryClaim,
  type DeliveryStore,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import { AppModule as SampleAppModule } from '../../sample/app.module.js';
import { eventually, waitForQueueIdle } from '../support/queue-idle.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver } from './fixtures/deliver.js';
import { HandlerCalls } from './fixtures/handler-calls.js';
import { SECRETS } from './fixtures/secrets.js';
import {
  CapturingLogger,
  initTestApplication,
  PLATFORMS,
  testWebhooksOptions,
  type Platform,
} from './fixtures/test-app.js';
import { TestHandlers } from './fixtures/test-handlers.js';

/** `GET /health`, as terminus users write it; `?maxDeadLetters=` and `?timeoutMs=` pass the options through. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly webhooks: WebhooksHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(
    @Query('maxDeadLetters') maxDeadLetters?: string,
    @Query('timeoutMs') timeoutMs?: string,
  ): Promise<HealthCheckResult> {
    return this.health.check([
      () =>
        this.webhooks.isHealthy('webhooks', {
          maxDeadLetters: maxDeadLetters === undefined ? undefined : Number(maxDeadLetters),
          timeoutMs: timeoutMs === undefined ? undefined : Number(timeoutMs),
        }),
    ]);
  }
}

/** A real app with WebhooksModule, TerminusModule, WebhooksHealthModule and the health controller. */
async function startHealthApp(options: WebhooksModuleOptions, platform: Platform): Promise<INestApplication> {
  @Module({
    imports: [WebhooksModule.forRoot(options), TerminusModule, WebhooksHealthModule],
    controllers: [HealthController],
    providers: [HandlerCalls, TestHandlers],
  })
  class HealthAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [HealthAppModule] }).compile();
  return await initTestApplication(moduleRef, platform, { rawBody: true, logger: new CapturingLogger() });
}

interface HealthBody {
  status: string;
  info?: Record<string, Record<string, unknown>>;
  error?: Record<string, Record<string, unknown>>;
}

/** GET /health: the status, the webhooks entry (from `info` when up, `error` when down), the text, the time taken. */
async function getHealth(
  app: INestApplication,
  query = '',
): Promise<{ status: number; webhooks: Record<string, unknown> | undefined; text: string; ms: number }> {
  const started = Date.now();
  const response = await request(app.getHttpServer() as App).get(`/health${query}`);
  const body = response.body as HealthBody;
  const webhooks = response.status === 200 ? body.info?.webhooks : body.error?.webhooks;
  return { status: response.status, webhooks, text: response.text, ms: Date.now() - started };
}

let queueNumber = 0;
function queueOptions(
  redis: TestRedis,
  overrides: Partial<WebhooksModuleOptions['queue']> = {},
): WebhooksModuleOptions {
  queueNumber += 1;
  return testWebhooksOptions({
    processing: 'queue',
    queue: {
      jobSigningKey: SECRETS.jobSigning,
      connection: redis.url,
      name: `health-queue-${queueNumber}`,
      attempts: 1,
      backoffMs: 10,
      ...overrides,
    },
    deliveries: { store: 'redis', connection: redis.url },
  });
}

describe.each(PLATFORMS)('WebhooksHealthIndicator on %s', (platform) => {
  let app: INestApplication | undefined;
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('is up with the memory store and no queue section when handlers run inline', async () => {
    app = await startHealthApp(testWebhooksOptions(), platform);
    const health = await getHealth(app);
    expect(health.status).toBe(200);
    expect(health.webhooks).toEqual({ status: 'up', store: { kind: 'memory', reachable: true } });
  });

  it('is up with the Redis store and the queue, with its job counts, in queue mode', async () => {
    app = await startHealthApp(queueOptions(redis), platform);
    const health = await getHealth(app);
    expect(health.status).toBe(200);
    expect(health.webhooks).toEqual({
      status: 'up',
      store: { kind: 'redis', reachable: true },
      queue: { reachable: true, waiting: 0, active: 0, delayed: 0, failed: 0 },
    });
  });
});

describe('WebhooksHealthIndicator with a custom store', () => {
  /** The memory store behind a custom store whose `ping` can be made to fail. */
  class PingableStore implements DeliveryStore {
    readonly inner = new MemoryDeliveryStore();
    failing = false;
    claim(key: string, owner: string, leaseSeconds: number): Promise<DeliveryClaim> {
      return this.inner.claim(key, owner, leaseSeconds);
    }
    complete(key: string, ttlSeconds: number): Promise<void> {
      return this.inner.complete(key, ttlSeconds);
    }
    release(key: string, owner: string): Promise<void> {
      return this.inner.release(key, owner);
    }
    ping(): Promise<void> {
      return this.failing ? Promise.reject(new TypeError('the custom store is gone')) : Promise.resolve();
    }
  }

  it("reports kind custom, up while its ping answers and down, with only the error's name, once it fails", async () => {
    const store = new PingableStore();
    const app = await startHealthApp(testWebhooksOptions({ deliveries: { store } }), 'express');
    try {
      const up = await getHealth(app);
      expect(up.status).toBe(200);
      expect(up.webhooks).toEqual({ status: 'up', store: { kind: 'custom', reachable: true } });
      store.failing = true;
      const down = await getHealth(app);
      expect(down.status).toBe(503);
      expect(down.webhooks).toEqual({
        status: 'down',
        message: 'the delivery store did not answer: TypeError',
        store: { kind: 'custom', reachable: false, error: 'TypeError' },
      });
      expect(down.text).not.toContain('the custom store is gone');
    } finally {
      await app.close();
    }
  });
});

describe('WebhooksHealthIndicator on a Redis (with a password) that hangs, stops and comes back', () => {
  let redis: TestRedis;
  let app: INestApplication;
  let queueName = '';
  const TIMEOUT_MS = 500;

  beforeAll(async () => {
    redis = await startTestRedis({ password: SECRETS.redisPassword });
    const options = queueOptions(redis);
    queueName = options.queue!.name!;
    app = await startHealthApp(options, 'express');
  });

  afterAll(async () => {
    await app?.close();
    await redis.stop();
  });

  /** Nothing of the connection settings in an answer: no password, no URL, no host. */
  function expectNothingSecret(text: string): void {
    expect(text).not.toContain(SECRETS.redisPassword);
    expect(text).not.toContain('redis://');
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(String(redis.port));
  }

  it('counts the running job, and is down once the dead letters exceed maxDeadLetters', async () => {
    const handlers = app.get(TestHandlers);
    const signer = app.get(WebhookSigner);
    const server = app.getHttpServer() as App;
    handlers.slowMs = 3000;
    await deliver(server, '/webhooks/slow', signer.sign('slow', { question: 'counted while it runs' })).expect(200);
    await eventually(async () => activeOf(await getHealth(app)) === 1, 10_000, 'one active job');

    await deliver(server, '/webhooks/broken', signer.sign('broken', { question: 'a dead letter' })).expect(200);
    await waitForQueueIdle(redis.url, queueName);
    const atLimit = await getHealth(app, '?maxDeadLetters=1');
    expect(atLimit.status).toBe(200);
    expect(atLimit.webhooks).toEqual({
      status: 'up',
      store: { kind: 'redis', reachable: true },
      queue: { reachable: true, waiting: 0, active: 0, delayed: 0, failed: 1 },
      maxDeadLetters: 1,
    });

    const over = await getHealth(app, '?maxDeadLetters=0');
    expect(over.status).toBe(503);
    expect(over.webhooks).toEqual({
      status: 'down',
      message: '1 dead letters, more than maxDeadLetters (0)',
      store: { kind: 'redis', reachable: true },
      queue: { reachable: true, waiting: 0, active: 0, delayed: 0, failed: 1 },
      maxDeadLetters: 0,
    });
    expectNothingSecret(atLimit.text + over.text);
  });

  it('is down within the timeout while Redis hangs, and up again once it answers', async () => {
    redis.pause();
    let down: Awaited<ReturnType<typeof getHealth>>;
    try {
      down = await getHealth(app, `?timeoutMs=${TIMEOUT_MS}`);
    } finally {
      redis.resume();
    }
    expect(down.status).toBe(503);
    // It waited for the timeout (Redis held the connection open), and not much longer.
    expect(down.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(down.ms).toBeLessThan(TIMEOUT_MS + 1500);
    expect(down.webhooks).toEqual({
      status: 'down',
      message:
        "the delivery store did not answer: no answer within 0.5s; the queue's Redis did not answer: no answer within 0.5s",
      store: { kind: 'redis', reachable: false, error: 'no answer within 0.5s' },
      queue: { reachable: false, error: 'no answer within 0.5s' },
    });
    expectNothingSecret(down.text);
    await eventually(async () => (await getHealth(app)).status === 200, 20_000, 'up after Redis answers again');
  });

  it('is down within the timeout while Redis is stopped, and up again once it is started', async () => {
    await redis.stop();
    const down = await getHealth(app, `?timeoutMs=${TIMEOUT_MS}`);
    expect(down.status).toBe(503);
    expect(down.ms).toBeLessThan(TIMEOUT_MS + 1500);
    expect(down.webhooks).toMatchObject({
      status: 'down',
      store: { kind: 'redis', reachable: false },
      queue: { reachable: false },
    });
    expectNothingSecret(down.text);

    await redis.start();
    await eventually(async () => (await getHealth(app)).status === 200, 30_000, 'up after Redis is started');
    // A Redis started afresh: no job survived (no persistence in the test Redis).
    expect((await getHealth(app)).webhooks).toEqual({
      status: 'up',
      store: { kind: 'redis', reachable: true },
      queue: { reachable: true, waiting: 0, active: 0, delayed: 0, failed: 0 },
    });
  });
});

describe('the sample app', () => {
  it('serves GET /health with the webhooks indicator', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [SampleAppModule] }).compile();
    const app = await initTestApplication(moduleRef, 'express', { rawBody: true, logger: new CapturingLogger() });
    try {
      const health = await getHealth(app);
      expect(health.status).toBe(200);
      expect(health.webhooks).toEqual({ status: 'up', store: { kind: 'memory', reachable: true } });
    } finally {
      await app.close();
    }
  });
});

function activeOf(health: { webhooks: Record<string, unknown> | undefined }): number | undefined {
  return (health.webhooks?.queue as { active?: number } | undefined)?.active;
}
