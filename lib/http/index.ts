import { WebhookConfigurationError } from '../core/errors/index.js';
import { unsupportedPlatform } from '../core/errors/webhook.messages.js';
import { ExpressWebhookAdapter } from './express.adapter.js';
import { FastifyWebhookAdapter } from './fastify.adapter.js';
import type { WebhookHttpAdapter } from './webhook-http.adapter.js';

const ADAPTERS: Readonly<Record<string, () => WebhookHttpAdapter>> = {
  express: () => new ExpressWebhookAdapter(),
  fastify: () => new FastifyWebhookAdapter(),
};

/** Whether the module has an adapter for the platform (`HttpAdapter.getType()`). */
export function isSupportedPlatform(platform: string): boolean {
  return Object.prototype.hasOwnProperty.call(ADAPTERS, platform);
}

/** The adapter for the platform Nest runs on (`HttpAdapter.getType()`). */
export function createWebhookHttpAdapter(platform: string): WebhookHttpAdapter {
  const create = isSupportedPlatform(platform) ? ADAPTERS[platform] : undefined;
  if (!create) {
    throw new WebhookConfigurationError(unsupportedPlatform(platform, Object.keys(ADAPTERS)));
  }
  return create();
}

export type { WebhookHttpAdapter, WebhookRoutes } from './webhook-http.adapter.js';
