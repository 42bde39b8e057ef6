import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  WebhookConfigurationError,
  WebhookDeliveryError,
  WebhookHandlerError,
  WebhookPayloadError,
  WebhookRoutingError,
} from '../core/errors/index.js';
import {
  deliveryQueueUnavailable,
  jobSourceGone,
  jobTampered,
  memoryStoreWithQueue,
  optionInvalid,
  queueNeedsConnection,
  redisStoreNeedsConnection,
  ttlShorterThanWindow,
} from '../core/errors/webhook.messages.js';
import { IncomingWebhook } from '../core/incoming-webhook.js';
import type { WebhookResponse } from '../core/webhook-response.js';
import { DeliveryClaims } from '../deliveries/delivery-claims.js';
import { isSealed, jobIdFor, sealJob, storableHeaders, type DeliveryJobData } from '../deliveries/delivery-job.js';
import { deliveryKey, type DeliveryStore } from '../deliveries/delivery-store.js';
import { MemoryDeliveryStore } from '../deliveries/memory-delivery.store.js';
import { RedisDeliveryStore } from '../deliveries/redis-delivery.store.js';
import { WebhookQueue } from '../deliveries/webhook-queue.js';
import { nextAttemptId, type DeliveryAttempt, type VerifiedAttempt } from './delivery-attempt.js';
import { InFlightRuns } from './in-flight-runs.js';
import { WebhookDispatcher, type DispatchReport } from './webhook.dispatcher.js';
import { isSensitiveHeader, senderHeaderNamesOf } from '../core/header-masking.js';
import { WebhookHandlerRegistry } from './webhook-handler.registry.js';
import { WebhookOutcomeRecorder } from './webhook-outcome-recorder.service.js';
import { WebhookSources } from './webhook-sources.js';
import { WebhookTracing, type AttemptTrace } from './webhook-tracing.service.js';
import { isInternalSource, WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from './webhooks.constants.js';
import type { WebhooksModuleOptions } from './webhooks.options.js';

const DEFAULT_TTL_SECONDS = 24 * 3600;
const DEFAULT_LEASE_SECONDS = 120;
const MIN_JOB_KEY_LENGTH = 32;

/** The answer to an accepted delivery, when no sender-specific answer is due. */
export interface WebhookReceipt {
  readonly received: true;
  readonly deliveryId: string;
  /** How many handlers ran (0 when queued or a duplicate). */
  readonly handled: number;
  /** Set when the delivery was handled before: no handler ran again. */
  readonly duplicate?: true;
  /** Set in queue mode: the delivery is safely queued and the workers will handle it. */
  readonly queued?: true;
}

/** What a verified delivery is answered with: the module's receipt, or an answer the sender reads. */
export type WebhookAnswer = WebhookReceipt | WebhookResponse;

/**
 * Takes verified deliveries on: answers handshakes, claims each delivery in the store so it is
 * handled once, then either runs the handlers in the request (`inline`, and any delivery
 * whose handler answers the sender) or queues it for the workers (`queue`). Owns the store's
 * and the queue's connections and their shutdown.
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
  private readonly jobKeys: readonly Buffer[];
  private readonly inFlight = new InFlightRuns();
  private readonly claims: DeliveryClaims;

  constructor(
    @Inject(WEBHOOKS_MODULE_OPTIONS) private readonly options: WebhooksModuleOptions,
    private readonly sources: WebhookSources,
    private readonly dispatcher: WebhookDispatcher,
    private readonly registry: WebhookHandlerRegistry,
    private readonly recorder: WebhookOutcomeRecorder,
    private readonly tracing: WebhookTracing,
  ) {
    const deliveries = options.deliveries ?? {};
    this.leaseSeconds = positive(deliveries.leaseSeconds ?? DEFAULT_LEASE_SECONDS, 'deliveries.leaseSeconds');
    this.ttlSeconds = positive(deliveries.ttlSeconds ?? DEFAULT_TTL_SECONDS, 'deliveries.ttlSeconds');
    const longestWindow = Math.max(0, ...sources.all().map((source) => source.toleranceSeconds));
    if (this.ttlSeconds < longestWindow) {
      throw new WebhookConfigurationError(ttlShorterThanWindow(this.ttlSeconds, longestWindow));
    }
    if (options.processing === 'queue' && !options.queue?.connection) {
      throw new WebhookConfigurationError(queueNeedsConnection());
    }
    this.jobKeys = options.processing === 'queue' ? jobSigningKeys(options) : [];
    this.claims = new DeliveryClaims(() => this.store, {
      leaseSeconds: this.leaseSeconds,
      ttlSeconds: this.ttlSeconds,
      maxEntries: deliveries.maxEntries ?? 100_000,
      warn: (line) => this.logger.warn(line),
      error: (line) => this.logger.error(line),
    });
  }

  /** Whether handlers run on the queue's workers rather than in the request. */
  get queued(): boolean {
    return this.options.processing === 'queue';
  }

  /** The queue, in queue mode. */
  get deliveryQueue(): WebhookQueue | undefined {
    return this.queue;
  }

  /** The de-duplication store, once the module has started. */
  get deliveryStore(): DeliveryStore | undefined {
    return this.store;
  }

  /** Connects to Redis where configured, so a missing Redis fails start-up, not the first delivery. */
  async onModuleInit(): Promise<void> {
    this.store = await this.openStore();
    if (!this.queued) return;
    try {
      this.queue = await WebhookQueue.open(this.options.queue!);
    } catch (error) {
      // Nest runs no shutdown hook after a failed start: the store's connection must not outlive it.
      await this.store.close?.().catch(() => undefined);
      throw error;
    }
  }

  /** Workers start once every handler has been discovered. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.queue && this.options.queue?.worker !== false) {
      await this.queue.startWorker(
        (data, jobId) => this.processJob(data, jobId),
        (error) =>
          error instanceof WebhookPayloadError ||
          error instanceof WebhookConfigurationError ||
          error instanceof WebhookRoutingError ||
          (error instanceof WebhookDeliveryError && error.reason === 'job_tampered'),
      );
    }
  }

  /** In-flight handlers finish, and the worker finishes its jobs, before the app exits. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.inFlight.idle();
    await this.queue?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store?.close?.();
  }

  /** Takes a verified delivery on and says what to answer. Throws the library's rejections. */
  async receive(attempt: VerifiedAttempt): Promise<WebhookAnswer> {
    const { verified, source } = attempt;
    if (isInternalSource(source.name)) return receipt(attempt, 0);
    if (verified.handshake) {
      this.recorder.record(attempt, 'handshake');
      return verified.handshake;
    }
    // A handler that answers the sender must run now, in queue mode too.
    if (this.queued && !this.registry.hasResponder(source.name, verified.event)) {
      const queued = (await this.enqueue(attempt)) === 'queued';
      this.recorder.record(attempt, queued ? 'queued' : 'duplicate');
      return (
        verified.acknowledgement ?? { ...receipt(attempt, 0), queued: true, ...(queued ? {} : { duplicate: true }) }
      );
    }
    const generation = this.inFlight.begin();
    try {
      const report = await this.handleOnce(attempt, `request:${attempt.attemptId}`);
      if (report === 'duplicate') return verified.acknowledgement ?? { ...receipt(attempt, 0), duplicate: true };
      return report.response ?? verified.acknowledgement ?? receipt(attempt, report.handled);
    } finally {
      this.inFlight.end(generation);
    }
  }

  /**
   * A queued delivery, as a worker runs it: its seal checked first, so a job edited in Redis
   * never reaches a handler. Each run is an attempt of its own, recorded once.
   */
  async processJob(data: DeliveryJobData, jobId: string): Promise<number | 'duplicate'> {
    const job = data as Partial<DeliveryJobData>;
    const sealed = isSealed(data, this.jobKeys);
    const attemptId = nextAttemptId();
    const sourceName = typeof job.source === 'string' ? job.source : '';
    // Only a sealed job's trace context is followed: an edited job cannot join another trace.
    const trace = this.tracing.startJob(sourceName, attemptId, sealed ? data.trace : undefined);
    let attempt: DeliveryAttempt = { attemptId, via: 'queue', sourceName, headers: {}, trace };
    try {
      if (!sealed) throw new WebhookDeliveryError('job_tampered', jobTampered());
      const verifiedAttempt = this.attemptOfJob(data, attemptId, trace);
      attempt = verifiedAttempt;
      const report = await this.handleOnce(verifiedAttempt, `job:${jobId}`);
      return report === 'duplicate' ? report : report.handled;
    } catch (error) {
      this.recorder.crashed(attempt, error);
      throw error;
    }
  }

  /** A sealed job as the verified attempt it was accepted as. */
  private attemptOfJob(data: DeliveryJobData, attemptId: string, trace: AttemptTrace | undefined): VerifiedAttempt {
    const source = this.sources.find(data.source);
    if (!source) throw new WebhookRoutingError('unknown_source', jobSourceGone(data.source));
    const rawBody = Buffer.from(data.body, 'base64');
    return {
      attemptId,
      via: 'queue',
      sourceName: source.name,
      source,
      tenant: data.tenant ?? undefined,
      scope: data.scope ?? undefined,
      headers: data.headers,
      rawBody,
      delivery: new IncomingWebhook(data.headers, rawBody),
      verified: {
        deliveryId: data.deliveryId,
        event: data.event ?? undefined,
        timestamp: data.timestamp === null ? undefined : new Date(data.timestamp),
      },
      verifyMs: 0,
      trace,
    };
  }

  /**
   * A delivery to a route of the application's own (`@WebhookRoute`): answered like the
   * module's route (handshake, duplicate), or, once claimed, handled by `route`, the
   * application's method, whose result is the answer.
   */
  async receiveOnOwnRoute(
    attempt: VerifiedAttempt,
    handler: string,
    route: () => Promise<unknown>,
  ): Promise<{ readonly answer: WebhookAnswer } | { readonly result: unknown }> {
    const { verified } = attempt;
    if (verified.handshake) {
      this.recorder.record(attempt, 'handshake');
      return { answer: verified.handshake };
    }
    let result: unknown;
    const report = await this.handleOnce(attempt, `request:${attempt.attemptId}`, async () => {
      const started = performance.now();
      try {
        result = await (attempt.trace
          ? this.tracing.inSpan(attempt.trace, 'webhook.handler', handler, route)
          : route());
      } catch (error) {
        const run = { handler, succeeded: false, error: error instanceof Error ? error.message : String(error) };
        throw new WebhookHandlerError([{ handler, error }], verified.deliveryId, [], [run], {
          handlersMs: performance.now() - started,
        });
      }
      return {
        handled: 1,
        runs: [{ handler, succeeded: true }],
        durations: { handlersMs: performance.now() - started },
      };
    });
    if (report === 'duplicate')
      return { answer: verified.acknowledgement ?? { ...receipt(attempt, 0), duplicate: true } };
    return { result };
  }

  /**
   * Claims, runs every handler (or `run`), then marks the delivery done. On failure the claim
   * is released, remembering the handlers that did succeed, so the retry runs only the others.
   * The claim's lease is renewed while handlers run. Never both skipped and unhandled, and no
   * handler twice.
   */
  private async handleOnce(
    attempt: VerifiedAttempt,
    owner: string,
    run: (alreadyHandledBy: readonly string[]) => Promise<DispatchReport> = (handledBy) =>
      this.dispatcher.dispatch(attempt, handledBy),
  ): Promise<DispatchReport | 'duplicate'> {
    const key = deliveryKey(attempt.source.name, attempt.verified.deliveryId, attempt.scope);
    const claim = await (attempt.trace
      ? this.tracing.inSpan(attempt.trace, 'webhook.deduplicate', undefined, () => this.claims.claim(key, owner))
      : this.claims.claim(key, owner));
    if (claim === 'duplicate') {
      this.recorder.record(attempt, 'duplicate');
      return 'duplicate';
    }
    let report: DispatchReport;
    try {
      report = await run(claim.handledBy);
    } catch (error) {
      await this.claims.release(claim, error instanceof WebhookHandlerError ? error.succeeded : []);
      throw error;
    }
    await this.claims.complete(claim, replayableUntil(attempt));
    this.recorder.record(attempt, 'handled', { durations: report.durations, handlers: report.runs });
    return report;
  }

  private async enqueue(attempt: VerifiedAttempt): Promise<'queued' | 'already_queued'> {
    const { source, verified, scope } = attempt;
    const provider = source.provider;
    const data = sealJob(
      {
        source: source.name,
        tenant: attempt.tenant ?? null,
        scope: scope ?? null,
        deliveryId: verified.deliveryId,
        event: verified.event ?? null,
        timestamp: verified.timestamp?.getTime() ?? null,
        headers: storableHeaders(attempt.headers, provider.senderHeaders ?? [], (name) =>
          isSensitiveHeader(name, senderHeaderNamesOf(provider)),
        ),
        body: attempt.rawBody.toString('base64'),
        receivedAt: Date.now(),
        acceptedBy: attempt.attemptId,
        trace: this.tracing.traceparentOf(attempt.trace),
      },
      this.jobKeys,
    );
    try {
      return await this.queue!.enqueue(jobIdFor(source.name, scope, verified.deliveryId), data);
    } catch (error) {
      throw new WebhookDeliveryError('delivery_queue_unavailable', deliveryQueueUnavailable(), { cause: error });
    }
  }

  private async openStore(): Promise<DeliveryStore> {
    const { connection, maxEntries } = this.options.deliveries ?? {};
    // Queue workers often run in other processes: by default they share the queue's Redis as their store.
    const store = this.options.deliveries?.store ?? (this.queued ? 'redis' : 'memory');
    if (store === 'redis' && !connection && this.queued) {
      return RedisDeliveryStore.connect(this.options.queue!.connection);
    }
    if (store === 'memory' && this.queued) this.logger.warn(memoryStoreWithQueue());
    if (store === 'memory') return new MemoryDeliveryStore({ maxEntries });
    if (store === 'redis') {
      if (!connection) throw new WebhookConfigurationError(redisStoreNeedsConnection());
      return RedisDeliveryStore.connect(connection);
    }
    return store;
  }
}

