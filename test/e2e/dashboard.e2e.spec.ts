import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DashboardRecorder } from '../../lib/dashboard/dashboard-recorder.service.js';
import {
  WebhooksDashboard,
  WebhooksDashboardModule,
  type DashboardDeadLetters,
  type DashboardDeliveryDetail,
  type DashboardDeliveryList,
  type DashboardDeliverySummary,
  type DashboardOverview,
  type WebhookDashboardRequest,
  type WebhooksDashboardModuleOptions,
  type WebhooksDashboardOptionsFactory,
} from '../../lib/entries/dashboard.js';
import { WebhookConfigurationError, WebhookSigner, WebhooksModule, type WebhookOutcome } from '../../lib/index.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { IMPORT_ORDERS, startDashboardApp, type DashboardTestApp, type ImportOrder } from './fixtures/dashboard-app.js';
import { deliver } from './fixtures/deliver.js';
import { ALL_SECRET_STRINGS } from './fixtures/secrets.js';
import { PLATFORMS, testWebhooksOptions, type Platform } from './fixtures/test-app.js';

const KEY = 'let-me-in-7Yq';
const SCRIPT = '<script>alert(1)</script>';
const JOB_SIGNING_KEY = 'dashboard-e2e-job-signing-key-0123456789';
const authorize = (incoming: WebhookDashboardRequest): boolean => incoming.headers['x-dashboard-key'] === KEY;

/** Every platform, with the dashboard imported before and after `WebhooksModule`. */
const SETUPS: [Platform, ImportOrder][] = PLATFORMS.flatMap((platform) =>
  IMPORT_ORDERS.map((order): [Platform, ImportOrder] => [platform, order]),
);

/** GET a dashboard page, allowed. */
function page(server: App, path: string, json = false): request.Test {
  const call = request(server).get(`/webhooks/_dashboard${path}`).set('x-dashboard-key', KEY);
  return json ? call.set('accept', 'application/json') : call;
}

async function listed(server: App, query = ''): Promise<readonly DashboardDeliverySummary[]> {
  return ((await page(server, `/deliveries${query}`, true).expect(200)).body as DashboardDeliveryList).deliveries;
}

/** Every value a page must never show: secrets and the signatures and tokens sent. */
function assertNothingSensitive(text: string, signatures: readonly string[]): void {
  for (const value of [...ALL_SECRET_STRINGS, ...signatures]) expect(text).not.toContain(value);
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Asserts that an attempt's dashboard entry, its outcome event and its log lines carry one attempt id:
 * the entry's final outcome is an event of that attempt, a request's `verified` is too, and where the
 * module logs the outcome (refusals, failures), the line names that attempt.
 */
async function assertOneAttemptId(
  app: DashboardTestApp,
  server: App,
  entry: DashboardDeliverySummary,
  outcome: WebhookOutcome,
): Promise<void> {
  expect(entry.outcome).toBe(outcome);
  const events = app.outcomes.filter((event) => event.attemptId === entry.attemptId);
  expect(events.map((event) => event.outcome)).toEqual(
    entry.via === 'queue' || entry.deliveryId === undefined ? [outcome] : ['verified', outcome],
  );
  expect(events.every((event) => event.source === entry.source && event.deliveryId === entry.deliveryId)).toBe(true);
  const detail = (await page(server, `/deliveries/${entry.id}`, true).expect(200)).body as DashboardDeliveryDetail;
  expect(detail.attemptId).toBe(entry.attemptId);
  expect((await page(server, `/deliveries/${entry.id}`).expect(200)).text).toContain(`<code>${entry.attemptId}</code>`);
  const lines = app.logs.lines.filter((line) => line.message.includes(`attempt=${entry.attemptId}`));
  if (outcome === 'rejected' || outcome === 'failed') {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.message).toContain(`source=${entry.source}`);
  }
  // No other entry, and no event of another attempt, has this id.
  expect((await listed(server)).filter((other) => other.attemptId === entry.attemptId)).toHaveLength(1);
}

