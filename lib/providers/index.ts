import type { WebhookProvider } from '../core/webhook-provider.js';
import { WebhookConfigurationError } from '../core/webhook-configuration.error.js';
import { guuruProvider } from './guuru.provider.js';
import { shopSurveyProvider } from './shopsurvey.provider.js';
import { standardWebhooksProvider } from './standard-webhooks.provider.js';
import { survicateProvider } from './survicate.provider.js';
import { usersnapProvider } from './usersnap.provider.js';

/** The name of a built-in sender. */
export type BuiltInProviderName = 'usersnap' | 'guuru' | 'survicate' | 'shopsurvey' | 'standard-webhooks';

/** The built-in senders, by the name used in configuration. */
export const BUILT_IN_PROVIDERS: Readonly<Record<BuiltInProviderName, WebhookProvider>> = {
  usersnap: usersnapProvider,
  guuru: guuruProvider,
  survicate: survicateProvider,
  shopsurvey: shopSurveyProvider,
  'standard-webhooks': standardWebhooksProvider,
};

/** A built-in sender's name, or a provider object such as `hmacProvider(...)` returns. */
export type WebhookProviderRef = BuiltInProviderName | WebhookProvider;

/** The built-in provider of that name, or `undefined`. */
export function builtInProvider(name: string): WebhookProvider | undefined {
  return Object.prototype.hasOwnProperty.call(BUILT_IN_PROVIDERS, name)
    ? BUILT_IN_PROVIDERS[name as BuiltInProviderName]
    : undefined;
}

/** The provider a reference names; throws for an unknown name. */
export function resolveProvider(ref: WebhookProviderRef): WebhookProvider {
  if (typeof ref !== 'string') return ref;
  const provider = builtInProvider(ref);
  if (!provider) {
    throw new WebhookConfigurationError(
      `Unknown webhook provider "${ref}". Built-in providers: ${Object.keys(BUILT_IN_PROVIDERS).join(', ')}; ` +
        'any other sender can be declared with hmacProvider(...).',
    );
  }
  return provider;
}
