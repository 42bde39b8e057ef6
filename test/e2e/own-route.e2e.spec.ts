import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  WebhookDelivery,
  WebhookSignatureGuard,
  WebhookSigner,
  WebhookSource,
  type VerifiedWebhookRequest,
} from '../../lib/index.js';
import { guuruChatBody } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, type TestApp } from './fixtures/test-app.js';

const seen: { body: unknown; delivery: VerifiedWebhookRequest | undefined }[] = [];

@Controller('partner')
class PartnerController {
  @Post('chats')
  @HttpCode(200)
  @WebhookSource('guuru')
  @UseGuards(WebhookSignatureGuard)
  receive(@Body() body: unknown, @WebhookDelivery() delivery: VerifiedWebhookRequest | undefined): { ok: true } {
    seen.push({ body, delivery });
    return { ok: true };
  }
}

describe.each(PLATFORMS)('WebhookSignatureGuard on an application route on %s', (platform) => {
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    seen.length = 0;
    testApp = await startTestApp(undefined, { extraControllers: [PartnerController], platform });
    server = testApp.app.getHttpServer() as App;
  });

  afterAll(async () => {
    await testApp.app.close();
  });

  it('lets a signed JSON delivery through, with the verified delivery injected', async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
    await deliver(server, '/partner/chats', signed).expect(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toEqual(JSON.parse(guuruChatBody));
    expect(seen[0]!.delivery).toMatchObject({ source: 'guuru', provider: 'guuru' });
    expect(seen[0]!.delivery!.rawBody.toString('utf8')).toBe(guuruChatBody);
  });

  it('answers 401 with the reason code to a tampered delivery and never reaches the route', async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
    const response = await request(server)
      .post('/partner/chats')
      .set(signed.headers)
      .send(guuruChatBody.replace('Portugal', 'Portugat'))
      .expect(401);
    expect(response.body.reason).toBe('invalid_signature');
    expect(seen).toHaveLength(1);
  });
});
