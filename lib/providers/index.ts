import { registerWebhookProvider } from '../core/provider-registry.js';
import type { WebhookProvider } from '../core/webhook-provider.js';
import { bitbucketProvider } from './bitbucket.provider.js';
import { calendlyProvider } from './calendly.provider.js';
import { clerkProvider } from './clerk.provider.js';
import { discordProvider } from './discord.provider.js';
import { githubProvider } from './github.provider.js';
import { gitlabProvider } from './gitlab.provider.js';
import { guuruProvider } from './guuru.provider.js';
import { hubspotProvider } from './hubspot.provider.js';
import { intercomProvider } from './intercom.provider.js';
import { lemonSqueezyProvider } from './lemonsqueezy.provider.js';
import { linearProvider } from './linear.provider.js';
import { mailgunProvider } from './mailgun.provider.js';
import { paddleProvider } from './paddle.provider.js';
import { razorpayProvider } from './razorpay.provider.js';
import { resendProvider } from './resend.provider.js';
import { sendGridProvider } from './sendgrid.provider.js';
import { shopifyProvider } from './shopify.provider.js';
import { shopSurveyProvider } from './shopsurvey.provider.js';
import { slackProvider } from './slack.provider.js';
import { squareProvider } from './square.provider.js';
import { standardWebhooksProvider } from './standard-webhooks.provider.js';
import { stripeProvider } from './stripe.provider.js';
import { survicateProvider } from './survicate.provider.js';
import { svixProvider } from './svix.provider.js';
import { twilioProvider } from './twilio.provider.js';
import { twitchProvider } from './twitch.provider.js';
import { typeformProvider } from './typeform.provider.js';
import { usersnapProvider } from './usersnap.provider.js';
import { vercelProvider } from './vercel.provider.js';
import { zoomProvider } from './zoom.provider.js';

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
  stripe: stripeProvider,
  paddle: paddleProvider,
  calendly: calendlyProvider,
  lemonsqueezy: lemonSqueezyProvider,
  razorpay: razorpayProvider,
  discord: discordProvider,
  sendgrid: sendGridProvider,
  svix: svixProvider,
  clerk: clerkProvider,
  resend: resendProvider,
  twilio: twilioProvider,
  square: squareProvider,
  hubspot: hubspotProvider,
  shopify: shopifyProvider,
  mailgun: mailgunProvider,
  slack: slackProvider,
  zoom: zoomProvider,
  twitch: twitchProvider,
  linear: linearProvider,
  typeform: typeformProvider,
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
  | 'vercel'
  | 'stripe'
  | 'paddle'
  | 'calendly'
  | 'lemonsqueezy'
  | 'razorpay'
  | 'discord'
  | 'sendgrid'
  | 'svix'
  | 'clerk'
  | 'resend'
  | 'twilio'
  | 'square'
  | 'hubspot'
  | 'shopify'
  | 'mailgun'
  | 'slack'
  | 'zoom'
  | 'twitch'
  | 'linear'
  | 'typeform';

for (const provider of Object.values(BUILT_IN_PROVIDERS)) registerWebhookProvider(provider);

export {
  bitbucketProvider,
  calendlyProvider,
  clerkProvider,
  discordProvider,
  githubProvider,
  gitlabProvider,
  guuruProvider,
  hubspotProvider,
  intercomProvider,
  lemonSqueezyProvider,
  linearProvider,
  mailgunProvider,
  paddleProvider,
  razorpayProvider,
  resendProvider,
  sendGridProvider,
  shopSurveyProvider,
  shopifyProvider,
  slackProvider,
  squareProvider,
  standardWebhooksProvider,
  stripeProvider,
  survicateProvider,
  svixProvider,
  twilioProvider,
  twitchProvider,
  typeformProvider,
  usersnapProvider,
  vercelProvider,
  zoomProvider,
};
export {
  standardWebhooksFamily,
  STANDARD_WEBHOOKS_HEADERS,
  SVIX_HEADERS,
  type StandardWebhooksFamilyOptions,
  type StandardWebhooksHeaders,
} from './standard-webhooks.provider.js';
export { hmacProvider, type HmacProviderOptions, type HmacProviderAlgorithm } from './hmac.provider.js';
