import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WebhooksHealthIndicator } from './webhooks-health.indicator.js';

/**
 * Provides {@link WebhooksHealthIndicator} (`nestjs-signed-webhooks/terminus`). Import it beside
 * `TerminusModule` and `WebhooksModule`, then inject the indicator in the controller that serves
 * the health check. Needs `@nestjs/terminus` 11 or 12 installed.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [WebhooksModule.forRoot({ sources }), TerminusModule, WebhooksHealthModule],
 *   controllers: [HealthController],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [TerminusModule],
  providers: [WebhooksHealthIndicator],
  exports: [WebhooksHealthIndicator],
})
export class WebhooksHealthModule {}
