import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { WebhooksHealthIndicator } from '../lib/entries/terminus.js';

/**
 * `GET /health`, by @nestjs/terminus: the webhooks module's delivery store and, in queue mode,
 * its queue (down when Redis does not answer within a second, or past 100 dead letters).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly webhooks: WebhooksHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.webhooks.isHealthy('webhooks', { maxDeadLetters: 100 })]);
  }
}