describe.each(SETUPS)('the deliveries dashboard (inline mode, real HTTP) on %s, %s', (platform, order) => {
  let testApp: DashboardTestApp;
  let server: App;
  const signatures: string[] = [];

  beforeAll(async () => {
    testApp = await startDashboardApp(WebhooksDashboardModule.forRoot({ path: 'webhooks/_dashboard', authorize }), {
      platform,
      order,
    });
    server = testApp.app.getHttpServer() as App;
    const signer = testApp.app.get(WebhookSigner);

    // A known mix: guuru valid, the same again (duplicate), tampered; flaky failing; survicate with a script header.
    const valid = signer.sign('guuru', { question: 'valid', rating: 5 });
    const tampered = signer.sign('guuru', { question: 'tampered', rating: 5 });
    const survicate = signer.sign('survicate', {
      messageId: 'm-script',
      event: { surveyCompleted: { survey: { id: 's' } } },
    });
    const failing = signer.sign('flaky', { question: 'will fail' });
    for (const signed of [valid, tampered, survicate, failing]) {
      for (const [name, value] of Object.entries(signed.headers))
        if (/hmac|signature|token/i.test(name)) signatures.push(value);
    }
    await deliver(server, '/webhooks/guuru', valid).expect(200);
    await deliver(server, '/webhooks/guuru', valid).expect(200);
    await deliver(server, '/webhooks/guuru', {
      ...tampered,
      body: String(tampered.body).replace('tampered', 'tampereD'),
    }).expect(401);
    await deliver(server, '/webhooks/survicate', {
      ...survicate,
      headers: { ...survicate.headers, 'x-note': SCRIPT },
    }).expect(200);
    testApp.handlers.failNext = true;
    await deliver(server, '/webhooks/flaky', failing).expect(500);
  });

  afterAll(async () => {
    await testApp.app.close();
  });

  it('answers 401 and nothing else on every page and action when authorize refuses', async () => {
    const someId = (await listed(server))[0]!.id;
    const calls = [
      request(server).get('/webhooks/_dashboard'),
      request(server).get('/webhooks/_dashboard?format=json'),
      request(server).get('/webhooks/_dashboard/deliveries?source=guuru'),
      request(server).get(`/webhooks/_dashboard/deliveries/${someId}`),
      request(server).get('/webhooks/_dashboard/dead-letters'),
      request(server).post('/webhooks/_dashboard/dead-letters/replay').type('form').send({ source: 'broken' }),
      request(server).post('/webhooks/_dashboard/dead-letters/1/replay').type('form').send({}),
      request(server).get('/webhooks/_dashboard').set('x-dashboard-key', 'wrong'),
    ];
    for (const call of calls) {
      const response = await call;
      expect(response.status).toBe(401);
      expect(response.text).not.toMatch(/guuru|flaky|survicate|csrf/i);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it("shows each source's counts by outcome and rejection reason, as JSON and as text in the HTML", async () => {
    const overview = (await page(server, '', true).expect(200)).body as DashboardOverview;
    const bySource = Object.fromEntries(overview.sources.map((entry) => [entry.source, entry.lastHour]));
    expect(bySource.guuru).toEqual({
      verified: 2,
      handled: 1,
      queued: 0,
      duplicate: 1,
      handshake: 0,
      rejected: 1,
      failed: 0,
      rejectedByReason: { invalid_signature: 1 },
    });
    expect(bySource.flaky).toMatchObject({ verified: 1, handled: 0, failed: 1, rejected: 0 });
    expect(bySource.survicate).toMatchObject({ verified: 1, handled: 1 });
    expect(bySource.usersnap).toMatchObject({ verified: 0, handled: 0 });
    expect(overview.sources.find((entry) => entry.source === 'guuru')!.last24Hours.verified).toBe(2);
    expect(overview.timeline).toHaveLength(60);
    expect(
      overview.timeline.reduce(
        (sum, bucket) =>
          sum + bucket.handled + bucket.queued + bucket.duplicate + bucket.handshake + bucket.rejected + bucket.failed,
        0,
      ),
    ).toBe(5);

    const response = await page(server, '').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['cache-control']).toBe('no-store');
    const html = response.text;
    expect(html).toMatch(/<svg[^>]*viewBox/);
    const text = html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    // Verified, handled, queued, duplicate, handshake, rejected, failed.
    expect(text).toContain('guuru 2 1 0 1 0 1 0 invalid_signature 1');
    expect(text).toContain('flaky 1 0 0 0 0 0 1');
    // Every page is reachable by plain links from the root.
    expect(html).toContain('href="/webhooks/_dashboard/deliveries"');
    expect(html).toContain('href="/webhooks/_dashboard/dead-letters"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('builds links from the path alone, even for a request in absolute form', async () => {
    const listening = (server as Server).listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    try {
      const { port } = listening.address() as AddressInfo;
      const html = await new Promise<string>((resolve, reject) => {
        httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: 'http://evil.example/webhooks/_dashboard',
            headers: { 'x-dashboard-key': KEY },
          },
          (response) => {
            let body = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve(body));
          },
        )
          .on('error', reject)
          .end();
      });
      expect(html).toContain('href="/webhooks/_dashboard/deliveries"');
      expect(html).not.toContain('evil.example');
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
  });

  it('lists recent attempts with filters, and links to each', async () => {
    const all = (await page(server, '/deliveries?format=json').expect(200)).body as DashboardDeliveryList;
    expect(all.deliveries.map((entry) => `${entry.source}:${entry.outcome}`)).toEqual([
      'flaky:failed',
      'survicate:handled',
      'guuru:rejected',
      'guuru:duplicate',
      'guuru:handled',
    ]);
    const rejected = (await page(server, '/deliveries?source=guuru&outcome=rejected', true).expect(200))
      .body as DashboardDeliveryList;
    expect(rejected.deliveries).toHaveLength(1);
    expect(rejected.deliveries[0]).toMatchObject({ reason: 'invalid_signature', status: 401 });
    const byReason = await listed(server, '?reason=invalid_signature');
    expect(byReason.map((entry) => entry.source)).toEqual(['guuru']);
    expect(all.reasons).toContain('invalid_signature');
    expect(await listed(server, '?outcome=queued')).toEqual([]);

    const html = (await page(server, '/deliveries?source=guuru').expect(200)).text;
    for (const entry of all.deliveries.filter((d) => d.source === 'guuru')) {
      expect(html).toContain(`href="/webhooks/_dashboard/deliveries/${entry.id}"`);
    }
    expect(html.match(/class="o o-/g)).toHaveLength(3);
    assertNothingSensitive(html, signatures);
  });

  it('shows one attempt: headers masked, a script header as text, handler runs and their errors', async () => {
    const list = await listed(server);
    const survicate = list.find((entry) => entry.source === 'survicate')!;
    const detail = (await page(server, `/deliveries/${survicate.id}`, true).expect(200))
      .body as DashboardDeliveryDetail;
    expect(detail.verified).toBe(true);
    expect(detail.headers['x-note']).toBe(SCRIPT);
    expect(detail.headers.hmac).toBe('[masked]');
    expect(detail.headers.token).toBe('[masked]');
    expect(detail.body).toBeUndefined();

    const html = (await page(server, `/deliveries/${survicate.id}`).expect(200)).text;
    expect(html).not.toContain(SCRIPT);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('[masked]');
    assertNothingSensitive(html, signatures);

    const flaky = list.find((entry) => entry.source === 'flaky')!;
    const failed = (await page(server, `/deliveries/${flaky.id}`, true).expect(200)).body as DashboardDeliveryDetail;
    expect(failed.handlers).toEqual([
      { handler: 'TestHandlers.onFlaky', succeeded: false, error: 'flaky handler failed on purpose' },
    ]);
    expect((await page(server, `/deliveries/${flaky.id}`).expect(200)).text).toContain(
      'flaky handler failed on purpose',
    );

    const tampered = list.find((entry) => entry.outcome === 'rejected')!;
    const refused = (await page(server, `/deliveries/${tampered.id}`, true).expect(200))
      .body as DashboardDeliveryDetail;
    expect(refused).toMatchObject({ verified: false, reason: 'invalid_signature' });
    for (const forged of ['no-such-id', `${flaky.id}0`, 'a'.repeat(65), '..%2F..%2Fids', 'x%00y']) {
      await page(server, `/deliveries/${forged}`).expect(404);
    }
  });

  it("carries one attempt id in each attempt's outcome event, log line and dashboard entry", async () => {
    const list = await listed(server);
    const cases: [string, WebhookOutcome][] = [
      ['guuru', 'handled'],
      ['guuru', 'duplicate'],
      ['guuru', 'rejected'],
      ['flaky', 'failed'],
    ];
    for (const [source, outcome] of cases) {
      const entry = list.find((candidate) => candidate.source === source && candidate.outcome === outcome)!;
      await assertOneAttemptId(testApp, server, entry, outcome);
    }
    // The duplicate is the same delivery as the handled one, in an attempt of its own.
    const [duplicate, handled] = ['duplicate', 'handled'].map((outcome) =>
      list.find((entry) => entry.source === 'guuru' && entry.outcome === outcome)!,
    );
    expect(duplicate!.deliveryId).toBe(handled!.deliveryId);
    expect(duplicate!.attemptId).not.toBe(handled!.attemptId);
  });

  it('never shows a secret, signature or token in any page or JSON twin', async () => {
    const list = await listed(server);
    const paths = ['', '/deliveries', '/dead-letters', ...list.map((entry) => `/deliveries/${entry.id}`)];
    for (const path of paths) {
      assertNothingSensitive((await page(server, path).expect(200)).text, signatures);
      assertNothingSensitive((await page(server, path, true).expect(200)).text, signatures);
    }
  });

  it('serves its routes before the webhook routes, and records nothing of its own requests', async () => {
    const before = await listed(server);
    await page(server, '').expect(200);
    await page(server, '/dead-letters').expect(200);
    await page(server, '/deliveries').expect(200);
    // A request the webhook route takes (no dashboard route answers POST here) is no delivery either.
    await request(server).post('/webhooks/_dashboard').send('{}').expect(404);
    const after = await listed(server);
    expect(after).toHaveLength(before.length);
    const overview = (await page(server, '', true).expect(200)).body as DashboardOverview;
    expect(overview.sources.map((entry) => entry.source)).not.toContain('_dashboard');
  });

  it('says that dead letters need queue mode', async () => {
    const model = (await page(server, '/dead-letters', true).expect(200)).body as DashboardDeadLetters;
    expect(model.queueMode).toBe(false);
    expect((await page(server, '/dead-letters').expect(200)).text).toContain('queue mode only');
  });
});

describe.each(PLATFORMS)('the dashboard when recording fails, on %s', (platform) => {
  it('answers and handles every delivery as usual, and logs the failure once, naming only the error class', async () => {
    const testApp = await startDashboardApp(WebhooksDashboardModule.forRoot({ authorize }), { platform });
    try {
      const server = testApp.app.getHttpServer() as App;
      const signer = testApp.app.get(WebhookSigner);
      testApp.app.get(DashboardRecorder).store.append = () => {
        throw new TypeError('a message that quotes x-guuru-hmac-sha256');
      };
      for (const question of ['first', 'second']) {
        await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question, rating: 5 })).expect(200);
      }
      expect(testApp.calls.calls).toHaveLength(2);
      expect(testApp.logs.find('error', 'recording a delivery failed')).toEqual([expect.stringContaining('TypeError')]);
      expect(JSON.stringify(testApp.logs.lines)).not.toContain('quotes');
    } finally {
      await testApp.app.close();
    }
  });
});

