import { Injectable } from '@nestjs/common';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { deadLettersNeedQueue, healthBeforeStart } from '../core/errors/webhook.messages.js';
import type { DeadLetters, FailedDelivery } from '../deliveries/dead-letters.js';
import {
  DEFAULT_HEALTH_TIMEOUT_MS,
  queueHealth,
  storeHealth,
  type WebhookDeliveriesHealth,
} from '../deliveries/delivery-health.js';
import { WebhookProcessing } from './webhook-processing.service.js';
import { WebhookSources } from './webhook-sources.js';

/** The outcome of replaying a dead letter. */
export interface ReplayResult {
  /** The dead letter's id. */
  readonly id: string;
  /** `handled`: it left the failed list; `failed`: it failed again and stays there. */
  readonly status: 'handled' | 'failed';
  /** The new error, when it failed again. */
  readonly error?: string;
}

/** Options of {@link WebhookDeliveries.health}. */
export interface WebhookHealthOptions {
  /** How long to wait for the store's and the queue's Redis, in ms (default 1000). */
  readonly timeoutMs?: number;
}

/** Options of {@link WebhookDeliveries.replay}. */
export interface ReplayOptions {
  /** How long to wait for the workers' outcome, in ms (default 60 000). */
  readonly timeoutMs?: number;
}

/**
 * The dead letters of queue mode: deliveries whose handlers still failed after every
 * attempt. List them, look at one, and replay them once the handler is fixed: a replay
 * runs the same handlers with the same validated DTO, through the workers.
 *
 * @example
 * ```ts
 * for (const entry of await deliveries.listFailed({ source: 'shopsurvey' })) {
 *   console.log(entry.deliveryId, entry.error);
 * }
 * await deliveries.replayFailed({ source: 'shopsurvey' });
 * ```
 */
@Injectable()
export class WebhookDeliveries {
  constructor(
    private readonly processing: WebhookProcessing,
    private readonly sources: WebhookSources,
  ) {}

  /** The configured sources' names. */
  sourceNames(): string[] {
    return this.sources.names();
  }

  /** Whether deliveries go through the queue, so that dead letters exist (`processing: 'queue'`). */
  get queued(): boolean {
    return this.processing.queued;
  }

  /** Failed deliveries, newest first, optionally of one source. */
  async listFailed(filter: { source?: string } = {}): Promise<FailedDelivery[]> {
    return await this.deadLetters().list(filter.source);
  }

  /** One failed delivery by its entry id, or `undefined`. */
  async get(id: string): Promise<FailedDelivery | undefined> {
    return await this.deadLetters().get(id);
  }

  /** Runs a failed delivery's handlers again, with fresh attempts, and reports the outcome. */
  async replay(id: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    const error = await this.deadLetters().replay(id, options.timeoutMs ?? 60_000);
    return error === undefined ? { id, status: 'handled' } : { id, status: 'failed', error };
  }

  /**
   * Whether the delivery store and, in queue mode, the queue's Redis answer, with the queue's job
   * counts (waiting, active, delayed, failed). Waits at most `timeoutMs` (default 1000) for
   * either: a Redis that is down is reported as not reachable in that time, not thrown. Reports
   * no connection URL, host or password. Throws only when called before the application has
   * started (`app.init()`). `WebhooksHealthIndicator` (`nestjs-signed-webhooks/terminus`) is built on it.
   */
  async health(options: WebhookHealthOptions = {}): Promise<WebhookDeliveriesHealth> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    const store = this.processing.deliveryStore;
    if (!store) throw new WebhookConfigurationError(healthBeforeStart());
    const queue = this.processing.deliveryQueue;
    const [storeReport, queueReport] = await Promise.all([
      storeHealth(store, timeoutMs),
      queue ? queueHealth(queue, timeoutMs) : undefined,
    ]);
    return queueReport ? { store: storeReport, queue: queueReport } : { store: storeReport };
  }

  /** Replays every failed delivery (of one source), one after another. */
  async replayFailed(filter: { source?: string } = {}, options: ReplayOptions = {}): Promise<ReplayResult[]> {
    const results: ReplayResult[] = [];
    for (const entry of await this.listFailed(filter)) results.push(await this.replay(entry.id, options));
    return results;
  }

  private deadLetters(): DeadLetters {
    const queue = this.processing.deliveryQueue;
    if (!queue) {
      throw new WebhookConfigurationError(deadLettersNeedQueue());
    }
    return queue.deadLetters;
  }
}
