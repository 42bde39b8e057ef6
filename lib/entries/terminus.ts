// `nestjs-signed-webhooks/terminus`: a health indicator for @nestjs/terminus, which the root entry never imports.

export { WebhooksHealthModule } from '../health/webhooks-health.module.js';
export { WebhooksHealthIndicator, type WebhooksHealthCheckOptions } from '../health/webhooks-health.indicator.js';
