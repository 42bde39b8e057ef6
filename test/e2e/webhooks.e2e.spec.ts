import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  GuuruChatDto,
  ShopSurveyEventDto,
  StandardWebhookEventDto,
  SurvicateEventDto,
  UsersnapFeedbackDto,
  WebhookSigner,
  type SignedWebhookRequest,
} from '../../lib/index.js';
import {
  billingInvoicePaid,
  githubPush,
  guuruChatBody,
  screenshotPng,
  shopSurveyResponse,
  survicateQuestionAnswered,
  usersnapFeedback,
} from '../../sample/payloads.js';
import { ALL_SECRET_STRINGS, SECRETS } from './fixtures/secrets.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, type TestApp } from './fixtures/test-app.js';

describe.each(PLATFORMS)('WebhooksModule end to end (%s, real HTTP)', (platform) => {
  let testApp: TestApp;
  let signer: WebhookSigner;
  let server: App;

  beforeAll(async () => {
    testApp = await startTestApp(undefined, {
      platform,
      // Fastify answers 415 to a content type it has no parser for; the README's one line lets it through.
      configure: (app) => {
        if (platform === 'fastify') (app as NestFastifyApplication).useBodyParser('application/cloudevents+json');
      },
    });
    signer = testApp.app.get(WebhookSigner);
    server = testApp.app.getHttpServer() as App;
  });

  afterAll(async () => {
    await testApp.app.close();
  });

  beforeEach(() => testApp.calls.clear());

  function send(source: string, signed: SignedWebhookRequest, method: 'post' | 'get' = 'post') {
    return deliver(server, `/webhooks/${source}`, signed, method);
  }

  /**
   * A copy of a signed delivery with one letter of its body changed in case, so JSON
   * stays JSON: the signature, not a parser, must be what refuses it.
   */
  function tamperBody(signed: SignedWebhookRequest): SignedWebhookRequest {
    const body = Buffer.from(signed.body);
    let at = Math.floor(body.length / 2);
    while (!/[a-z]/i.test(String.fromCharCode(body[at]!))) at += 1;
    body[at] = body[at]! ^ 0x20;
    return { headers: signed.headers, body };
  }

  const deliveries: readonly {
    source: string;
    handler: string;
    dto: new () => object;
    sign: () => SignedWebhookRequest;
  }[] = [
    {
      source: 'usersnap',
      handler: 'usersnap',
      dto: UsersnapFeedbackDto,
      sign: () => signer.sign('usersnap', usersnapFeedback),
    },
    { source: 'guuru', handler: 'guuru', dto: GuuruChatDto, sign: () => signer.sign('guuru', guuruChatBody) },
    {
      source: 'survicate',
      handler: 'survicate.questionAnswered',
      dto: SurvicateEventDto,
      sign: () => signer.sign('survicate', survicateQuestionAnswered),
    },
    {
      source: 'billing',
      handler: 'billing.invoice.paid',
      dto: StandardWebhookEventDto,
      sign: () => signer.sign('billing', billingInvoicePaid),
    },
    {
      source: 'github',
      handler: 'github.push',
      dto: Object,
      sign: () => signer.sign('github', githubPush, { event: 'push' }),
    },
  ];

  describe.each(deliveries)('$source', ({ source, handler, dto, sign }) => {
    it('delivers a signed delivery to its handler with a validated DTO and answers 200', async () => {
      const signed = sign();
      const response = await send(source, signed).expect(200);
      expect(response.body).toMatchObject({ received: true, handled: expect.any(Number) });
      const [call, ...more] = testApp.calls.of(handler);
      expect(more).toHaveLength(0);
      expect(call!.payload).toBeInstanceOf(dto);
      expect(call!.context.source).toBe(source);
      expect(call!.context.rawBody.equals(Buffer.from(signed.body))).toBe(true);
      expect(call!.context.deliveryId).toBe(response.body.deliveryId);
    });

    it('answers 401 to a tampered delivery and runs no handler', async () => {
      const response = await send(source, tamperBody(sign())).expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, reason: 'invalid_signature' });
      expect(testApp.calls.calls).toHaveLength(0);
    });
  });

  describe('shopsurvey', () => {
    it('delivers a signed POST to the handler of its topic', async () => {
      const signed = signer.sign('shopsurvey', shopSurveyResponse, { event: 'Response.Created', id: 'm-1' });
      await send('shopsurvey', signed).expect(200);
      const [call] = testApp.calls.of('shopsurvey.Response.Created');
      expect(call!.payload).toBeInstanceOf(ShopSurveyEventDto);
      expect(call!.context).toMatchObject({ event: 'Response.Created', deliveryId: 'm-1', provider: 'shopsurvey' });
      expect(testApp.calls.of('shopsurvey.Survey.*')).toHaveLength(0);
    });

    it('answers 401 when a signed header is changed', async () => {
      const signed = signer.sign('shopsurvey', shopSurveyResponse, { event: 'Response.Created' });
      const headers = { ...signed.headers, 'x-shopsurvey-webhook-topic': 'Survey.Created' };
      const response = await send('shopsurvey', { headers, body: signed.body }).expect(401);
      expect(response.body.reason).toBe('invalid_signature');
      expect(testApp.calls.calls).toHaveLength(0);
    });

    it('routes each topic to its handlers (an event list included)', async () => {
      await send('shopsurvey', signer.sign('shopsurvey', { id: 's1' }, { event: 'Survey.Updated' })).expect(200);
      expect(testApp.calls.calls.map((call) => call.handler)).toEqual(['shopsurvey.Survey.*']);
    });

    it('accepts a GET delivery, which has no body', async () => {
      const signed = signer.sign('shopsurvey', undefined, { event: 'Survey.Created' });
      expect(signed.body).toHaveLength(0);
      await send('shopsurvey', signed, 'get').expect(200);
      expect(testApp.calls.of('shopsurvey.Survey.*')).toHaveLength(1);
    });

    it('refuses a downgraded algorithm even with an honest HMAC', async () => {
      const signed = signer.sign('shopsurvey', shopSurveyResponse);
      const headers = { ...signed.headers, 'x-shopsurvey-webhook-hmac-algorithm': 'MD5' };
      const response = await send('shopsurvey', { headers, body: signed.body }).expect(401);
      expect(response.body.reason).toBe('unsupported_algorithm');
    });
  });

  describe('usersnap multipart', () => {
    it('verifies the whole multipart body and hands over the feedback DTO and the attachment bytes', async () => {
      const signed = signer.sign('usersnap', usersnapFeedback, {
        attachments: [
          { name: 'screenshot', filename: 'screenshot.png', contentType: 'image/png', data: screenshotPng },
        ],
      });
      expect(signed.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      await send('usersnap', signed).expect(200);
      const [call] = testApp.calls.of('usersnap');
      const feedback = call!.payload as UsersnapFeedbackDto;
      expect(feedback).toBeInstanceOf(UsersnapFeedbackDto);
      expect(feedback.feedback_number).toBe(1000);
      expect(call!.context.attachments).toHaveLength(1);
      const [attachment] = call!.context.attachments!;
      expect(attachment).toMatchObject({ name: 'screenshot', filename: 'screenshot.png', contentType: 'image/png' });
      expect(attachment!.data.equals(screenshotPng)).toBe(true);
      expect(call!.context.timestamp).toBeInstanceOf(Date);
    });

    it('answers 401 when a byte of an attachment is changed', async () => {
      const signed = signer.sign('usersnap', usersnapFeedback, {
        attachments: [{ name: 'screenshot', filename: 's.png', contentType: 'image/png', data: screenshotPng }],
      });
      const body = Buffer.from(signed.body);
      const at = body.indexOf(screenshotPng) + 10;
      body[at] = body[at]! ^ 0xff;
      await send('usersnap', { headers: signed.headers, body }).expect(401);
      expect(testApp.calls.calls).toHaveLength(0);
    });

    it('answers 400 to a verified multipart body without a feedback part', async () => {
      const signed = signer.sign('usersnap', usersnapFeedback);
      const multipart = (signed.body as Buffer).toString('latin1');
      const body = Buffer.from(multipart.replace('name="feedback"', 'name="comment"'), 'latin1');
      // Signed again, so the delivery is authentic but has no feedback part.
      const response = await send('usersnap', signUsersnapBytes(body, signed.headers['content-type']!)).expect(400);
      expect(response.body.reason).toBe('unparseable_payload');
      expect(testApp.calls.calls).toHaveLength(0);
    });
  });

  describe('event routing', () => {
    it('routes Survicate by the event name and runs no handler of another event', async () => {
      const completed = { messageId: 'm-2', deliveryTries: 0, event: { surveyCompleted: { survey: { id: 'a' } } } };
      await send('survicate', signer.sign('survicate', completed)).expect(200);
      expect(testApp.calls.calls.map((call) => call.handler)).toEqual(['survicate.surveyCompleted']);
      expect(testApp.calls.calls[0]!.context.deliveryId).toBe('m-2');
    });

    it('runs every handler of a Standard Webhooks type, and only the catch-all for another type', async () => {
      await send('billing', signer.sign('billing', billingInvoicePaid)).expect(200);
      expect(testApp.calls.calls.map((call) => call.handler).sort()).toEqual(['billing.*', 'billing.invoice.paid']);
      testApp.calls.clear();
      const refunded = { ...billingInvoicePaid, type: 'invoice.refunded' };
      await send('billing', signer.sign('billing', refunded)).expect(200);
      expect(testApp.calls.calls.map((call) => call.handler)).toEqual(['billing.*']);
    });

    it('answers 200 to a verified delivery that no handler wants', async () => {
      const response = await send('github', signer.sign('github', githubPush, { event: 'issues' })).expect(200);
      expect(response.body).toMatchObject({ received: true, handled: 0 });
      expect(testApp.calls.calls).toHaveLength(0);
    });
  });

  describe('statuses', () => {
    it('404 for an unknown source', async () => {
      const signed = signer.sign('guuru', guuruChatBody);
      const response = await send('nobody', signed).expect(404);
      expect(response.body.reason).toBe('unknown_source');
    });

    it('405 for a GET to a sender that only POSTs', async () => {
      const response = await send('guuru', signer.sign('guuru', guuruChatBody), 'get').expect(405);
      expect(response.body.reason).toBe('method_not_allowed');
    });

    it('401 with the reason code for a missing signature, never echoing a secret or signature', async () => {
      const signed = signer.sign('guuru', guuruChatBody);
      const response = await request(server)
        .post('/webhooks/guuru')
        .set('content-type', 'application/json')
        .send(signed.body)
        .expect(401);
      expect(response.body).toEqual({ statusCode: 401, reason: 'missing_signature', message: expect.any(String) });
      expect(response.text).not.toContain(signed.headers['x-guuru-hmac-sha256']);
    });

    it('401 for a Survicate delivery with a wrong token', async () => {
      const signed = signer.sign('survicate', survicateQuestionAnswered, { token: 'not-the-token' });
      const response = await send('survicate', signed).expect(401);
      expect(response.body.reason).toBe('invalid_token');
    });

    it('401 for a Standard Webhooks delivery outside the replay window', async () => {
      const old = signer.sign('billing', billingInvoicePaid, { timestamp: new Date(Date.now() - 10 * 60 * 1000) });
      const response = await send('billing', old).expect(401);
      expect(response.body.reason).toBe('timestamp_out_of_window');
    });

    it('honours a per-source replay window (Usersnap: 600 s)', async () => {
      const eightMinutesAgo = new Date(Date.now() - 8 * 60 * 1000);
      await send('usersnap', signer.sign('usersnap', usersnapFeedback, { timestamp: eightMinutesAgo })).expect(200);
      const elevenMinutesAgo = new Date(Date.now() - 11 * 60 * 1000);
      const response = await send(
        'usersnap',
        signer.sign('usersnap', usersnapFeedback, { timestamp: elevenMinutesAgo }),
      ).expect(401);
      expect(response.body.reason).toBe('timestamp_out_of_window');
    });

    it('accepts the previous secret while rotating', async () => {
      await send('guuru', signer.sign('guuru', guuruChatBody, { secret: 'guuru-old-secret' })).expect(200);
      expect(testApp.calls.of('guuru')).toHaveLength(1);
    });

    it('400 with the validation messages for a verified payload its DTO refuses', async () => {
      const chat = { ...JSON.parse(guuruChatBody), rating: 'five stars' };
      const response = await send('guuru', signer.sign('guuru', chat)).expect(400);
      expect(response.body.reason).toBe('invalid_payload');
      expect(response.body.message).toEqual(expect.arrayContaining([expect.stringContaining('rating')]));
      expect(testApp.calls.calls).toHaveLength(0);
    });

    it('400 for a verified body that is not JSON', async () => {
      const signed = signer.sign('billing', '{"type": "invoice.paid", broken');
      const headers = { ...signed.headers, 'content-type': 'application/cloudevents+json' };
      const response = await send('billing', { headers, body: signed.body }).expect(400);
      expect(response.body.reason).toBe('unparseable_payload');
    });

    it('500 when a handler throws, logged with the delivery id; the retry then succeeds', async () => {
      testApp.handlers.failNext = true;
      const signed = signer.sign('flaky', { question: 'retry me' });
      const failed = await send('flaky', signed).expect(500);
      expect(failed.body.reason).toBe('handler_failed');
      expect(failed.text).not.toContain('on purpose');
      const logged = testApp.logs.find('error', 'webhook handler failed source=flaky');
      expect(logged.some((line) => line.includes(`deliveryId=${failed.body.deliveryId ?? ''}`))).toBe(true);
      await send('flaky', signed).expect(200);
      expect(testApp.calls.of('flaky')).toHaveLength(1);
    });

    it('writes one structured warn line per rejection', async () => {
      const before = testApp.logs.find('warn', 'webhook rejected').length;
      await send('guuru', tamperBody(signer.sign('guuru', guuruChatBody))).expect(401);
      const lines = testApp.logs.find('warn', 'webhook rejected');
      expect(lines).toHaveLength(before + 1);
      expect(lines.at(-1)).toMatch(/source=guuru reason=invalid_signature status=401/);
    });

    it('keeps forged log lines out: a source name with a newline is quoted', async () => {
      await request(server).post('/webhooks/evil%0Afake%20line').send('x').expect(404);
      const line = testApp.logs.find('warn', 'reason=unknown_source').at(-1)!;
      expect(line).not.toContain('\n');
      expect(line).toContain('source="evil\\nfake line"');
      await request(server).post('/webhooks/evil%E2%80%A8line').send('x').expect(404);
      const separatorLine = testApp.logs.find('warn', 'reason=unknown_source').at(-1)!;
      expect(separatorLine).not.toContain('\u2028');
      expect(separatorLine).toContain('source="evil\\u2028line"');
    });
  });

  afterAll(() => {
    // No secret ever reaches a log line.
    const text = testApp.logs.lines.map((line) => line.message).join('\n');
    for (const secret of ALL_SECRET_STRINGS) expect(text).not.toContain(secret);
  });
});

/** Signs arbitrary bytes as Usersnap does (HMAC of body, then the timestamp as 32 little-endian bytes). */
function signUsersnapBytes(body: Buffer, contentType: string): SignedWebhookRequest {
  const timestamp = String(Date.now());
  const timestampBytes = Buffer.alloc(32);
  timestampBytes.writeBigUInt64LE(BigInt(timestamp));
  const signature = createHmac('sha256', SECRETS.usersnap).update(body).update(timestampBytes).digest('hex');
  return {
    headers: { 'content-type': contentType, 'x-usersnap-signature': signature, 'x-usersnap-timestamp': timestamp },
    body,
  };
}