function receipt(attempt: VerifiedAttempt, handled: number): WebhookReceipt {
  return { received: true, deliveryId: attempt.verified.deliveryId, handled };
}

/**
 * Until when a delivery could still be accepted: its timestamp plus the window, for senders
 * that send one (with the window on); otherwise as long as it is remembered.
 */
function replayableUntil(attempt: VerifiedAttempt): number | undefined {
  const { timestamp } = attempt.verified;
  const window = attempt.source.toleranceSeconds;
  return timestamp && window > 0 ? timestamp.getTime() + window * 1000 : undefined;
}

function jobSigningKeys(options: WebhooksModuleOptions): Buffer[] {
  const configured = options.queue?.jobSigningKey;
  const keys = typeof configured === 'string' ? [configured] : [...(configured ?? [])];
  if (keys.length === 0 || keys.some((key) => typeof key !== 'string' || key.length < MIN_JOB_KEY_LENGTH)) {
    throw new WebhookConfigurationError(
      optionInvalid('queue.jobSigningKey', `a secret of at least ${MIN_JOB_KEY_LENGTH} characters (or a list of them)`),
    );
  }
  return keys.map((key) => Buffer.from(key, 'utf8'));
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new WebhookConfigurationError(optionInvalid(name, 'a positive number of seconds'));
  }
  return value;
}
