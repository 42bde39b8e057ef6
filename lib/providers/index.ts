import { registerWebhookProvider } from '../core/provider-registry.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { bitbucketProvider } from './bitbucket.provider.js';
import { githubProvider } from './github.provider.js';
import { gitlabProvider } from './gitlab.provider.js';
import { guuruProvider } from './guuru.provider.js';
import { intercomProvider } from './intercom.provider.js';
import { shopSurveyProvider } from './shopsurvey.provider.js';
import { standardWebhooksProvider } from './standard-webhooks.provider.js';
import { survicateProvider } from './survicate.provider.js';
import { usersnapProvider } from './usersnap.provider.js';
import { vercelProvider } from './vercel.provider.js';

/**
 * Every preset, by the name used in configuration. Loading this file registers them, so
 * a name in `sources`, `verifyWebhook` or the command line stands for the provider.
 */
export const BUILT_IN_PROVIDERS: Readonly<Record<BuiltInProviderName, WebhookProvider>> = {
  usersnap: usersnapProvider,
  guuru: guuruProvider,
  survicate: survicateProvider,
  shopsurvey: shopSurveyProvider,
  'standard-webhooks': standardWebhooksProvider,
  github: githubProvider,
  gitlab: gitlabProvider,
  bitbucket: bitbucketProvider,
  intercom: intercomProvider,
  vercel: vercelProvider,
};

/** The name of a preset. */
export type BuiltInProviderName =
  | 'usersnap'
  | 'guuru'
  | 'survicate'
  | 'shopsurvey'
  | 'standard-webhooks'
  | 'github'
  | 'gitlab'
  | 'bitbucket'
  | 'intercom'
  | 'vercel';

for (const provider of Object.values(BUILT_IN_PROVIDERS)) registerWebhookProvider(provider);

export {
  bitbucketProvider,
  githubProvider,
  gitlabProvider,
  guuruProvider,
  intercomProvider,
  shopSurveyProvider,
  standardWebhooksProvider,
  survicateProvider,
  usersnapProvider,
  vercelProvider,
};
export { hmacProvider, type HmacProviderOptions, type HmacProviderAlgorithm } from './hmac.provider.js';