describe.each(PLATFORMS)('WebhooksDashboard: recording paused and resumed (public), on %s', (platform) => {
  it('records nothing while paused and every attempt again once resumed', async () => {
    const testApp = await startDashboardApp(WebhooksDashboardModule.forRoot({ authorize }), { platform });
    try {
      const server = testApp.app.getHttpServer() as App;
      const signer = testApp.app.get(WebhookSigner);
      const dashboard = testApp.app.get(WebhooksDashboard);
      const recorded = async () => (await listed(server)).map((delivery) => delivery.outcome);
      expect(dashboard.recording).toBe(true);
      dashboard.pause();
      dashboard.pause();
      expect(dashboard.recording).toBe(false);
      await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question: 'paused', rating: 5 })).expect(200);
      expect(await recorded()).toEqual([]);
      dashboard.resume();
      dashboard.resume(); // twice: still one listener, so one record per attempt
      expect(dashboard.recording).toBe(true);
      await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question: 'resumed', rating: 5 })).expect(200);
      expect(await recorded()).toEqual(['handled']);
      const overview = (await page(server, '', true).expect(200)).body as DashboardOverview;
      expect(overview.sources.find((entry) => entry.source === 'guuru')!.lastHour).toMatchObject({
        verified: 1,
        handled: 1,
      });
      expect(testApp.calls.calls).toHaveLength(2);
    } finally {
      await testApp.app.close();
    }
  });
});

