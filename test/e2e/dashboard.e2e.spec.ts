import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  WebhookConfigurationError,
  WebhookSigner,
  WebhooksModule,
  type DashboardDeadLetters,
  type DashboardDeliveryDetail,
  type DashboardDeliveryList,
  type DashboardOverview,
  type WebhookDashboardOptions,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import { DashboardRecorder } from '../../lib/dashboard/dashboard-recorder.service.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver } from './fixtures/deliver.js';
import { ALL_SECRET_STRINGS } from './fixtures/secrets.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

const KEY = 'let-me-in-7Yq';
const SCRIPT = '<script>alert(1)</script>';
const dashboard: WebhookDashboardOptions = {
  path: 'webhooks/_dashboard',
  authorize: (incoming) => incoming.headers['x-dashboard-key'] === KEY,
};

/** GET a dashboard page, allowed. */
function page(server: App, path: string, json = false): request.Test {
  const call = request(server).get(`/webhooks/_dashboard${path}`).set('x-dashboard-key', KEY);
  return json ? call.set('accept', 'application/json') : call;
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

describe.each(PLATFORMS)('the deliveries dashboard (inline mode, real HTTP) on %s', (platform) => {
  let testApp: TestApp;
  let server: App;
  const signatures: string[] = [];

  beforeAll(async () => {
    testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), dashboard }), { platform });
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
    const list = (await page(server, '/deliveries', true).expect(200)).body as DashboardDeliveryList;
    const someId = list.deliveries[0]!.id;
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
      duplicate: 1,
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
        (sum, bucket) => sum + bucket.handled + bucket.rejected + bucket.failed + bucket.duplicate,
        0,
      ),
    ).toBe(5);

    const response = await page(server, '').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    const html = response.text;
    expect(html).toMatch(/<svg[^>]*viewBox/);
    const text = html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('guuru 2 1 1 1 0 invalid_signature 1');
    expect(text).toContain('flaky 1 0 0 0 1');
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

  it('lists recent deliveries with filters, and links to each', async () => {
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
    const byReason = (await page(server, '/deliveries?reason=invalid_signature', true).expect(200))
      .body as DashboardDeliveryList;
    expect(byReason.deliveries.map((entry) => entry.source)).toEqual(['guuru']);
    expect(all.reasons).toContain('invalid_signature');

    const html = (await page(server, '/deliveries?source=guuru').expect(200)).text;
    for (const entry of all.deliveries.filter((d) => d.source === 'guuru')) {
      expect(html).toContain(`href="/webhooks/_dashboard/deliveries/${entry.id}"`);
    }
    expect(html.match(/class="o o-/g)).toHaveLength(3);
    assertNothingSensitive(html, signatures);
  });

  it('shows one delivery: headers masked, a script header as text, handler runs and their errors', async () => {
    const list = (await page(server, '/deliveries', true).expect(200)).body as DashboardDeliveryList;
    const survicate = list.deliveries.find((entry) => entry.source === 'survicate')!;
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

    const flaky = list.deliveries.find((entry) => entry.source === 'flaky')!;
    const failed = (await page(server, `/deliveries/${flaky.id}`, true).expect(200)).body as DashboardDeliveryDetail;
    expect(failed.handlers).toEqual([
      { handler: 'TestHandlers.onFlaky', succeeded: false, error: 'flaky handler failed on purpose' },
    ]);
    expect((await page(server, `/deliveries/${flaky.id}`).expect(200)).text).toContain(
      'flaky handler failed on purpose',
    );

    const tampered = list.deliveries.find((entry) => entry.outcome === 'rejected')!;
    const refused = (await page(server, `/deliveries/${tampered.id}`, true).expect(200))
      .body as DashboardDeliveryDetail;
    expect(refused).toMatchObject({ verified: false, reason: 'invalid_signature' });
    await page(server, '/deliveries/no-such-id').expect(404);
  });

  it('never shows a secret, signature or token in any page or JSON twin', async () => {
    const list = (await page(server, '/deliveries', true).expect(200)).body as DashboardDeliveryList;
    const paths = ['', '/deliveries', '/dead-letters', ...list.deliveries.map((entry) => `/deliveries/${entry.id}`)];
    for (const path of paths) {
      assertNothingSensitive((await page(server, path).expect(200)).text, signatures);
      assertNothingSensitive((await page(server, path, true).expect(200)).text, signatures);
    }
  });

  it('serves its routes before the webhook routes, and records nothing of its own requests', async () => {
    const before = (await page(server, '/deliveries', true).expect(200)).body as DashboardDeliveryList;
    await page(server, '').expect(200);
    await page(server, '/dead-letters').expect(200);
    const after = (await page(server, '/deliveries', true).expect(200)).body as DashboardDeliveryList;
    expect(after.deliveries).toHaveLength(before.deliveries.length);
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
    const testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), dashboard }), { platform });
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

