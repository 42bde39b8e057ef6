import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable, Module, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Redis } from 'ioredis';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from 'supertest/types.js';
import {
  WebhookHandler,
  WebhookRoute,
  WebhookSigner,
  WebhooksModule,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import { WebhookTracing, WEBHOOKS_TRACER_NAME } from '../../lib/module/webhook-tracing.service.js';
import { billingInvoicePaid, guuruChatBody } from '../../sample/payloads.js';
import { eventually, waitForQueueIdle } from '../support/queue-idle.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver, type Delivery } from './fixtures/deliver.js';
import { HandlerCalls } from './fixtures/handler-calls.js';
import { ALL_SECRET_STRINGS, SECRETS } from './fixtures/secrets.js';
import { CapturingLogger, initTestApplication, testWebhooksOptions, type Platform } from './fixtures/test-app.js';
import { TestHandlers } from './fixtures/test-handlers.js';

/** The spans the application's own code made inside a handler, and the span active when it ran. */
const appWork: { activeWhenCalled: string | undefined }[] = [];

/** The application's own work, tracing itself as any instrumented code would. */
function doAppWork(): void {
  appWork.push({ activeWhenCalled: trace.getActiveSpan()?.spanContext().spanId });
  trace.getTracer('test-app').startSpan('app.work').end();
}

/** A third handler of billing's `invoice.paid` that makes a span of its own. */
@Injectable()
class AppWorkHandlers {
  @WebhookHandler('billing', { event: 'invoice.paid' })
  onPaid(): void {
    doAppWork();
  }
}

/** A route of the application's own, verified and de-duplicated by the module. */
@Controller('partner')
class PartnerController {
  @Post('chats')
  @WebhookRoute('guuru')
  receive(): { ok: true } {
    doAppWork();
    return { ok: true };
  }
}

/**
 * An HTTP server span for requests that ask for one (`x-test-server-span`), as HTTP
 * instrumentation would make: active while Nest handles the request, ended once answered.
 */
function serverSpans(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  if (request.headers['x-test-server-span'] === undefined) return next();
  const span = trace.getTracer('test-http').startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
  const active = trace.setSpan(ROOT_CONTEXT, span);
  // As HTTP instrumentation does: the body's stream events run in the request's context too.
  context.bind(active, request);
  context.bind(active, response);
  response.on('finish', () => span.end());
  context.with(active, next);
}

/** A running app of the test's own: the test fixtures' handlers, plus the app's own handler and route. */
interface TracingApp {
  readonly app: INestApplication;
  readonly server: App;
  readonly calls: HandlerCalls;
  readonly handlers: TestHandlers;
  sign(source: string, payload: unknown, id?: string): Delivery;
}

async function startApp(
  options: Partial<WebhooksModuleOptions> = {},
  platform: Platform = 'express',
): Promise<TracingApp> {
  @Module({
    imports: [WebhooksModule.forRoot(testWebhooksOptions(options))],
    controllers: [PartnerController],
    providers: [HandlerCalls, TestHandlers, AppWorkHandlers],
  })
  class TracingTestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [TracingTestModule] }).compile();
  const app = await initTestApplication(
    moduleRef,
    platform,
    { rawBody: true, logger: new CapturingLogger() },
    (app) => {
      if (platform === 'express') app.use(serverSpans);
    },
  );
  const signer = app.get(WebhookSigner);
  return {
    app,
    server: app.getHttpServer() as App,
    calls: app.get(HandlerCalls),
    handlers: app.get(TestHandlers),
    sign: (source, payload, id) => signer.sign(source, payload, { id }),
  };
}

/** A Standard Webhooks delivery of `invoice.paid` with its own id. */
function invoicePaid(app: TracingApp, id: string): Delivery {
  return app.sign('billing', billingInvoicePaid, id);
}

/** The same delivery with a byte of its body changed: its signature no longer matches. */
function forged(delivery: Delivery): Delivery {
  return { ...delivery, body: String(delivery.body).replace('in_1042', 'in_1043') };
}

let redis: TestRedis;
let redisClient: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  redisClient = new Redis(redis.url);
});

