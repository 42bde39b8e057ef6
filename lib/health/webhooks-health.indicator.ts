import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { WebhookConfigurationError } from '../core/errors/index.js';
import {
  healthNeedsWebhooksModule,
  healthQueueDown,
  healthStoreDown,
  healthTooManyDeadLetters,
} from '../core/errors/webhook.messages.js';
import { WebhookDeliveries } from '../module/webhook-deliveries.service.js';

/** Options of {@link WebhooksHealthIndicator.isHealthy}. */
export interface WebhooksHealthCheckOptions {
  /**
   * Down when the queue holds more dead letters (jobs that failed every attempt) than this.
   * Default: no limit, dead letters alone never make it down. Queue mode only.
   */
  readonly maxDeadLetters?: number;
  /** How long to wait for the store's and the queue's Redis, in ms (default 1000). */
  readonly timeoutMs?: number;
}

/**
 * A `@nestjs/terminus` health indicator for the webhooks module (`nestjs-signed-webhooks/terminus`):
 * the delivery store (memory, Redis or custom; a PING on the Redis store's connection) and, in
 * queue mode, the queue's Redis with its waiting, active, delayed and failed job counts. Down when
 * the store or the queue's Redis does not answer within the timeout, or when the dead letters
 * exceed `maxDeadLetters`. Built on the public `WebhookDeliveries.health()`; reports no
 * connection URL, host or password.
 *
 * @example
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly webhooks: WebhooksHealthIndicator,
 *   ) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.webhooks.isHealthy('webhooks', { maxDeadLetters: 100 })]);
 *   }
 * }
 * ```
 */
@Injectable()
export class WebhooksHealthIndicator {
  private readonly deliveries: WebhookDeliveries;

  constructor(
    private readonly indicators: HealthIndicatorService,
    @Optional() deliveries?: WebhookDeliveries,
  ) {
    if (!deliveries) throw new WebhookConfigurationError(healthNeedsWebhooksModule());
    this.deliveries = deliveries;
  }

  /**
   * Checks the delivery store and the queue, and reports them under `key`: `store` (`kind`,
   * `reachable`, and `error` when it did not answer) and, in queue mode, `queue` (`reachable`,
   * `waiting`, `active`, `delayed`, `failed`). When down, `message` says why.
   */
  async isHealthy<const Key extends string = 'webhooks'>(
    key: Key = 'webhooks' as Key,
    options: WebhooksHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const { store, queue } = await this.deliveries.health({ timeoutMs: options.timeoutMs });
    const { maxDeadLetters } = options;
    const problems: string[] = [];
    if (store.reachable === false) problems.push(healthStoreDown(store.error ?? ''));
    if (queue?.reachable === false) problems.push(healthQueueDown(queue.error));
    if (queue?.reachable && maxDeadLetters !== undefined && queue.failed > maxDeadLetters) {
      problems.push(healthTooManyDeadLetters(queue.failed, maxDeadLetters));
    }
    const details = {
      store: { ...store },
      ...(queue ? { queue: { ...queue } } : {}),
      ...(queue && maxDeadLetters !== undefined ? { maxDeadLetters } : {}),
    };
    return problems.length > 0 ? indicator.down({ message: problems.join('; '), ...details }) : indicator.up(details);
  }
}