/** A service the async options need: what `authorize` checks against. */
@Injectable()
class DashboardKeys {
  readonly key = KEY;
}
@Module({ providers: [DashboardKeys], exports: [DashboardKeys] })
class DashboardKeysModule {}

/** The options as a class, for `forRootAsync({ useClass })`. */
@Injectable()
class DashboardOptionsFromClass implements WebhooksDashboardOptionsFactory {
  createDashboardOptions(): WebhooksDashboardModuleOptions {
    return { authorize, maxEntries: 2 };
  }
}

describe.each(SETUPS)('WebhooksDashboardModule.forRootAsync on %s, %s', (platform, order) => {
  it('takes the path beside useFactory and authorize from the factory, with what it injects', async () => {
    const app = await startDashboardApp(
      WebhooksDashboardModule.forRootAsync({
        path: 'ops/webhooks',
        imports: [DashboardKeysModule],
        inject: [DashboardKeys],
        useFactory: (keys: DashboardKeys) => ({
          authorize: (incoming: WebhookDashboardRequest) => incoming.headers['x-dashboard-key'] === keys.key,
        }),
      }),
      { platform, order },
    );
    try {
      const server = app.app.getHttpServer() as App;
      await deliver(server, '/webhooks/guuru', app.app.get(WebhookSigner).sign('guuru', { question: 'q' })).expect(200);
      await request(server).get('/ops/webhooks').expect(401);
      const response = await request(server).get('/ops/webhooks').set('x-dashboard-key', KEY).expect(200);
      expect(response.text).toContain('href="/ops/webhooks/deliveries"');
      const list = (await request(server).get('/ops/webhooks/deliveries?format=json').set('x-dashboard-key', KEY))
        .body as DashboardDeliveryList;
      expect(list.deliveries.map((entry) => `${entry.source}:${entry.outcome}`)).toEqual(['guuru:handled']);
      // Nothing at the default path: it is a source name there, unknown.
      await request(server).get('/webhooks/_dashboard').set('x-dashboard-key', KEY).expect(404);
    } finally {
      await app.app.close();
    }
  });

  it('takes its options from a class, at the default path', async () => {
    const app = await startDashboardApp(WebhooksDashboardModule.forRootAsync({ useClass: DashboardOptionsFromClass }), {
      platform,
      order,
    });
    try {
      const server = app.app.getHttpServer() as App;
      const signer = app.app.get(WebhookSigner);
      for (const question of ['a', 'b', 'c']) {
        await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question })).expect(200);
      }
      await request(server).get('/webhooks/_dashboard').expect(401);
      // maxEntries from the class: 2.
      expect(await listed(server)).toHaveLength(2);
    } finally {
      await app.app.close();
    }
  });
});

