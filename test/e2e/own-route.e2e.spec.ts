import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Body, Controller, Post, UnprocessableEntityException } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  WebhookDelivery,
  WebhookEvents,
  WebhookRoute,
  WebhookSigner,
  type WebhookContext,
  type WebhookOutcomeEvent,
} from '../../lib/index.js';
import { guuruChatBody } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, type TestApp } from './fixtures/test-app.js';

const seen: { body: unknown; delivery: WebhookContext | undefined }[] = [];
let refuseNext = false;

@Controller('partner')
class PartnerController {
  @Post('chats')
  @WebhookRoute('guuru')
  receive(@Body() body: unknown, @WebhookDelivery() delivery: WebhookContext | undefined): { ok: true } {
    seen.push({ body, delivery });
    if (refuseNext) {
      refuseNext = false;
      throw new UnprocessableEntityException('not today');
    }
    return { ok: true };
  }
}

describe.each(PLATFORMS)('@WebhookRoute on an application route on %s', (platform) => {
  let testApp: TestApp;
  let server: App;
  const events: WebhookOutcomeEvent[] = [];

  beforeAll(async () => {
    testApp = await startTestApp(undefined, { extraControllers: [PartnerController], platform });
    server = testApp.app.getHttpServer() as App;
    testApp.app.get(WebhookEvents).onOutcome((event) => events.push(event));
  });

  beforeEach(() => {
    seen.length = 0;
    events.length = 0;
  });

  afterAll(async () => {
    await testApp.app.close();
  });

  it('verifies a delivery and answers 200 with what the method returned, the WebhookContext injected', async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
    const response = await deliver(server, '/partner/chats', signed).expect(200);
    expect(response.body).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toEqual(JSON.parse(guuruChatBody));
    const delivery = seen[0]!.delivery!;
    expect(delivery).toMatchObject({ source: 'guuru', provider: 'guuru', attachments: undefined });
    expect(delivery.rawBody.toString('utf8')).toBe(guuruChatBody);
    expect(delivery.deliveryId).toMatch(/^[0-9a-f]{32}$/);
    expect(events.map((event) => [event.outcome, event.attemptId])).toEqual([
      ['verified', delivery.attemptId],
      ['handled', delivery.attemptId],
    ]);
  });

  it('de-duplicates: a repeat is answered 200 without running the method again', async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody.replace('João', 'Joana'));
    await deliver(server, '/partner/chats', signed).expect(200);
    const repeat = await deliver(server, '/partner/chats', signed).expect(200);
    expect(repeat.body).toMatchObject({ received: true, duplicate: true, handled: 0 });
    expect(seen).toHaveLength(1);
    expect(events.map((event) => event.outcome)).toEqual(['verified', 'handled', 'verified', 'duplicate']);
  });

  it("passes the method's own exception through untouched, and lets the sender's retry run it again", async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody.replace('João', 'Joaquim'));
    refuseNext = true;
    const refused = await deliver(server, '/partner/chats', signed).expect(422);
    expect(refused.body.message).toBe('not today');
    await deliver(server, '/partner/chats', signed).expect(200);
    expect(seen).toHaveLength(2);
    expect(events.map((event) => [event.outcome, event.reason])).toEqual([
      ['verified', undefined],
      ['failed', 'handler_failed'],
      ['verified', undefined],
      ['handled', undefined],
    ]);
  });

  it('answers 401 with the reason code to a tampered delivery and never reaches the route', async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
    const response = await request(server)
      .post('/partner/chats')
      .set(signed.headers)
      .send(guuruChatBody.replace('Portugal', 'Portugat'))
      .expect(401);
    expect(response.body.reason).toBe('invalid_signature');
    expect(seen).toHaveLength(0);
  });
});
