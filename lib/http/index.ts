import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import { ExpressWebhookAdapter } from './express.adapter.js';
import type { WebhookHttpAdapter } from './webhook-http.adapter.js';

const ADAPTERS: Readonly<Record<string, () => WebhookHttpAdapter>> = {
  express: () => new ExpressWebhookAdapter(),
};

/** The adapter for the platform Nest runs on (`HttpAdapter.getType()`). */
export function createWebhookHttpAdapter(platform: string): WebhookHttpAdapter {
  const create = Object.prototype.hasOwnProperty.call(ADAPTERS, platform) ? ADAPTERS[platform] : undefined;
  if (!create) {
    throw new WebhookConfigurationError(
      `nestjs-signed-webhooks has no adapter for the "${platform}" HTTP platform yet (supported: ${Object.keys(ADAPTERS).join(', ')}).`,
    );
  }
  return create();
}

export type { WebhookHttpAdapter, WebhookRequestInfo } from './webhook-http.adapter.js';
export { WebhookBodyError, type WebhookBodyReason } from './webhook-body.error.js';