/** Compiles an app of `imports`, to see what start-up says. */
async function startUp(imports: DynamicModule[]): Promise<unknown> {
  try {
    await Test.createTestingModule({ imports }).compile();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('dashboard configuration', () => {
  const webhooks = (): DynamicModule => WebhooksModule.forRoot(testWebhooksOptions());

  it('refuses a dashboard without authorize at start-up, saying why, from forRoot or from a factory', async () => {
    for (const dashboard of [
      WebhooksDashboardModule.forRoot({ path: 'webhooks/_dashboard' } as WebhooksDashboardModuleOptions),
      WebhooksDashboardModule.forRootAsync({ useFactory: () => ({}) as WebhooksDashboardModuleOptions }),
      WebhooksDashboardModule.forRoot({ authorize: 'yes' } as unknown as WebhooksDashboardModuleOptions),
    ]) {
      const error = await startUp([webhooks(), dashboard]);
      expect(error).toBeInstanceOf(WebhookConfigurationError);
      expect((error as Error).message).toMatch(/no "authorize"/);
    }
  });

  it('refuses a dashboard path that a source name could take, or that is no plain path', async () => {
    for (const path of ['webhooks/guuru', 'webhooks/guuru/ops']) {
      const error = await startUp([webhooks(), WebhooksDashboardModule.forRoot({ path, authorize })]);
      expect(error).toBeInstanceOf(WebhookConfigurationError);
      expect((error as Error).message).toMatch(/source "guuru"/);
    }
    for (const path of ['admin/:id', 'admin/*', 'a b', '']) {
      expect(() => WebhooksDashboardModule.forRoot({ path, authorize })).toThrow(WebhookConfigurationError);
    }
  });

  it('refuses an async factory that moves the path fixed beside it', async () => {
    const error = await startUp([
      webhooks(),
      WebhooksDashboardModule.forRootAsync({
        path: 'ops/webhooks',
        useFactory: () => ({ path: 'elsewhere', authorize }),
      }),
    ]);
    expect(error).toBeInstanceOf(WebhookConfigurationError);
    expect((error as Error).message).toMatch(/cannot move it/);
  });

  it('refuses a bad maxEntries or store, and a dashboard without WebhooksModule', async () => {
    for (const options of [
      { authorize, maxEntries: 0 },
      { authorize, maxEntries: 1.5 },
      { authorize, store: 'disk' },
      { authorize, store: { redis: 42 } },
    ]) {
      const error = await startUp([
        webhooks(),
        WebhooksDashboardModule.forRoot(options as unknown as WebhooksDashboardModuleOptions),
      ]);
      expect(error).toBeInstanceOf(WebhookConfigurationError);
    }
    const alone = await startUp([WebhooksDashboardModule.forRoot({ authorize })]);
    expect(alone).toBeInstanceOf(WebhookConfigurationError);
    expect((alone as Error).message).toMatch(/import WebhooksModule/);
  });
});

describe.each(PLATFORMS)('the dashboard in queue mode (Redis store, dead letters, replay) on %s', (platform) => {
  let redis: TestRedis;
  let testApp: DashboardTestApp | undefined;

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
  });

  afterAll(async () => {
    await redis.stop();
  });

  async function start(name: string, order: ImportOrder = 'dashboard first'): Promise<DashboardTestApp> {
    testApp = await startDashboardApp(
      WebhooksDashboardModule.forRoot({ authorize, store: { redis: redis.url }, csrfSecret: 'shared-csrf-secret' }),
      {
        platform,
        order,
        webhooks: testWebhooksOptions({
          processing: 'queue',
          queue: { connection: redis.connection, name, attempts: 2, backoffMs: 20, jobSigningKey: JOB_SIGNING_KEY },
          deliveries: { store: 'redis', connection: redis.url },
        }),
      },
    );
    return testApp;
  }

  it('lists dead letters, refuses a replay without its token (403), and replays once with it', async () => {
    const app = await start('dashboard-queue-1');
    const server = app.app.getHttpServer() as App;
    const signed = app.app.get(WebhookSigner).sign('broken', { question: 'dead letter' });
    await deliver(server, '/webhooks/broken', signed).expect(200);
    await eventually(async () => {
      const model = (await page(server, '/dead-letters', true)).body as DashboardDeadLetters;
      return model.deadLetters.length === 1;
    }, 10_000);

    const first = await page(server, '/dead-letters').expect(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(first.headers['set-cookie']![0]).toMatch(/HttpOnly; SameSite=Strict/);
    expect(first.headers['set-cookie']![0]).not.toMatch(/Secure/);
    const behindTls = await page(server, '/dead-letters').set('x-forwarded-proto', 'https').expect(200);
    expect(behindTls.headers['set-cookie']![0]).toMatch(/HttpOnly; SameSite=Strict; Secure$/);
    const token = /name="csrf" value="([^"]+)"/.exec(first.text)![1]!;
    const [, action] = /action="([^"]+\/dead-letters\/[^"]+\/replay)"/.exec(first.text)!;
    expect(first.text).toContain('the broken handler is still broken');
    expect(first.text).toContain('Replay all of broken');
    expect(first.text).toContain('<code>handler_failed</code>');

    app.handlers.broken = false;
    const attemptsBefore = app.handlers.brokenAttempts;
    // Without the token, with a wrong one, with another session's cookie, or from another site: 403, nothing runs.
    await request(server)
      .post(action!)
      .set('x-dashboard-key', KEY)
      .set('cookie', cookie)
      .type('form')
      .send({})
      .expect(403);
    await request(server)
      .post(action!)
      .set('x-dashboard-key', KEY)
      .set('cookie', cookie)
      .type('form')
      .send({ csrf: 'x' })
      .expect(403);
    await request(server).post(action!).set('x-dashboard-key', KEY).type('form').send({ csrf: token }).expect(403);
    await request(server)
      .post(action!)
      .set('x-dashboard-key', KEY)
      .set('cookie', cookie)
      .set('origin', 'https://evil.example')
      .type('form')
      .send({ csrf: token })
      .expect(403);
    expect(app.handlers.brokenAttempts).toBe(attemptsBefore);

    await request(server)
      .post(action!)
      .set('x-dashboard-key', KEY)
      .set('cookie', cookie)
      .set('sec-fetch-site', 'cross-site')
      .type('form')
      .send({ csrf: token })
      .expect(403);
    expect(app.handlers.brokenAttempts).toBe(attemptsBefore);

    // Behind a reverse proxy the Host is the upstream's, while the browser says same-origin: allowed.
    const replayed = await request(server)
      .post(action!)
      .set('x-dashboard-key', KEY)
      .set('cookie', cookie)
      .set('origin', 'https://dash.example.com')
      .set('sec-fetch-site', 'same-origin')
      .type('form')
      .send({ csrf: token })
      .expect(200);
    expect(replayed.text).toMatch(/handled/);
    // Replayed again (a double submit), or an id that is no job: an answer, never a 500.
    for (const target of [action!, '/webhooks/_dashboard/dead-letters/wait/replay']) {
      await request(server)
        .post(target)
        .set('x-dashboard-key', KEY)
        .set('cookie', cookie)
        .type('form')
        .send({ csrf: token })
        .expect(200);
    }
    expect(app.calls.of('broken')).toHaveLength(1);
    expect(app.handlers.brokenAttempts).toBe(attemptsBefore + 1);
    const after = (await page(server, '/dead-letters', true).expect(200)).body as DashboardDeadLetters;
    expect(after.deadLetters).toEqual([]);

    // The history, from Redis: the request verified and queued, two worker runs failed, the replay's handled.
    const overview = (await page(server, '', true).expect(200)).body as DashboardOverview;
    expect(overview.sources.find((entry) => entry.source === 'broken')!.lastHour).toMatchObject({
      verified: 1,
      queued: 1,
      failed: 2,
      handled: 1,
    });
  }, 30_000);

  it('replays every dead letter of a source from one button, as a script can with the JSON twin', async () => {
    const app = await start('dashboard-queue-2', 'webhooks first');
    const server = app.app.getHttpServer() as App;
    const signer = app.app.get(WebhookSigner);
    await deliver(server, '/webhooks/broken', signer.sign('broken', { question: 'one' })).expect(200);
    await deliver(server, '/webhooks/broken', signer.sign('broken', { question: 'two' })).expect(200);
    await eventually(async () => {
      const model = (await page(server, '/dead-letters', true)).body as DashboardDeadLetters;
      return model.deadLetters.length === 2;
    }, 10_000);
    const listing = await page(server, '/dead-letters', true).expect(200);
    const cookie = String(listing.headers['set-cookie']).split(';')[0]!;
    const { csrfToken } = listing.body as DashboardDeadLetters;
    app.handlers.broken = false;
    const response = await request(server)
      .post('/webhooks/_dashboard/dead-letters/replay?format=json')
      .set('x-dashboard-key', KEY)
      .set('cookie', cookie)
      .set('x-csrf-token', csrfToken)
      .type('form')
      .send({ source: 'broken' })
      .expect(200);
    expect((response.body as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
      'handled',
      'handled',
    ]);
    expect(app.calls.of('broken')).toHaveLength(2);
  }, 30_000);

  it("carries one attempt id in event, log line and entry for a queued delivery's request and each worker run", async () => {
    const app = await start('dashboard-queue-3');
    const server = app.app.getHttpServer() as App;
    await deliver(server, '/webhooks/broken', app.app.get(WebhookSigner).sign('broken', { question: 'retry' })).expect(
      200,
    );
    // The Redis store keeps the earlier tests' attempts too: this delivery's are those of its id.
    const deliveryId = app.outcomes.find((event) => event.outcome === 'queued')!.deliveryId;
    const ofThisDelivery = async (outcome: WebhookOutcome) =>
      (await listed(server, `?source=broken&outcome=${outcome}`)).filter((entry) => entry.deliveryId === deliveryId);
    await eventually(async () => (await ofThisDelivery('failed')).length === 2, 10_000);
    const runs = await ofThisDelivery('failed');
    expect(runs.map((entry) => entry.via)).toEqual(['queue', 'queue']);
    expect(new Set(runs.map((entry) => entry.attemptId)).size).toBe(2);
    for (const run of runs) await assertOneAttemptId(app, server, run, 'failed');
    const [queued] = await ofThisDelivery('queued');
    await assertOneAttemptId(app, server, queued!, 'queued');
    expect(runs.map((entry) => entry.attemptId)).not.toContain(queued!.attemptId);
    expect(runs.every((entry) => entry.deliveryId === queued!.deliveryId)).toBe(true);
  }, 30_000);

  it('shares its history between instances, and a replay form of one instance works on another', async () => {
    const first = await start('dashboard-queue-4');
    const second = await startDashboardApp(
      WebhooksDashboardModule.forRoot({ authorize, store: { redis: redis.url }, csrfSecret: 'shared-csrf-secret' }),
      { platform, order: 'webhooks first' },
    );
    try {
      const firstServer = first.app.getHttpServer() as App;
      const secondServer = second.app.getHttpServer() as App;
      const signed = second.app.get(WebhookSigner).sign('guuru', { question: 'from the second instance' });
      await deliver(secondServer, '/webhooks/guuru', signed).expect(200);
      await eventually(
        async () => (await listed(firstServer, '?source=guuru')).some((entry) => entry.outcome === 'handled'),
        5_000,
      );
      const [entry] = await listed(firstServer, '?source=guuru');
      expect(second.outcomes.some((event) => event.attemptId === entry!.attemptId)).toBe(true);
      const listing = await page(firstServer, '/dead-letters', true).expect(200);
      const cookie = String(listing.headers['set-cookie']).split(';')[0]!;
      const { csrfToken } = listing.body as DashboardDeadLetters;
      await request(secondServer)
        .post('/webhooks/_dashboard/dead-letters/replay?format=json')
        .set('x-dashboard-key', KEY)
        .set('cookie', cookie)
        .set('x-csrf-token', csrfToken)
        .type('form')
        .send({ source: 'guuru' })
        .expect(200);
    } finally {
      await second.app.close();
    }
  }, 30_000);
});