afterAll(async () => {
  redisClient.disconnect();
  await redis.stop();
});

describe('without a tracer provider (the API installed, nothing registered)', () => {
  let web: TracingApp;

  beforeAll(async () => {
    web = await startApp();
  });

  afterAll(async () => {
    await web.app.close();
  });

  it('traces nothing and changes nothing: handled, refused and duplicate deliveries answer as ever', async () => {
    expect(web.app.get(WebhookTracing).enabled).toBe(false);
    const delivery = invoicePaid(web, 'msg_untraced');
    await deliver(web.server, '/webhooks/billing', delivery).expect(200);
    await deliver(web.server, '/webhooks/billing', delivery).expect(200, /"duplicate":true/);
    await deliver(web.server, '/webhooks/billing', forged(delivery)).expect(401);
    web.handlers.broken = true;
    await deliver(web.server, '/webhooks/broken', web.sign('broken', '{"n":1}')).expect(500);
    expect(web.calls.of('billing.invoice.paid')).toHaveLength(1);
    expect(appWork.every((work) => work.activeWhenCalled === undefined)).toBe(true);
  });

  it('queues jobs without a trace context', async () => {
    const queued = await startApp({
      processing: 'queue',
      queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: 'untraced', worker: false },
    });
    try {
      await deliver(queued.server, '/webhooks/billing', invoicePaid(queued, 'msg_untraced_job')).expect(200);
      const [jobId] = await redisClient.lrange('bull:untraced:wait', 0, -1);
      const job = JSON.parse((await redisClient.hget(`bull:untraced:${jobId!}`, 'data'))!) as Record<string, unknown>;
      expect(job.deliveryId).toBe('msg_untraced_job');
      expect('trace' in job).toBe(false);
    } finally {
      await queued.app.close();
    }
  });
});