describe.each(PLATFORMS)('the dashboard with recording paused (the benchmark’s switch), on %s', (platform) => {
  it('records nothing while paused and every delivery again once resumed', async () => {
    const testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), dashboard }), { platform });
    try {
      const server = testApp.app.getHttpServer() as App;
      const signer = testApp.app.get(WebhookSigner);
      const recorder = testApp.app.get(DashboardRecorder);
      const recorded = async () =>
        ((await page(server, '/deliveries', true).expect(200)).body as DashboardDeliveryList).deliveries.map(
          (delivery) => delivery.outcome,
        );
      recorder.pause();
      await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question: 'paused', rating: 5 })).expect(200);
      expect(await recorded()).toEqual([]);
      recorder.resume();
      recorder.resume(); // twice: still one tap, so one record per delivery
      await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question: 'resumed', rating: 5 })).expect(200);
      expect(await recorded()).toEqual(['handled']);
      expect(testApp.calls.calls).toHaveLength(2);
    } finally {
      await testApp.app.close();
    }
  });
});

describe('dashboard configuration', () => {
  it('refuses a dashboard without authorize at start-up, saying why', async () => {
    await expect(
      Test.createTestingModule({
        imports: [WebhooksModule.forRoot({ ...testWebhooksOptions(), dashboard: { path: 'webhooks/_dashboard' } })],
      }).compile(),
    ).rejects.toThrow(/no "authorize"/);
  });

  it('refuses a dashboard path that a source name could take', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          WebhooksModule.forRoot({
            ...testWebhooksOptions(),
            dashboard: { path: 'webhooks/admin', authorize: () => true },
          }),
        ],
      }).compile(),
    ).rejects.toThrow(WebhookConfigurationError);
  });

  it('takes the path beside useFactory and authorize from the factory in forRootAsync', async () => {
    const app = await startTestApp(
      WebhooksModule.forRootAsync({
        dashboard: { path: 'ops/webhooks' },
        useFactory: (): WebhooksModuleOptions => ({
          ...testWebhooksOptions(),
          dashboard: { authorize: (incoming) => incoming.headers['x-dashboard-key'] === KEY },
        }),
      }),
    );
    try {
      const server = app.app.getHttpServer() as App;
      await request(server).get('/ops/webhooks').expect(401);
      const response = await request(server).get('/ops/webhooks').set('x-dashboard-key', KEY).expect(200);
      expect(response.text).toContain('href="/ops/webhooks/deliveries"');
    } finally {
      await app.app.close();
    }
  });

  it('refuses an async factory that turns the dashboard on without a path beside it', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          WebhooksModule.forRootAsync({
            useFactory: () => ({ ...testWebhooksOptions(), dashboard: { authorize: () => true } }),
          }),
        ],
      }).compile(),
    ).rejects.toThrow(/beside useFactory/);
  });
});

describe.each(PLATFORMS)('the dashboard in queue mode (Redis store, dead letters, replay) on %s', (platform) => {
  let redis: TestRedis;
  let testApp: TestApp | undefined;

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

  async function start(name: string): Promise<TestApp> {
    testApp = await startTestApp(
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        processing: 'queue',
        queue: { connection: redis.connection, name, attempts: 2, backoffMs: 20 },
        deliveries: { store: 'redis', connection: redis.url },
        dashboard,
      }),
      { platform },
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

    // The history, from Redis: the delivery verified, failed on the workers, then handled by the replay.
    const overview = (await page(server, '', true).expect(200)).body as DashboardOverview;
    expect(overview.sources.find((entry) => entry.source === 'broken')!.lastHour).toMatchObject({
      verified: 1,
      failed: 2,
      handled: 1,
    });
  }, 30_000);

  it('replays every dead letter of a source from one button, as a script can with the JSON twin', async () => {
    const app = await start('dashboard-queue-2');
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
});
