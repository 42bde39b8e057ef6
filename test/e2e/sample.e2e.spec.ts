import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { WebhookSigner } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { signSampleDeliveries } from '../../sample/payloads.js';
import type { ReceivedDelivery } from '../../sample/received.log.js';
import { deliver } from './fixtures/deliver.js';
import { initTestApplication, PLATFORMS } from './fixtures/test-app.js';

describe.each(PLATFORMS)('the sample app on %s', (platform) => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await initTestApplication(moduleRef, platform, { rawBody: true, logger: false });
  });

  afterAll(async () => {
    await app.close();
  });

  it('accepts one realistic delivery per sender, as npm run sample:send sends them', async () => {
    const signer = app.get(WebhookSigner);
    const server = app.getHttpServer() as App;
    for (const [source, signed] of signSampleDeliveries(signer)) {
      await deliver(server, `/webhooks/${source}`, signed).expect(200);
    }
    const received = (await request(server).get('/received').expect(200)).body as ReceivedDelivery[];
    expect(received.map((entry) => `${entry.source}:${entry.handler}:${entry.payloadType}`)).toEqual([
      'usersnap:onFeedback:UsersnapFeedbackDto',
      'guuru:onChat:GuuruChatDto',
      'survicate:onAnswer:SurvicateEventDto',
      'shopsurvey:onResponse:ShopSurveyEventDto',
      'billing:onInvoice:StandardWebhookEventDto',
      'github:onPush:Object',
    ]);
    expect(received[0]!.attachments).toEqual(['screenshot.png (image/png, 70 bytes)']);
  });
});
