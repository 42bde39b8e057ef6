// Every preset's fixture, for the suites that go through all of them (whole-app, hostile input, bench).
import type { SenderFixture } from './sender-fixture.js';
import { bitbucketSender } from './bitbucket.sender.js';
import { calendlySender } from './calendly.sender.js';
import { clerkSender } from './clerk.sender.js';
import { discordSender } from './discord.sender.js';
import { githubSender } from './github.sender.js';
import { gitlabSender } from './gitlab.sender.js';
import { hubspotSender } from './hubspot.sender.js';
import { intercomSender } from './intercom.sender.js';
import { lemonSqueezySender } from './lemonsqueezy.sender.js';
import { linearSender } from './linear.sender.js';
import { mailgunSender } from './mailgun.sender.js';
import { paddleSender } from './paddle.sender.js';
import { razorpaySender } from './razorpay.sender.js';
import { resendSender } from './resend.sender.js';
import { sendGridSender } from './sendgrid.sender.js';
import { shopifySender } from './shopify.sender.js';
import { slackSender } from './slack.sender.js';
import { squareSender } from './square.sender.js';
import { stripeSender } from './stripe.sender.js';
import { svixSender } from './svix.sender.js';
import { twilioSender } from './twilio.sender.js';
import { twitchSender } from './twitch.sender.js';
import { typeformSender } from './typeform.sender.js';
import { vercelSender } from './vercel.sender.js';
import { zoomSender } from './zoom.sender.js';

/** The 25 presets beyond the seed senders, in the order of the catalog. */
export const SENDER_FIXTURES: readonly SenderFixture[] = [
  githubSender,
  gitlabSender,
  bitbucketSender,
  stripeSender,
  shopifySender,
  slackSender,
  twilioSender,
  discordSender,
  sendGridSender,
  mailgunSender,
  paddleSender,
  lemonSqueezySender,
  squareSender,
  zoomSender,
  linearSender,
  intercomSender,
  hubspotSender,
  typeformSender,
  calendlySender,
  svixSender,
  clerkSender,
  resendSender,
  twitchSender,
  razorpaySender,
  vercelSender,
];
