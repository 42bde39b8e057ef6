import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IncomingWebhook } from '../core/incoming-webhook.js';
import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import { WebhookPayloadError } from '../core/webhook-payload.error.js';
import { jobIdFor, storableHeaders, type DeliveryJobData } from '../deliveries/delivery-job.js';
import { deliveryKey, type DeliveryStore } from '../deliveries/delivery-store.js';
import { MemoryDeliveryStore } from '../deliveries/memory-delivery.store.js';
import { RedisDeliveryStore } from '../deliveries/redis-delivery.store.js';
import { WebhookDeliveryError } from '../deliveries/webhook-delivery.error.js';
import { WebhookQueue } from '../deliveries/webhook-queue.js';
import type { VerifiedDelivery } from './verified-requests.js';
import { WebhookDispatcher, type DispatchReport } from './webhook.dispatcher.js';
import { WebhookEvents, type WebhookOutcomeFacts } from './webhook-events.js';
import { isWebhookRejection } from './webhook-rejection.js';
import { WebhookSources, type WebhookSource } from './webhook-sources.js';
import { isInternalSource, WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from './webhooks.constants.js';
import type { WebhookReceipt } from './webhooks.controller.js';
import { WebhookHandlerError } from './webhooks.errors.js';
import { requestValue } from './webhooks.messages.js';
import type { WebhooksModuleOptions } from './webhooks.options.js';

const DEFAULT_TTL_SECONDS = 24 * 3600;
const DEFAULT_LEASE_SECONDS = 120;

/**
 * Takes verified deliveries on: claims each in the delivery store so it is handled
 * once, then either runs the handlers in the request (`inline`) or queues it for the
 * workers (`queue`). Owns the store's and the queue's connections and their shutdown.
 */
@Injectable()
export class WebhookProcessing
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);
  private store!: DeliveryStore;
  private queue?: WebhookQueue;
  private readonly ttlSeconds: number;
  private readonly leaseSeconds: number;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    @Inject(WEBHOOKS_MODULE_OPTIONS) private readonly options: WebhooksModuleOptions,
    private readonly sources: WebhookSources,
    private readonly dispatcher: WebhookDispatcher,
    private readonly events: WebhookEvents,
  ) {
    const deliveries = options.deliveries ?? {};
    this.leaseSeconds = positive(deliveries.leaseSeconds ?? DEFAULT_LEASE_SECONDS, 'deliveries.leaseSeconds');
    this.ttlSeconds = positive(deliveries.ttlSeconds ?? DEFAULT_TTL_SECONDS, 'deliveries.ttlSeconds');
    const longestWindow = Math.max(0, ...sources.names().map((name) => sources.find(name)!.toleranceSeconds));
    if (this.ttlSeconds < longestWindow) {
      throw new WebhookConfigurationError(
        `deliveries.ttlSeconds (${this.ttlSeconds}) must be at least the longest replay window (${longestWindow}s): ` +
          'a repeat inside the window must still be recognised.',
      );
    }
    if (options.processing === 'queue' && !options.queue?.connection) {
      throw new WebhookConfigurationError(
        'processing: "queue" needs queue.connection (the Redis that holds the queue).',
      );
    }
  }

  /** Whether handlers run on the queue's workers rather than in the request. */
  get queued(): boolean {
    return this.options.processing === 'queue';
  }

  /** The queue, in queue mode. */
  get deliveryQueue(): WebhookQueue | undefined {
    return this.queue;
  }

  /** Connects to Redis where configured, so a missing Redis fails start-up, not the first delivery. */
  async onModuleInit(): Promise<void> {
    this.store = await this.openStore();
    if (this.queued) this.queue = await WebhookQueue.open(this.options.queue!);
  }

  /** Workers start once every handler has been discovered. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.queue && this.options.queue?.worker !== false) {
      await this.queue.startWorker(
        (data, jobId) => this.processJob(data, `job:${jobId}`),
        (error) => error instanceof WebhookPayloadError || error instanceof WebhookConfigurationError,
      );
    }
  }

  /** In-flight handlers finish, and the worker finishes its jobs, before the app exits. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.queue?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store?.close?.();
  }

  /** Takes a verified delivery on: handled now (inline) or queued. */
  async receive(delivery: VerifiedDelivery): Promise<WebhookReceipt> {
    const { deliveryId } = delivery.verified;
    if (isInternalSource(delivery.source.name)) return { received: true, deliveryId, handled: 0 };
    if (this.queued) {
      if ((await this.enqueue(delivery)) === 'queued') return { received: true, deliveryId, handled: 0, queued: true };
      this.events.emit({ ...outcomeFacts(delivery, 'request'), outcome: 'duplicate' });
      return { received: true, deliveryId, handled: 0, queued: true, duplicate: true };
    }
    const run = this.handleOnce(delivery, `request:${randomUUID()}`, 'request');
    this.inFlight.add(run);
    try {
      const report = await run;
      return report === 'duplicate'
        ? { received: true, deliveryId, handled: 0, duplicate: true }
        : { received: true, deliveryId, handled: report.handled };
    } finally {
      this.inFlight.delete(run);
    }
  }

  /** A queued delivery, as a worker runs it. */
  async processJob(data: DeliveryJobData, owner: string): Promise<number | 'duplicate'> {
    const source = this.sources.find(data.source);
    if (!source) {
      const error = new WebhookConfigurationError(`No webhook source "${data.source}" is configured any more.`);
      this.events.emit({
        outcome: 'failed',
        source: data.source,
        tenant: data.tenant ?? undefined,
        deliveryId: data.deliveryId,
        event: data.event ?? undefined,
        detail: error.message,
        via: 'queue',
      });
      throw error;
    }
    const delivery: VerifiedDelivery = {
      source,
      tenant: data.tenant ?? undefined,
      delivery: new IncomingWebhook(data.headers, Buffer.from(data.body, 'base64')),
      verified: {
        deliveryId: data.deliveryId,
        event: data.event ?? undefined,
        timestamp: data.timestamp === null ? undefined : new Date(data.timestamp),
      },
    };
    try {
      const report = await this.handleOnce(delivery, owner, 'queue');
      return report === 'duplicate' ? report : report.handled;
    } catch (error) {
      this.emitQueueFailure(delivery, error);
      throw error;
    }
  }

  /**
   * Claims, runs every handler, then marks the delivery done. On failure the claim is
   * released, remembering the handlers that did succeed, so the retry runs only the
   * others. The claim's lease is renewed while handlers run. Never both skipped and
   * unhandled, and no handler twice.
   */
  private async handleOnce(
    delivery: VerifiedDelivery,
    owner: string,
    via: 'request' | 'queue',
  ): Promise<DispatchReport | 'duplicate'> {
    const key = deliveryKey(
      delivery.source.name,
      delivery.verified.deliveryId,
      deduplicationTenant(delivery.source, delivery.tenant),
    );
    const claim = await this.storeCall(() => this.store.claim(key, owner, this.leaseSeconds));
    if (claim.state === 'done') {
      this.events.emit({ ...outcomeFacts(delivery, via), outcome: 'duplicate' });
      return 'duplicate';
    }
    if (claim.state === 'in_progress') {
      throw new WebhookDeliveryError('delivery_in_progress', 'This delivery is being handled right now; retry later.');
    }
    const renewal = this.renewWhileRunning(key, owner);
    let report: DispatchReport;
    try {
      report = await this.dispatcher.dispatch(delivery, claim.handledBy);
    } catch (error) {
      const handledBy = [...claim.handledBy, ...(error instanceof WebhookHandlerError ? error.succeeded : [])];
      await this.store
        .release(key, owner, { handledBy, ttlSeconds: this.ttlSeconds })
        .catch((releaseError: unknown) => this.logStoreFailure(releaseError));
      throw error;
    } finally {
      clearInterval(renewal);
    }
    // The handlers ran: a store that fails now must not make the sender send it again.
    await this.store.complete(key, this.ttlSeconds).catch((error: unknown) => this.logStoreFailure(error));
    this.events.emit({
      ...outcomeFacts(delivery, via),
      outcome: 'handled',
      durations: { verifyMs: delivery.verifyMs, ...report.durations },
      handlers: report.runs,
    });
    return report;
  }

  /** A worker's failure: `rejected` when retrying cannot help (a bad payload), `failed` otherwise. */
  private emitQueueFailure(delivery: VerifiedDelivery, error: unknown): void {
    if (!isWebhookRejection(error)) {
      this.events.emit({ ...outcomeFacts(delivery, 'queue'), outcome: 'failed', detail: String(error) });
      return;
    }
    const handlerError = error instanceof WebhookHandlerError ? error : undefined;
    this.events.emit({
      ...outcomeFacts(delivery, 'queue'),
      outcome: error instanceof WebhookPayloadError ? 'rejected' : 'failed',
      reason: error.reason,
      detail: error.message,
      durations: handlerError?.durations,
      handlers: handlerError?.runs,
    });
  }

  /** Extends the claim at a third of its lease, so a long handler is never run a second time beside itself. */
  private renewWhileRunning(key: string, owner: string): NodeJS.Timeout {
    const timer = setInterval(
      () => {
        this.store.claim(key, owner, this.leaseSeconds).then(
          (claim) => {
            if (claim.state !== 'claimed')
              this.logger.warn(`webhook delivery claim lost while its handlers ran key=${requestValue(key)}`);
          },
          (error: unknown) => this.logStoreFailure(error),
        );
      },
      (this.leaseSeconds * 1000) / 3,
    );
    timer.unref();
    return timer;
  }

  private async enqueue({
    source,
    tenant,
    delivery,
    verified,
  }: VerifiedDelivery): Promise<'queued' | 'already_queued'> {
    const data: DeliveryJobData = {
      source: source.name,
      tenant: tenant ?? null,
      deliveryId: verified.deliveryId,
      event: verified.event ?? null,
      timestamp: verified.timestamp?.getTime() ?? null,
      headers: storableHeaders(delivery.headers.raw, source.provider.sensitiveHeaders),
      body: delivery.rawBody.toString('base64'),
      receivedAt: Date.now(),
    };
    try {
      return await this.queue!.enqueue(
        jobIdFor(source.name, verified.deliveryId, deduplicationTenant(source, tenant)),
        data,
      );
    } catch (error) {
      throw new WebhookDeliveryError('delivery_queue_unavailable', 'The delivery queue did not accept the delivery.', {
        cause: error,
      });
    }
  }

  private async storeCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.logStoreFailure(error);
      throw new WebhookDeliveryError('delivery_store_unavailable', 'The delivery store did not answer.', {
        cause: error,
      });
    }
  }

  private logStoreFailure(error: unknown): void {
    this.logger.error(`webhook delivery store failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  private async openStore(): Promise<DeliveryStore> {
    const { connection, maxEntries } = this.options.deliveries ?? {};
    // Queue workers often run in other processes: by default they share the queue's Redis as their store.
    const store = this.options.deliveries?.store ?? (this.queued ? 'redis' : 'memory');
    if (store === 'redis' && !connection && this.queued)
      return RedisDeliveryStore.connect(this.options.queue!.connection);
    if (store === 'memory' && this.queued) {
      this.logger.warn(
        'deliveries.store "memory" with processing "queue": workers in other processes will not share it; use "redis".',
      );
    }
    if (store === 'memory') return new MemoryDeliveryStore({ maxEntries });
    if (store === 'redis') {
      if (!connection) throw new WebhookConfigurationError('deliveries.store "redis" needs deliveries.connection.');
      return RedisDeliveryStore.connect(connection);
    }
    return store;
  }
}

/**
 * The tenant that scopes de-duplication: only one a resolver gave its own secrets for.
 * With fixed secrets the tenant segment proves nothing, so it must not let a captured
 * delivery be handled again under another tenant's URL.
 */
function deduplicationTenant(source: WebhookSource, tenant: string | undefined): string | undefined {
  return source.fixedVerifier ? undefined : tenant;
}

/** The facts every outcome of a verified delivery shares. */
function outcomeFacts(
  { source, tenant, delivery, verified, verifyMs }: VerifiedDelivery,
  via: 'request' | 'queue',
): Omit<WebhookOutcomeFacts, 'outcome'> {
  return {
    source: source.name,
    tenant,
    deliveryId: verified.deliveryId,
    event: verified.event,
    via,
    durations: { verifyMs },
    headers: delivery.headers.raw,
    sensitiveHeaders: source.provider.sensitiveHeaders,
    rawBody: delivery.rawBody,
  };
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new WebhookConfigurationError(`${name} must be a positive number of seconds.`);
  return value;
}
