import { WebhookConfigurationError } from './errors/index.js';
import { providerNameTaken, unknownProvider } from './errors/webhook.messages.js';
import type { WebhookProvider } from './webhook-provider.js';

/**
 * A sender, by the name it is registered under (`'stripe'`, `'github'`, any registered
 * with {@link registerWebhookProvider}), or as a provider object. A plain `string`, so a
 * `sources` object declared as a constant type-checks; unknown names fail at start-up.
 */
export type WebhookProviderRef = WebhookProvider | string;

/**
 * Providers by name. The core knows no sender: the presets register themselves here when
 * the package's entry points load them, and applications may register their own, so that
 * a name in configuration, `verifyWebhook` or the command line can stand for the object.
 */
const registered = new Map<string, WebhookProvider>();

/**
 * Makes a provider available by its `name`. Registering the same object again does nothing;
 * another provider under a taken name is a configuration error.
 */
export function registerWebhookProvider(provider: WebhookProvider): void {
  const existing = registered.get(provider.name);
  if (existing && existing !== provider) throw new WebhookConfigurationError(providerNameTaken(provider.name));
  registered.set(provider.name, provider);
}

/** The provider registered under `name`, or `undefined`. */
export function findWebhookProvider(name: string): WebhookProvider | undefined {
  return registered.get(name);
}

/** Every registered provider's name, in the order they were registered. */
export function registeredProviderNames(): string[] {
  return [...registered.keys()];
}

/** The provider a reference stands for; a configuration error naming the known ones for an unknown name. */
export function resolveProvider(ref: WebhookProviderRef): WebhookProvider {
  if (typeof ref !== 'string') return ref;
  const provider = registered.get(ref);
  if (!provider) throw new WebhookConfigurationError(unknownProvider(ref, registeredProviderNames()));
  return provider;
}
