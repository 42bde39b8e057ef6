import type { SignedWebhookRequest, WebhookSigner } from '../lib/index.js';

/** Realistic deliveries, one per sender, shaped like the senders' documented examples. */

/** Usersnap's documented feedback document (the `feedback` part of its multipart delivery). */
export const usersnapFeedback = {
  feedback_number: 1000,
  link: 'https://app.usersnap.com/l/feedback/45a5c97d-2a8f-46c0-90b6-d6089192b161',
  client: {
    url: 'https://app.usersnap.com/',
    user_agent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36',
    screen_width: 1200,
    screen_height: 1200,
    client: 'Chrome',
  },
  comment: { text: 'This example feedback will show if your integration setup is correct' },
  geo: { ip_address: '123.123.123.123' },
  fields: [
    { order: 0, label: 'Title', boolean_value: null, text_value: 'Sample feedback', value: 'Sample feedback' },
    {
      order: 1,
      label: 'Comment',
      boolean_value: null,
      text_value: 'This example feedback will show if your integration setup is correct',
      value: 'This example feedback will show if your integration setup is correct',
    },
  ],
  rating: { value: 1 },
  request: { text: 'Sample feedback' },
  state: { identifier: 'open' },
  visitor: { email: 'visitor@example.com' },
};

/** Guuru's published Example 2, byte for byte (compact JSON, with a non-ASCII name). */
export const guuruChatBody =
  '{"user":{"name":"João","email":"","locale":"en"},"question":"Is shipping free for Portugal?","status":"rated","language":"en","transcriptURL":"https://chat.guuru.com/guuru-qa/transcripts/-LZu-ZrIBzpNHGswVFuP","rating":1,"category":"general","createdAt":1551456423860,"acceptedAt":1551456435840,"closedAt":1551456470489,"ratedAt":1551456472882}';

/** A Survicate `questionAnswered` event. */
export const survicateQuestionAnswered = {
  messageId: 'msg-6f1c2a90-survicate',
  deliveryTries: 0,
  event: {
    questionAnswered: {
      survey: { id: 'a1b2c3', name: 'Checkout satisfaction' },
      url: 'https://shop.example.com/checkout/done',
      timestamp: '2026-11-23T10:15:00Z',
      respondent: { id: 'r-42', platform: 'web', userAgent: 'Mozilla/5.0', attributes: { plan: 'pro' } },
      question: { id: 77, body: 'How easy was it to pay?' },
      choice: { id: 3, body: 'Very easy', comment: 'Apple Pay just worked' },
    },
  },
};

/** A ShopSurvey `Response.Created` body (ShopSurvey does not sign its bodies). */
export const shopSurveyResponse = {
  id: 'resp_20261123_001',
  survey_id: 'srv_9001',
  created_at: '2026-11-23T10:16:00Z',
  answers: [{ question: 'How did you hear about us?', answer: 'A friend' }],
};

/** A Standard Webhooks event, as a billing system would send it. */
export const billingInvoicePaid = {
  type: 'invoice.paid',
  timestamp: '2026-11-23T10:17:00Z',
  data: { invoiceId: 'in_1042', amountCents: 12900, currency: 'EUR' },
};

/** A GitHub `push` event (trimmed). */
export const githubPush = {
  ref: 'refs/heads/main',
  repository: { full_name: 'acme/shop' },
  pusher: { name: 'octocat' },
};

/** A Stripe `payment_intent.succeeded` event (trimmed). */
export const stripePaymentSucceeded = {
  id: 'evt_3QdemoPaymentSucceeded01',
  object: 'event',
  api_version: '2024-06-20',
  created: 1764000000,
  type: 'payment_intent.succeeded',
  data: {
    object: { id: 'pi_3QdemoIntent01', object: 'payment_intent', amount: 4900, currency: 'eur', status: 'succeeded' },
  },
};

/** A Slack Events API `app_mention`, as Slack wraps it in an `event_callback`. */
export const slackAppMention = {
  token: 'unused-verification-token',
  team_id: 'T0DEMO',
  api_app_id: 'A0DEMO',
  type: 'event_callback',
  event_id: 'Ev0DEMO1',
  event_time: 1764000000,
  event: { type: 'app_mention', user: 'U0DEMO', text: '<@U0BOT> ship it', channel: 'C0DEMO', ts: '1764000000.000100' },
};

/** A one-pixel PNG, standing in for a Usersnap screenshot. */
export const screenshotPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** One realistic signed delivery per sender of the sample, as `npm run sample:send` sends them. */
export function signSampleDeliveries(signer: WebhookSigner): [source: string, delivery: SignedWebhookRequest][] {
  return [
    [
      'usersnap',
      signer.sign('usersnap', usersnapFeedback, {
        attachments: [
          { name: 'screenshot', filename: 'screenshot.png', contentType: 'image/png', data: screenshotPng },
        ],
      }),
    ],
    ['guuru', signer.sign('guuru', guuruChatBody)],
    ['survicate', signer.sign('survicate', survicateQuestionAnswered)],
    ['shopsurvey', signer.sign('shopsurvey', shopSurveyResponse, { event: 'Response.Created' })],
    ['billing', signer.sign('billing', billingInvoicePaid)],
    ['github', signer.sign('github', githubPush, { event: 'push' })],
    ['stripe', signer.sign('stripe', stripePaymentSucceeded)],
    ['slack', signer.sign('slack', slackAppMention)],
  ];
}