describe('with a tracer provider', () => {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;
  let web: TracingApp;
  /** Every value sent that no span may hold: secrets, signatures, bodies. */
  const sentSecrets = new Set<string>(ALL_SECRET_STRINGS);
  /** The spans of the tests already run, for the no-secret check at the end. */
  const earlierSpans: ReadableSpan[] = [];

  /** Sends a delivery, remembering its signature and body for the no-secret check. */
  function send(app: TracingApp, path: string, delivery: Delivery, serverSpan = false): ReturnType<typeof deliver> {
    sentSecrets.add(String(delivery.body));
    for (const [name, value] of Object.entries(delivery.headers)) {
      if (/signature|hmac|token/i.test(name)) sentSecrets.add(value);
    }
    const headers = serverSpan ? { ...delivery.headers, 'x-test-server-span': '1' } : delivery.headers;
    return deliver(app.server, path, { ...delivery, headers });
  }

  const finished = (): ReadableSpan[] => exporter.getFinishedSpans();
  const named = (name: string): ReadableSpan[] => finished().filter((span) => span.name === name);
  const only = (name: string): ReadableSpan => {
    const spans = named(name);
    expect(spans).toHaveLength(1);
    return spans[0]!;
  };
  const childrenOf = (parent: ReadableSpan): ReadableSpan[] =>
    finished().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
  const namesOf = (spans: readonly ReadableSpan[]): string[] => spans.map((span) => span.name).sort();

  beforeAll(async () => {
    // NodeTracerProvider.register() also installs the AsyncLocalStorage context manager.
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    web = await startApp();
  });

  beforeEach(() => {
    earlierSpans.push(...exporter.getFinishedSpans());
    exporter.reset();
    appWork.length = 0;
    web.calls.clear();
  });

  afterAll(async () => {
    await web.app.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('traces a handled delivery: webhook.receive with its attributes, verify, deduplicate and each handler as children', async () => {
    expect(web.app.get(WebhookTracing).enabled).toBe(true);
    const delivery = invoicePaid(web, 'msg_handled');
    await send(web, '/webhooks/billing/acme', delivery).expect(200);
    const receive = only('webhook.receive');
    expect(receive.kind).toBe(SpanKind.INTERNAL);
    expect(receive.instrumentationScope.name).toBe(WEBHOOKS_TRACER_NAME);
    expect(receive.parentSpanContext).toBeUndefined();
    expect(receive.attributes).toEqual({
      'webhook.source': 'billing',
      'webhook.provider': 'standard-webhooks',
      'webhook.tenant': 'acme',
      'webhook.event': 'invoice.paid',
      'webhook.delivery_id': 'msg_handled',
      'webhook.attempt_id': expect.stringMatching(/^[\w-]+-[0-9a-z]+$/),
      'webhook.outcome': 'handled',
      'webhook.body_size': Buffer.byteLength(String(delivery.body)),
      'webhook.via': 'request',
    });
    expect(receive.status.code).toBe(SpanStatusCode.UNSET);
    const children = childrenOf(receive);
    expect(namesOf(children)).toEqual([
      'webhook.deduplicate',
      'webhook.handler',
      'webhook.handler',
      'webhook.handler',
      'webhook.verify',
    ]);
    expect(children.every((span) => span.spanContext().traceId === receive.spanContext().traceId)).toBe(true);
    expect(children.every((span) => span.status.code === SpanStatusCode.UNSET)).toBe(true);
    const handlers = children.filter((span) => span.name === 'webhook.handler');
    expect(handlers.map((span) => span.attributes['webhook.handler']).sort()).toEqual([
      'AppWorkHandlers.onPaid',
      'TestHandlers.onAnyBilling',
      'TestHandlers.onInvoicePaid',
    ]);
    // The steps in order: verified, then claimed, then handled.
    const at = (span: ReadableSpan): number => span.startTime[0] * 1e9 + span.startTime[1];
    const verify = only('webhook.verify');
    const deduplicate = only('webhook.deduplicate');
    expect(at(verify)).toBeLessThanOrEqual(at(deduplicate));
    expect(handlers.every((span) => at(span) >= at(deduplicate))).toBe(true);
  });

  it('runs each handler inside its span: spans the application makes there are its children', async () => {
    await send(web, '/webhooks/billing', invoicePaid(web, 'msg_app_span')).expect(200);
    const handler = named('webhook.handler').find(
      (span) => span.attributes['webhook.handler'] === 'AppWorkHandlers.onPaid',
    )!;
    expect(appWork).toEqual([{ activeWhenCalled: handler.spanContext().spanId }]);
    expect(only('app.work').parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
  });

  it('is a child of the HTTP server span when there is one', async () => {
    await send(web, '/webhooks/billing', invoicePaid(web, 'msg_server_span'), true).expect(200);
    await eventually(() => named('POST').length === 1, 5000, 'the server span');
    const server = only('POST');
    const receive = only('webhook.receive');
    expect(receive.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(receive.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(childrenOf(receive)).toHaveLength(5);
  });

  it('traces a refused signature: 401 is the sender’s problem, so the status stays unset, with the reason', async () => {
    await send(web, '/webhooks/billing', forged(invoicePaid(web, 'msg_forged'))).expect(401);
    const receive = only('webhook.receive');
    expect(receive.attributes).toMatchObject({
      'webhook.source': 'billing',
      'webhook.provider': 'standard-webhooks',
      'webhook.outcome': 'rejected',
      'webhook.reason': 'invalid_signature',
      'webhook.via': 'request',
    });
    expect(receive.attributes['webhook.delivery_id']).toBeUndefined();
    expect(receive.status.code).toBe(SpanStatusCode.UNSET);
    const verify = only('webhook.verify');
    expect(verify.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
    expect(verify.attributes['webhook.reason']).toBe('invalid_signature');
    expect(verify.status.code).toBe(SpanStatusCode.UNSET);
    expect(namesOf(childrenOf(receive))).toEqual(['webhook.verify']);
  });

  it('traces an unknown source as rejected (404), its name cut short', async () => {
    const name = `x${'y'.repeat(300)}`;
    await send(web, `/webhooks/${name}`, invoicePaid(web, 'msg_unknown')).expect(404);
    const receive = only('webhook.receive');
    expect(receive.attributes['webhook.reason']).toBe('unknown_source');
    expect(String(receive.attributes['webhook.source']).length).toBeLessThanOrEqual(129);
    expect(receive.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('traces a duplicate: verified and de-duplicated, no handler span', async () => {
    const delivery = invoicePaid(web, 'msg_duplicate');
    await send(web, '/webhooks/billing', delivery).expect(200);
    exporter.reset();
    await send(web, '/webhooks/billing', delivery).expect(200, /"duplicate":true/);
    const receive = only('webhook.receive');
    expect(receive.attributes).toMatchObject({
      'webhook.outcome': 'duplicate',
      'webhook.delivery_id': 'msg_duplicate',
    });
    expect(receive.status.code).toBe(SpanStatusCode.UNSET);
    expect(namesOf(childrenOf(receive))).toEqual(['webhook.deduplicate', 'webhook.verify']);
  });

  it('traces a handler failure (500) as an error: the attempt’s span and the handler’s', async () => {
    web.handlers.broken = true;
    await send(web, '/webhooks/broken', web.sign('broken', '{"n":2}')).expect(500);
    const receive = only('webhook.receive');
    expect(receive.attributes).toMatchObject({ 'webhook.outcome': 'failed', 'webhook.reason': 'handler_failed' });
    expect(receive.status).toEqual({ code: SpanStatusCode.ERROR, message: 'handler_failed' });
    const handler = only('webhook.handler');
    expect(handler.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
    expect(handler.attributes['webhook.handler']).toBe('TestHandlers.onBroken');
    // The error's kind, not its message: an error may quote what the code was reading.
    expect(handler.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error' });
  });

  it('traces a route of the application’s own (@WebhookRoute): its method is the handler span', async () => {
    await send(web, '/partner/chats', web.sign('guuru', guuruChatBody)).expect(200);
    const receive = only('webhook.receive');
    expect(receive.attributes).toMatchObject({ 'webhook.source': 'guuru', 'webhook.outcome': 'handled' });
    const handler = only('webhook.handler');
    expect(handler.attributes['webhook.handler']).toBe('PartnerController.receive');
    expect(handler.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
    expect(only('app.work').parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
  });

  it('traces deliveries on Fastify too', async () => {
    const fastify = await startApp({}, 'fastify');
    try {
      await send(fastify, '/webhooks/billing', invoicePaid(fastify, 'msg_fastify')).expect(200);
      const receive = only('webhook.receive');
      expect(receive.attributes['webhook.outcome']).toBe('handled');
      expect(namesOf(childrenOf(receive))).toEqual([
        'webhook.deduplicate',
        'webhook.handler',
        'webhook.handler',
        'webhook.handler',
        'webhook.verify',
      ]);
    } finally {
      await fastify.app.close();
    }
  });

  describe('in queue mode', () => {
    let queued: TracingApp;

    beforeAll(async () => {
      queued = await startApp({
        processing: 'queue',
        queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: 'traced', attempts: 2, backoffMs: 20 },
      });
    });

    afterAll(async () => {
      await queued.app.close();
    });

    it('the worker’s span joins the request’s trace, as its child and with a link to it', async () => {
      await send(queued, '/webhooks/billing', invoicePaid(queued, 'msg_queued'), true).expect(200, /"queued":true/);
      await waitForQueueIdle(redis.url, 'traced');
      await eventually(() => named('webhook.receive').length === 2, 5000, 'both attempts’ spans');
      const [request, worker] = ['request', 'queue'].map((via) =>
        named('webhook.receive').find((span) => span.attributes['webhook.via'] === via)!,
      );
      expect(request!.attributes).toMatchObject({ 'webhook.outcome': 'queued', 'webhook.delivery_id': 'msg_queued' });
      // The worker's attempt is the request's child: verification, then the worker.
      expect(namesOf(childrenOf(request!))).toEqual(['webhook.receive', 'webhook.verify']);
      expect(request!.parentSpanContext?.spanId).toBe(only('POST').spanContext().spanId);
      expect(worker!.attributes).toMatchObject({
        'webhook.source': 'billing',
        'webhook.provider': 'standard-webhooks',
        'webhook.event': 'invoice.paid',
        'webhook.delivery_id': 'msg_queued',
        'webhook.outcome': 'handled',
        'webhook.via': 'queue',
      });
      expect(worker!.attributes['webhook.attempt_id']).not.toBe(request!.attributes['webhook.attempt_id']);
      expect(worker!.spanContext().traceId).toBe(request!.spanContext().traceId);
      expect(worker!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
      expect(worker!.links.map((link) => link.context.spanId)).toEqual([request!.spanContext().spanId]);
      expect(namesOf(childrenOf(worker!))).toEqual([
        'webhook.deduplicate',
        'webhook.handler',
        'webhook.handler',
        'webhook.handler',
      ]);
      expect(queued.calls.of('billing.invoice.paid')).toHaveLength(1);
    });

    it('a job edited onto another trace joins nothing: refused as tampered, in a trace of its own', async () => {
      const web = await startApp({
        processing: 'queue',
        queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: 'grafted', worker: false },
      });
      let worker: TracingApp | undefined;
      try {
        await send(web, '/webhooks/billing', invoicePaid(web, 'msg_grafted')).expect(200);
        const [jobId] = await redisClient.lrange('bull:grafted:wait', 0, -1);
        const key = `bull:grafted:${jobId!}`;
        const job = JSON.parse((await redisClient.hget(key, 'data'))!) as Record<string, unknown>;
        const request = only('webhook.receive');
        expect(job.trace).toMatch(
          new RegExp(`^00-${request.spanContext().traceId}-${request.spanContext().spanId}-01$`),
        );
        const victimTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
        await redisClient.hset(key, 'data', JSON.stringify({ ...job, trace: `00-${victimTrace}-bbbbbbbbbbbbbbbb-01` }));
        worker = await startApp({
          processing: 'queue',
          queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: 'grafted' },
        });
        await waitForQueueIdle(redis.url, 'grafted');
        await eventually(() => named('webhook.receive').length === 2, 5000, 'the worker’s span');
        const refused = named('webhook.receive').find((span) => span.attributes['webhook.via'] === 'queue')!;
        expect(refused.attributes).toMatchObject({ 'webhook.outcome': 'failed', 'webhook.reason': 'job_tampered' });
        expect(refused.status.code).toBe(SpanStatusCode.ERROR);
        expect(refused.spanContext().traceId).not.toBe(victimTrace);
        expect(refused.parentSpanContext).toBeUndefined();
        expect(refused.links).toEqual([]);
      } finally {
        await worker?.app.close();
        await web.app.close();
      }
    });

    it('a worker’s failure the queue retries is an error', async () => {
      queued.handlers.broken = true;
      await send(queued, '/webhooks/broken', queued.sign('broken', '{"n":3}')).expect(200);
      await waitForQueueIdle(redis.url, 'traced');
      await eventually(() => named('webhook.receive').length === 3, 5000, 'the request’s and two workers’ spans');
      const workers = named('webhook.receive').filter((span) => span.attributes['webhook.via'] === 'queue');
      expect(workers).toHaveLength(2);
      for (const worker of workers) {
        expect(worker.attributes).toMatchObject({ 'webhook.outcome': 'failed', 'webhook.reason': 'handler_failed' });
        expect(worker.status.code).toBe(SpanStatusCode.ERROR);
      }
    });
  });

  it('puts no secret, signature or body in any span of any test above', async () => {
    const delivery = invoicePaid(web, 'msg_secrets');
    await send(web, '/webhooks/billing', delivery, true).expect(200);
    await send(web, '/webhooks/billing', forged(delivery)).expect(401);
    await eventually(() => named('POST').length === 1, 5000, 'the server span');
    const spans = [...earlierSpans, ...finished()];
    // The queue tests ran before: workers' spans are checked too.
    expect(spans.filter((span) => span.attributes['webhook.via'] === 'queue').length).toBeGreaterThan(0);
    const recorded = JSON.stringify(
      spans.map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        links: span.links,
        status: span.status,
      })),
    );
    expect(recorded).toContain('msg_secrets');
    for (const secret of sentSecrets) expect(recorded).not.toContain(secret);
    for (const value of ['in_1042', 'in_1043', 'invoiceId']) expect(recorded).not.toContain(value);
  });
});
