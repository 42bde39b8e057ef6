import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { App } from 'supertest/types.js';
import {
  MASKED_HEADER_VALUE,
  WebhookEvents,
  WebhookSigner,
  WebhooksModule,
  type SignedWebhookRequest,
  type WebhookOutcomeEvent,
} from '../../lib/index.js';
import { billingInvoicePaid } from '../../sample/payloads.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver } from './fixtures/deliver.js';
import { ALL_SECRET_STRINGS, SECRETS } from './fixtures/secrets.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/** A copy of a delivery with one letter's case flipped: still JSON, no longer what was signed. */
function tampered(signed: SignedWebhookRequest): SignedWebhookRequest {
  const body = Buffer.from(signed.body);
  const at = body.findIndex((byte, index) => index > body.length / 2 && /[a-z]/i.test(String.fromCharCode(byte)));
  body[at] = body[at]! ^ 0x20;
  return { headers: signed.headers, body };
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The outcomes, in order, per delivery id (`-` for deliveries refused before they had one). */
function outcomesById(events: readonly WebhookOutcomeEvent[]): Record<string, string[]> {
  const byId: Record<string, string[]> = {};
  for (const event of events) {
    const label = event.reason ? `${event.outcome}:${event.reason}` : event.outcome;
    (byId[event.deliveryId ?? '-'] ??= []).push(label);
  }
  return byId;
}

/**
 * Per delivery id, each attempt's outcomes in order, the attempts sorted: a worker's attempt
 * may finish before the request that queued it has recorded `queued`.
 */
function attemptsById(events: readonly WebhookOutcomeEvent[]): Record<string, string[]> {
  const byAttempt = new Map<string, { deliveryId: string; labels: string[] }>();
  for (const event of events) {
    const label = event.reason ? `${event.outcome}:${event.reason}` : event.outcome;
    const attempt = byAttempt.get(event.attemptId) ?? { deliveryId: event.deliveryId ?? '-', labels: [] };
    attempt.labels.push(label);
    byAttempt.set(event.attemptId, attempt);
  }
  const byId: Record<string, string[]> = {};
  for (const { deliveryId, labels } of byAttempt.values()) (byId[deliveryId] ??= []).push(labels.join(' > '));
  for (const attempts of Object.values(byId)) attempts.sort();
  return byId;
}

describe.each(PLATFORMS)('outcome events on %s', (platform) => {
  let testApp: TestApp | undefined;
  let events: WebhookOutcomeEvent[];

  async function start(module = WebhooksModule.forRoot(testWebhooksOptions())) {
    testApp = await startTestApp(module, { platform });
    events = [];
    testApp.app.get(WebhookEvents).events$.subscribe((event) => events.push(event));
    return { signer: testApp.app.get(WebhookSigner), server: testApp.app.getHttpServer() as App };
  }

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
  });

  it('emits each outcome exactly once per delivery, with the right reason code', async () => {
    const { signer, server } = await start();
    const valid = signer.sign('billing', billingInvoicePaid, { id: 'msg_valid' });
    const failing = signer.sign('flaky', { question: 'flaky-1' });
    await deliver(server, '/webhooks/billing', valid).expect(200);
    await deliver(server, '/webhooks/billing', valid).expect(200); // the sender's retry: a duplicate
    await deliver(
      server,
      '/webhooks/billing',
      tampered(signer.sign('billing', billingInvoicePaid, { id: 'msg_bad' })),
    ).expect(401);
    await deliver(server, '/webhooks/nobody', valid).expect(404);
    testApp!.handlers.failNext = true;
    await deliver(server, '/webhooks/flaky', failing).expect(500);
    const invalid = signer.sign('billing', { type: 42 }, { id: 'msg_invalid' });
    await deliver(server, '/webhooks/billing', invalid).expect(400);

    const failingId = events.find((event) => event.source === 'flaky')!.deliveryId!;
    expect(outcomesById(events)).toEqual({
      msg_valid: ['verified', 'handled', 'verified', 'duplicate'],
      '-': ['rejected:invalid_signature', 'rejected:unknown_source'],
      [failingId]: ['verified', 'failed:handler_failed'],
      msg_invalid: ['verified', 'rejected:invalid_payload'],
    });
  });

  it('carries source, tenant, event type, statuses, durations and masked headers', async () => {
    const { signer, server } = await start();
    await deliver(server, '/webhooks/billing/acme', signer.sign('billing', billingInvoicePaid, { id: 'msg_t' }));
    const [verified, handled] = events;
    expect(verified).toMatchObject({ outcome: 'verified', source: 'billing', tenant: 'acme', event: 'invoice.paid' });
    expect(verified!.durations.verifyMs).toBeGreaterThanOrEqual(0);
    expect(handled).toMatchObject({ outcome: 'handled', deliveryId: 'msg_t', via: 'request' });
    expect(handled!.durations.validateMs).toBeGreaterThanOrEqual(0);
    expect(handled!.durations.handlersMs).toBeGreaterThanOrEqual(0);
    expect(handled!.handlers.map((run) => run.succeeded)).toEqual([true, true]);
    expect(handled!.headers['webhook-signature']).toBe(MASKED_HEADER_VALUE);
    expect(handled!.headers['webhook-id']).toBe('msg_t');
    const serialised = JSON.stringify(events);
    for (const secret of ALL_SECRET_STRINGS) expect(serialised).not.toContain(secret);

    await deliver(server, '/webhooks/billing', tampered(signer.sign('billing', billingInvoicePaid, { id: 'msg_x' })));
    expect(events.at(-1)).toMatchObject({ outcome: 'rejected', reason: 'invalid_signature', status: 401 });
    expect(events.at(-1)!.detail).toBeDefined();

    // An unknown source has no sender to say which headers are secret: they are masked by name.
    await deliver(server, '/webhooks/githubb', {
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=abcdef', 'x-api-key': 'k-123' },
      body: '{}',
    }).expect(404);
    expect(events.at(-1)).toMatchObject({ outcome: 'rejected', reason: 'unknown_source', source: 'githubb' });
    expect(events.at(-1)!.headers['x-hub-signature-256']).toBe(MASKED_HEADER_VALUE);
    expect(events.at(-1)!.headers['x-api-key']).toBe(MASKED_HEADER_VALUE);
    expect(JSON.stringify(events.at(-1))).not.toContain('abcdef');
  });

  describe('in queue mode', () => {
    let redis: TestRedis;

    beforeAll(async () => {
      redis = await startTestRedis();
    });

    afterAll(async () => {
      await redis.stop();
    });

    it('emits verified at the request, then handled or failed from the worker', async () => {
      const { signer, server } = await start(
        WebhooksModule.forRoot({
          ...testWebhooksOptions(),
          processing: 'queue',
          queue: {
            jobSigningKey: SECRETS.jobSigning,
            connection: redis.connection,
            name: `events-queue-${platform}`,
            attempts: 2,
            backoffMs: 20,
          },
          deliveries: { store: 'redis', connection: redis.url },
        }),
      );
      const invoice = signer.sign('billing', billingInvoicePaid, { id: 'msg_q' });
      await deliver(server, '/webhooks/billing', invoice).expect(200);
      testApp!.handlers.broken = true;
      const broken = signer.sign('broken', { question: 'broken-1' });
      await deliver(server, '/webhooks/broken', broken).expect(200);
      await eventually(() => events.filter((event) => event.outcome === 'failed').length === 2, 10_000);
      await eventually(() => events.some((event) => event.outcome === 'handled'), 10_000);
      // The sender's retry while the queue still holds the job: a duplicate, answered at the request.
      const repeat = await deliver(server, '/webhooks/billing', invoice).expect(200);
      expect(repeat.body).toMatchObject({ queued: true, duplicate: true });
      const brokenId = events.find((event) => event.source === 'broken')!.deliveryId!;
      expect(attemptsById(events)).toEqual({
        // The request's attempt, the worker's, and the repeat's.
        msg_q: ['handled', 'verified > duplicate', 'verified > queued'],
        // One failed event per worker attempt: the queue tries twice.
        [brokenId]: ['failed:handler_failed', 'failed:handler_failed', 'verified > queued'],
      });
      expect(events.map((event) => `${event.outcome}:${event.via}`).sort()).toEqual(
        [
          'verified:request',
          'verified:request',
          'verified:request',
          'queued:request',
          'queued:request',
          'handled:queue',
          'failed:queue',
          'failed:queue',
          'duplicate:request',
        ].sort(),
      );
    });
  });
});
