import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { WebhookSigner } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { signSampleDeliveries } from '../../sample/payloads.js';
import type { ReceivedDelivery } from '../../sample/received.log.js';
import { sampleConfig } from '../../sample/sample.config.js';
import { capturedLogs } from '../support/log-capture.js';
import { deliver } from './fixtures/deliver.js';
import { CapturingLogger, initTestApplication, PLATFORMS } from './fixtures/test-app.js';

describe.each(PLATFORMS)('the sample app on %s', (platform) => {
  let app: INestApplication;
  // The sample logs as it would in production (every level), into the record the suite's
  // no-secret check reads (test/setup-after-env.ts), and this file's own check below.
  const logs = new CapturingLogger();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await initTestApplication(moduleRef, platform, { rawBody: true, logger: logs });
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
      'stripe:onPayment:Object',
      'slack:onMention:Object',
    ]);
    expect(received[0]!.attachments).toEqual(['screenshot.png (image/png, 70 bytes)']);
    // Its handlers' log lines reach the record, one per delivery.
    for (const entry of received) {
      expect(logs.find('log', `${entry.source} `).some((line) => line.includes(entry.deliveryId))).toBe(true);
    }
  });

  it('counts those deliveries in GET /metrics, by source and outcome, with a handling-time histogram', async () => {
    const server = app.getHttpServer() as App;
    const [, guuru] = signSampleDeliveries(app.get(WebhookSigner))[1]!;
    await deliver(server, '/webhooks/guuru', guuru).expect(200); // a retry of the Guuru chat: a duplicate
    await deliver(server, '/webhooks/guuru', {
      ...guuru,
      body: guuru.body.toString().replace('Portugal', 'Spain'),
    }).expect(401);
    await deliver(server, '/webhooks/made-up-1', guuru).expect(404);
    await deliver(server, '/webhooks/made-up-2', guuru).expect(404);
    const response = await request(server).get('/metrics').expect(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const counts = Object.fromEntries(
      (response.text.match(/^webhook_deliveries_total\{.*$/gm) ?? []).map((line) => {
        const [series, value] = line.split(' ');
        return [series, Number(value)];
      }),
    );
    for (const source of ['usersnap', 'survicate', 'shopsurvey', 'billing', 'github', 'stripe', 'slack']) {
      expect(counts[`webhook_deliveries_total{source="${source}",outcome="verified",reason=""}`]).toBe(1);
      expect(counts[`webhook_deliveries_total{source="${source}",outcome="handled",reason=""}`]).toBe(1);
    }
    expect(counts['webhook_deliveries_total{source="guuru",outcome="verified",reason=""}']).toBe(2);
    expect(counts['webhook_deliveries_total{source="guuru",outcome="handled",reason=""}']).toBe(1);
    expect(counts['webhook_deliveries_total{source="guuru",outcome="duplicate",reason=""}']).toBe(1);
    expect(counts['webhook_deliveries_total{source="guuru",outcome="rejected",reason="invalid_signature"}']).toBe(1);
    expect(counts['webhook_deliveries_total{source="(unknown)",outcome="rejected",reason="unknown_source"}']).toBe(2);
    expect(response.text).not.toContain('made-up');
    expect(response.text).toMatch(/^webhook_handling_seconds_count\{source="billing",outcome="handled"\} 1$/m);
    // The refusals were logged, and the suite's no-secret check sees those lines.
    expect(logs.find('warn', 'webhook rejected source=guuru reason=invalid_signature')).toHaveLength(1);
    expect(capturedLogs()).toContain('webhook rejected source=guuru reason=invalid_signature');
  });

  afterAll(() => {
    // Every secret the sample holds, those the suite-wide check does not know of included.
    const text = capturedLogs();
    const secrets = Object.entries(sampleConfig).filter(([name]) => /secret|token/i.test(name));
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    // Names only in the message, so the failure itself does not print a secret.
    expect(secrets.filter(([, value]) => text.includes(String(value))).map(([name]) => name)).toEqual([]);
  });
});