describe('the dashboard with forged and hostile input', () => {
  it('refuses a replay token minted under another csrfSecret', async () => {
    const one = await startDashboardApp(WebhooksDashboardModule.forRoot({ authorize, csrfSecret: 'one-secret' }));
    const other = await startDashboardApp(WebhooksDashboardModule.forRoot({ authorize, csrfSecret: 'other-secret' }));
    try {
      const listing = await page(one.app.getHttpServer() as App, '/dead-letters', true).expect(200);
      const cookie = String(listing.headers['set-cookie']).split(';')[0]!;
      const { csrfToken } = listing.body as DashboardDeadLetters;
      const post = (server: App) =>
        request(server)
          .post('/webhooks/_dashboard/dead-letters/replay?format=json')
          .set('x-dashboard-key', KEY)
          .set('cookie', cookie)
          .set('x-csrf-token', csrfToken)
          .type('form')
          .send({});
      await post(one.app.getHttpServer() as App).expect(200);
      await post(other.app.getHttpServer() as App).expect(403);
    } finally {
      await one.app.close();
      await other.app.close();
    }
  });

  it('keeps verified deliveries on the dashboard while forged requests flood it', async () => {
    const app = await startDashboardApp(WebhooksDashboardModule.forRoot({ authorize, maxEntries: 5 }));
    try {
      const server = app.app.getHttpServer() as App;
      const signer = app.app.get(WebhookSigner);
      for (const question of ['kept 1', 'kept 2']) {
        await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question })).expect(200);
      }
      const forged = signer.sign('guuru', { question: 'forged' });
      for (let n = 0; n < 20; n += 1) {
        const body = String(forged.body).replace('forged', `forged ${n}`);
        await deliver(server, '/webhooks/guuru', { ...forged, body }).expect(401);
        await request(server).post(`/webhooks/scan-${n}`).send('{}').expect(404);
      }
      const list = await listed(server);
      expect(list.filter((entry) => entry.outcome === 'handled')).toHaveLength(2);
      expect(list.filter((entry) => entry.outcome === 'rejected')).toHaveLength(5);
      const overview = (await page(server, '', true).expect(200)).body as DashboardOverview;
      const bySource = Object.fromEntries(overview.sources.map((entry) => [entry.source, entry.lastHour]));
      expect(bySource.guuru).toMatchObject({ handled: 2, rejected: 20 });
      expect(bySource['(unknown sources)']).toMatchObject({ rejected: 20 });
      expect(overview.sources).toHaveLength(new Set(overview.sources.map((entry) => entry.source)).size);
      expect(overview.sources.map((entry) => entry.source)).not.toContain('scan-1');
    } finally {
      await app.app.close();
    }
  });
});
