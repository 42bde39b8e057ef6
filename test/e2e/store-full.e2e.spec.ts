import { afterEach, describe, expect, it } from '@jest/globals';
import type { App } from 'supertest/types.js';
import { WebhookEvents, WebhookSigner, WebhooksModule, type WebhookOutcomeEvent } from '../../lib/index.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/**
 * A sender with a valid secret (a tenant, or anyone replaying a sender that signs no id) can
 * produce fresh deliveries at will. Flooding the memory store must never make it forget a
 * delivery that could still be replayed: it refuses new ones instead, and the senders retry.
 */
describe.each(PLATFORMS)('the memory delivery store when full, on %s', (platform) => {
  let testApp: TestApp | undefined;

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
  });

  it('answers 503 delivery_store_full to new deliveries, warns once, and never handles a replay twice', async () => {
    testApp = await startTestApp(WebhooksModule.forRoot({ ...testWebhooksOptions(), deliveries: { maxEntries: 5 } }), {
      platform,
    });
    const events: WebhookOutcomeEvent[] = [];
    testApp.app.get(WebhookEvents).onOutcome((event) => events.push(event));
    const signer = testApp.app.get(WebhookSigner);
    const server = testApp.app.getHttpServer() as App;
    // Guuru signs no timestamp: a handled delivery could be replayed for as long as it is remembered.
    const victim = signer.sign('guuru', { question: 'the victim' });
    await deliver(server, '/webhooks/guuru', victim).expect(200);

    const statuses: number[] = [];
    for (let index = 0; index < 20; index += 1) {
      const flood = await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question: `flood ${index}` }));
      statuses.push(flood.status);
      if (flood.status === 503) expect(flood.body.reason).toBe('delivery_store_full');
      const replay = await deliver(server, '/webhooks/guuru', victim);
      expect(replay.status).toBe(200);
      expect(replay.body.duplicate).toBe(true);
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(4);
    expect(statuses.filter((status) => status === 503)).toHaveLength(16);
    const victimRuns = testApp.calls
      .of('guuru')
      .filter((call) => (call.payload as { question: string }).question === 'the victim');
    expect(victimRuns).toHaveLength(1);

    const warnings = testApp.logs.find('warn', 'webhook delivery store full');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('deliveries: { store: "redis" }');
    const refusals = events.filter((event) => event.outcome === 'rejected' && event.reason === 'delivery_store_full');
    expect(refusals).toHaveLength(16);
    expect(refusals.every((event) => event.status === 503)).toBe(true);
  });
});
