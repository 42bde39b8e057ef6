import { afterEach, describe, expect, it } from '@jest/globals';
import type { App } from 'supertest/types.js';
import {
  deliveryKey,
  WebhookSigner,
  WebhooksModule,
  type DeliveryClaim,
  type DeliveryProgress,
  type DeliveryStore,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import { billingInvoicePaid } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

type StoreCall =
  | { readonly method: 'claim'; readonly key: string; readonly owner: string; readonly leaseSeconds: number }
  | {
      readonly method: 'complete';
      readonly key: string;
      readonly ttlSeconds: number;
      readonly replayableUntilMs: number | undefined;
    }
  | {
      readonly method: 'release';
      readonly key: string;
      readonly owner: string;
      readonly progress: DeliveryProgress | undefined;
    }
  | { readonly method: 'close' };

/**
 * An application's own store, as the README describes one (`deliveries: { store: myStore }`): a
 * map, atomic because each method runs to its end without awaiting. It records every call, and
 * a test can make the next claims fail or answer for another owner.
 */
class RecordingStore implements DeliveryStore {
  readonly calls: StoreCall[] = [];
  private readonly entries = new Map<string, { state: 'processing' | 'done'; owner?: string; handledBy: string[] }>();
  /** While set, `claim` rejects with it (a store that does not answer). */
  claimError: Error | undefined;
  /** While set, `complete` rejects with it. */
  completeError: Error | undefined;
  /** While set, `release` rejects with it. */
  releaseError: Error | undefined;

  claim(key: string, owner: string, leaseSeconds: number): Promise<DeliveryClaim> {
    this.calls.push({ method: 'claim', key, owner, leaseSeconds });
    if (this.claimError) return Promise.reject(this.claimError);
    const entry = this.entries.get(key);
    if (entry?.state === 'done') return Promise.resolve({ state: 'done', handledBy: [] });
    // A released entry keeps its progress but no owner: anyone may claim it again.
    if (entry?.state === 'processing' && entry.owner !== undefined && entry.owner !== owner) {
      return Promise.resolve({ state: 'in_progress', handledBy: [] });
    }
    const handledBy = entry?.handledBy ?? [];
    this.entries.set(key, { state: 'processing', owner, handledBy });
    return Promise.resolve({ state: 'claimed', handledBy });
  }

  complete(key: string, ttlSeconds: number, replayableUntilMs?: number): Promise<void> {
    this.calls.push({ method: 'complete', key, ttlSeconds, replayableUntilMs });
    if (this.completeError) return Promise.reject(this.completeError);
    this.entries.set(key, { state: 'done', handledBy: [] });
    return Promise.resolve();
  }

  release(key: string, owner: string, progress?: DeliveryProgress): Promise<void> {
    this.calls.push({ method: 'release', key, owner, progress });
    if (this.releaseError) return Promise.reject(this.releaseError);
    const entry = this.entries.get(key);
    if (entry?.state === 'processing' && entry.owner === owner) {
      this.entries.set(key, { state: 'processing', owner: undefined, handledBy: [...(progress?.handledBy ?? [])] });
      if (!progress?.handledBy.length) this.entries.delete(key);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.calls.push({ method: 'close' });
    return Promise.resolve();
  }

  /** Another instance claims `key` (as if it took the delivery first). */
  claimAsAnotherInstance(key: string): void {
    this.entries.set(key, { state: 'processing', owner: 'another-instance', handledBy: [] });
  }

  of(method: StoreCall['method']): StoreCall[] {
    return this.calls.filter((call) => call.method === method);
  }
}

describe('a DeliveryStore of the application’s own (deliveries: { store })', () => {
  let testApp: TestApp | undefined;
  let store: RecordingStore;

  async function start(deliveries: Partial<NonNullable<WebhooksModuleOptions['deliveries']>> = {}): Promise<TestApp> {
    store = new RecordingStore();
    testApp = await startTestApp(
      WebhooksModule.forRoot({ ...testWebhooksOptions(), deliveries: { store, ...deliveries } }),
    );
    return testApp;
  }

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
  });

  it('is claimed, then completed, under source:deliveryId with the configured lease and ttl; a repeat is answered from it', async () => {
    const app = await start({ leaseSeconds: 45, ttlSeconds: 7200 });
    const server = app.app.getHttpServer() as App;
    const signed = app.app.get(WebhookSigner).sign('guuru', { question: 'my own store' });
    const first = await deliver(server, '/webhooks/guuru', signed).expect(200);
    const key = deliveryKey('guuru', first.body.deliveryId as string);
    expect(store.calls).toEqual([
      { method: 'claim', key, owner: expect.any(String), leaseSeconds: 45 },
      // Guuru sends no timestamp: nothing bounds how long a repeat could come, so no replayableUntilMs.
      { method: 'complete', key, ttlSeconds: 7200, replayableUntilMs: undefined },
    ]);

    const repeat = await deliver(server, '/webhooks/guuru', signed).expect(200);
    expect(repeat.body).toMatchObject({ duplicate: true, handled: 0 });
    expect(store.calls.slice(2)).toEqual([{ method: 'claim', key, owner: expect.any(String), leaseSeconds: 45 }]);
    // Every request claims as an owner of its own.
    const [firstClaim, repeatClaim] = store.of('claim') as Extract<StoreCall, { method: 'claim' }>[];
    expect(repeatClaim!.owner).not.toBe(firstClaim!.owner);
    expect(app.calls.of('guuru')).toHaveLength(1);
  });

  it('is told until when a timestamped delivery could be replayed (its timestamp plus the window)', async () => {
    const app = await start();
    const sentAt = new Date(Date.now() - 60_000);
    const signed = app.app.get(WebhookSigner).sign('billing', billingInvoicePaid, { timestamp: sentAt });
    const response = await deliver(app.app.getHttpServer() as App, '/webhooks/billing', signed).expect(200);
    expect(store.of('complete')).toEqual([
      {
        method: 'complete',
        key: deliveryKey('billing', response.body.deliveryId as string),
        ttlSeconds: 24 * 3600,
        // Standard Webhooks timestamps are whole seconds; the module's default window is 300 s.
        replayableUntilMs: Math.floor(sentAt.getTime() / 1000) * 1000 + 300_000,
      },
    ]);
  });

  it('is released with the handlers that succeeded when another failed, and the retry runs only the rest', async () => {
    const app = await start();
    const server = app.app.getHttpServer() as App;
    app.handlers.failAnyBillingNext = true;
    const signed = app.app.get(WebhookSigner).sign('billing', billingInvoicePaid);
    await deliver(server, '/webhooks/billing', signed).expect(500);
    const [claim] = store.of('claim') as Extract<StoreCall, { method: 'claim' }>[];
    expect(store.of('release')).toEqual([
      {
        method: 'release',
        key: claim!.key,
        owner: claim!.owner,
        progress: { handledBy: ['TestHandlers.onInvoicePaid'], ttlSeconds: 24 * 3600 },
      },
    ]);
    expect(store.of('complete')).toEqual([]);

    const retry = await deliver(server, '/webhooks/billing', signed).expect(200);
    expect(retry.body.handled).toBe(1);
    expect(app.calls.calls.map((call) => call.handler).sort()).toEqual(['billing.*', 'billing.invoice.paid']);
  });

  it('answers 409 delivery_in_progress while it says another owner holds the claim, and runs nothing', async () => {
    const app = await start();
    const signed = app.app.get(WebhookSigner).sign('billing', billingInvoicePaid, { id: 'msg_taken_elsewhere' });
    const key = deliveryKey('billing', 'msg_taken_elsewhere');
    // Another app instance sharing the store is handling the same delivery.
    store.claimAsAnotherInstance(key);
    const busy = await deliver(app.app.getHttpServer() as App, '/webhooks/billing', signed).expect(409);
    expect(busy.body).toMatchObject({ statusCode: 409, reason: 'delivery_in_progress' });
    expect(store.calls).toEqual([{ method: 'claim', key, owner: expect.any(String), leaseSeconds: 120 }]);
    expect(app.calls.calls).toEqual([]);
  });

  it('answers 503 delivery_store_unavailable when it does not answer, runs nothing, and logs its error', async () => {
    const app = await start();
    const server = app.app.getHttpServer() as App;
    store.claimError = new Error('my database is down');
    const signed = app.app.get(WebhookSigner).sign('guuru', { question: 'store down' });
    const refused = await deliver(server, '/webhooks/guuru', signed).expect(503);
    expect(refused.body).toEqual({
      statusCode: 503,
      reason: 'delivery_store_unavailable',
      message: 'The delivery could not be processed; see the application log.',
    });
    expect(app.calls.calls).toEqual([]);
    expect(app.logs.find('error', 'webhook delivery store failed: my database is down')).toHaveLength(1);
    expect(app.logs.find('error', 'reason=delivery_store_unavailable status=503')).toHaveLength(1);

    // Back: the sender's retry is handled.
    store.claimError = undefined;
    await deliver(server, '/webhooks/guuru', signed).expect(200);
    expect(app.calls.of('guuru')).toHaveLength(1);
  });

  it('answers 200 when it fails to record a delivery whose handlers ran (a retry must not run them again), and logs it', async () => {
    const app = await start();
    store.completeError = new Error('write refused');
    const signed = app.app.get(WebhookSigner).sign('guuru', { question: 'handled, not recorded' });
    const response = await deliver(app.app.getHttpServer() as App, '/webhooks/guuru', signed).expect(200);
    expect(response.body).toMatchObject({ received: true, handled: 1 });
    expect(app.calls.of('guuru')).toHaveLength(1);
    expect(app.logs.find('error', 'webhook delivery store failed: write refused')).toHaveLength(1);
  });

  it('still answers a failed handler with 500 handler_failed when it fails to release the claim, and logs it', async () => {
    const app = await start();
    app.handlers.failNext = true;
    store.releaseError = new Error('release refused');
    const signed = app.app.get(WebhookSigner).sign('flaky', { question: 'fails, then the store too' });
    const failed = await deliver(app.app.getHttpServer() as App, '/webhooks/flaky', signed).expect(500);
    expect(failed.body).toMatchObject({ reason: 'handler_failed' });
    expect(app.logs.find('error', 'webhook delivery store failed: release refused')).toHaveLength(1);
  });

  it('is closed once when the app closes', async () => {
    const app = await start();
    await app.app.close();
    testApp = undefined;
    expect(store.of('close')).toEqual([{ method: 'close' }]);
  });
});
