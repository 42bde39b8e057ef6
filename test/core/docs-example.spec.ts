// The worked example of docs/providers.md ("sender 26"), as the page shows it: a provider for a
// sender no preset knows, written with the public helpers, registered by name and used by name.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  registerWebhookProvider,
  signWebhook,
  verifyWebhook,
  WebhookHandler,
  WebhooksModule,
  WebhookSigner,
  WebhookVerificationError,
  type WebhookContext,
} from '../../lib/index.js';
import { acmeProvider } from '../../docs/examples/acme.provider.js';

const SECRET = 'acme-docs-example-secret';
const NOW = new Date('2026-03-01T12:00:00Z');
const EVENT = { id: 'evt_1001', type: 'invoice.paid', amount: 4200 };

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('the "sender 26" example of docs/providers.md', () => {
  const signed = signWebhook({ provider: acmeProvider, secret: SECRET, payload: EVENT, timestamp: NOW });

  it('signs `t=<unix>,v1=<hex>` over `<t>.<body>` and verifies what it signs', () => {
    expect(signed.headers['acme-signature']).toMatch(/^t=1772366400,v1=[0-9a-f]{64}$/);
    const verified = verifyWebhook({
      provider: acmeProvider,
      secret: SECRET,
      headers: signed.headers,
      rawBody: signed.body,
      now: NOW,
    });
    expect({ ...verified }).toEqual({ deliveryId: 'evt_1001', event: 'invoice.paid', timestamp: NOW });
  });

  it('refuses a body with one byte changed', () => {
    const changed = Buffer.from(signed.body.toString('utf8').replace('4200', '4201'), 'utf8');
    const verify = () =>
      verifyWebhook({ provider: acmeProvider, secret: SECRET, headers: signed.headers, rawBody: changed, now: NOW });
    expect(reasonOf(verify)).toBe('invalid_signature');
  });

  it('refuses a timestamp older than the window, and a header without one', () => {
    const later = new Date(NOW.getTime() + 301_000);
    const late = () =>
      verifyWebhook({
        provider: acmeProvider,
        secret: SECRET,
        headers: signed.headers,
        rawBody: signed.body,
        now: later,
      });
    expect(reasonOf(late)).toBe('timestamp_out_of_window');
    const headers = { ...signed.headers, 'acme-signature': signed.headers['acme-signature']!.replace(/^t=\d+,/, '') };
    const untimed = () => verifyWebhook({ provider: acmeProvider, secret: SECRET, headers, rawBody: signed.body });
    expect(reasonOf(untimed)).toBe('malformed_signature');
  });

  it('accepts a signature under any configured secret (rotation)', () => {
    const verify = () =>
      verifyWebhook({
        provider: acmeProvider,
        secret: ['acme-new-secret', SECRET],
        headers: signed.headers,
        rawBody: signed.body,
        now: NOW,
      });
    expect(reasonOf(verify)).toBeUndefined();
  });

  it('is used by name once registered', () => {
    registerWebhookProvider(acmeProvider);
    registerWebhookProvider(acmeProvider); // the same object again: nothing happens
    const verified = verifyWebhook({
      provider: 'acme',
      secret: SECRET,
      headers: signed.headers,
      rawBody: signed.body,
      now: NOW,
    });
    expect(verified.deliveryId).toBe('evt_1001');
  });
});

const received: { event: unknown; context: WebhookContext }[] = [];

@Injectable()
class AcmeHandlers {
  @WebhookHandler('acme', { event: 'invoice.paid' })
  onInvoicePaid(event: object, context: WebhookContext): void {
    received.push({ event, context });
  }
}

describe('the example registered and configured by name in WebhooksModule', () => {
  let app: INestApplication;

  beforeAll(async () => {
    registerWebhookProvider(acmeProvider);
    const moduleRef = await Test.createTestingModule({
      imports: [WebhooksModule.forRoot({ sources: { acme: { secret: SECRET } } })],
      providers: [AcmeHandlers],
    }).compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('delivers a signed delivery to its handler once, and refuses a forged one', async () => {
    const server = app.getHttpServer() as App;
    const { headers, body } = app.get(WebhookSigner).sign('acme', EVENT);
    await request(server).post('/webhooks/acme').set(headers).send(body).expect(200);
    await request(server)
      .post('/webhooks/acme')
      .set(headers)
      .send(body)
      .expect(200)
      .expect((response) => expect(response.body).toMatchObject({ duplicate: true }));
    const forged = (body as string).replace('4200', '4201');
    const refused = await request(server).post('/webhooks/acme').set(headers).send(forged).expect(401);
    expect(refused.body).toMatchObject({ reason: 'invalid_signature' });
    expect(received).toHaveLength(1);
    expect(received[0]!.event).toEqual(EVENT);
    expect(received[0]!.context).toMatchObject({ source: 'acme', provider: 'acme', deliveryId: 'evt_1001' });
  });
});
