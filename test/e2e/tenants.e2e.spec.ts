import { afterEach, describe, expect, it } from '@jest/globals';
import type { App } from 'supertest/types.js';
import {
  WebhookSigner,
  WebhooksModule,
  type ResolvedWebhookSecrets,
  type WebhookSecret,
  type WebhookSecretContext,
} from '../../lib/index.js';
import { billingInvoicePaid, guuruChatBody } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { SECRETS } from './fixtures/secrets.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

const HOUR_MS = 3600_000;
// Standard Webhooks secrets: base64 of distinctive key material.
const ACME_SECRET = `whsec_${Buffer.from('acme-tenant-key-material-0001').toString('base64')}`;
const ACME_OLD_SECRET = `whsec_${Buffer.from('acme-tenant-old-key-material-1').toString('base64')}`;
const GLOBEX_SECRET = `whsec_${Buffer.from('globex-tenant-key-material-01').toString('base64')}`;

/** A test double of the application's tenant table, as a resolver would query it. */
class TenantSecretsTable {
  readonly lookups: WebhookSecretContext[] = [];
  failing = false;
  readonly rows = new Map<string, WebhookSecret>([
    ['acme', [ACME_SECRET, { value: ACME_OLD_SECRET, notAfter: new Date(Date.now() - HOUR_MS) }]],
    ['globex', GLOBEX_SECRET],
  ]);

  readonly resolve = async (context: WebhookSecretContext): Promise<WebhookSecret | undefined> => {
    this.lookups.push(context);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.failing) throw new Error('the tenant database is unreachable');
    return context.tenant === undefined ? undefined : this.rows.get(context.tenant);
  };
}

describe.each(PLATFORMS)('tenants and resolved secrets on %s', (platform) => {
  let testApp: TestApp | undefined;
  let table: TenantSecretsTable;

  afterEach(async () => {
    await testApp?.app.close();
    testApp = undefined;
  });

  async function start(secretCacheSeconds?: number): Promise<{ signer: WebhookSigner; server: App }> {
    table = new TenantSecretsTable();
    const options = testWebhooksOptions();
    testApp = await startTestApp(
      WebhooksModule.forRoot({
        ...options,
        secretCacheSeconds,
        sources: { ...options.sources, billing: { provider: 'standard-webhooks', secret: table.resolve } },
      }),
      { platform },
    );
    return { signer: testApp.app.get(WebhookSigner), server: testApp.app.getHttpServer() as App };
  }

  const invoice = (id: string, secret: string, signer: WebhookSigner) =>
    signer.sign('billing', billingInvoicePaid, { id, secret });

  it("verifies each tenant's deliveries with its own secret and tells handlers the tenant", async () => {
    const { signer, server } = await start();
    await deliver(server, '/webhooks/billing/acme', invoice('msg_a1', ACME_SECRET, signer)).expect(200);
    await deliver(server, '/webhooks/billing/globex', invoice('msg_g1', GLOBEX_SECRET, signer)).expect(200);
    const tenants = testApp!.calls.of('billing.invoice.paid').map((call) => call.context.tenant);
    expect(tenants).toEqual(['acme', 'globex']);
  });

  it("refuses one tenant's delivery signed with another tenant's secret (401)", async () => {
    const { signer, server } = await start();
    const response = await deliver(server, '/webhooks/billing/globex', invoice('msg_x', ACME_SECRET, signer));
    expect(response.status).toBe(401);
    expect(response.body.reason).toBe('invalid_signature');
    expect(testApp!.calls.calls).toHaveLength(0);
  });

  it('refuses a secret past its notAfter, and accepts it before', async () => {
    const { signer, server } = await start();
    const expired = await deliver(server, '/webhooks/billing/acme', invoice('msg_old', ACME_OLD_SECRET, signer));
    expect(expired.status).toBe(401);
    expect(expired.body.reason).toBe('invalid_signature');
    // A fresh app (and table) whose old secret ends in an hour: the cached answer for acme is not reused.
    await testApp!.app.close();
    const restarted = await start();
    table.rows.set('acme', [ACME_SECRET, { value: ACME_OLD_SECRET, notAfter: new Date(Date.now() + HOUR_MS) }]);
    await deliver(restarted.server, '/webhooks/billing/acme', invoice('msg_old2', ACME_OLD_SECRET, signer)).expect(200);
  });

  it('answers 404 unknown_tenant for a tenant the resolver does not know, and for a malformed one', async () => {
    const { signer, server } = await start();
    const unknown = await deliver(server, '/webhooks/billing/initech', invoice('msg_i', ACME_SECRET, signer));
    expect(unknown.status).toBe(404);
    expect(unknown.body.reason).toBe('unknown_tenant');
    const malformed = await deliver(server, '/webhooks/billing/%2E%2E%2Facme', invoice('msg_m', ACME_SECRET, signer));
    expect(malformed.status).toBe(404);
    expect(malformed.body.reason).toBe('unknown_tenant');
    expect(testApp!.calls.calls).toHaveLength(0);
  });

  it('answers 500 with one log line, never 401, when the resolver fails', async () => {
    const { signer, server } = await start();
    table.failing = true;
    const response = await deliver(server, '/webhooks/billing/acme', invoice('msg_f', ACME_SECRET, signer));
    expect(response.status).toBe(500);
    expect(response.body.reason).toBe('secret_resolver_failed');
    expect(JSON.stringify(response.body)).not.toContain('unreachable');
    const lines = testApp!.logs.find('error', 'reason=secret_resolver_failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('source=billing tenant=acme reason=secret_resolver_failed status=500');
    expect(lines[0]).toMatch(/The secret resolver of source .*billing.* failed: Error/);
    // The resolver's own message can quote what it read (a secret): it is never logged.
    expect(lines[0]).not.toContain('unreachable');
    // A failure is not cached: the next delivery asks again and succeeds.
    table.failing = false;
    await deliver(server, '/webhooks/billing/acme', invoice('msg_f', ACME_SECRET, signer)).expect(200);
  });

  it('asks the resolver once per tenant within secretCacheSeconds, with source, tenant and headers', async () => {
    const { signer, server } = await start();
    await Promise.all(
      ['msg_c1', 'msg_c2', 'msg_c3'].map((id) =>
        deliver(server, '/webhooks/billing/acme', invoice(id, ACME_SECRET, signer)).expect(200),
      ),
    );
    await deliver(server, '/webhooks/billing/globex', invoice('msg_c4', GLOBEX_SECRET, signer)).expect(200);
    expect(table.lookups.map((lookup) => lookup.tenant)).toEqual(['acme', 'globex']);
    expect(table.lookups[0]!.source).toBe('billing');
    expect(table.lookups[0]!.headers['webhook-id']).toBe('msg_c1');
  });

  it('asks on every delivery with secretCacheSeconds: 0', async () => {
    const { signer, server } = await start(0);
    await deliver(server, '/webhooks/billing/acme', invoice('msg_n1', ACME_SECRET, signer)).expect(200);
    await deliver(server, '/webhooks/billing/acme', invoice('msg_n2', ACME_SECRET, signer)).expect(200);
    expect(table.lookups).toHaveLength(2);
  });

  it('signs for a tenant with the secrets its resolver gives', async () => {
    const { signer, server } = await start();
    const signed = await signer.signForTenant('billing', 'globex', billingInvoicePaid, { id: 'msg_s1' });
    await deliver(server, '/webhooks/billing/globex', signed).expect(200);
    expect(() => signer.sign('billing', billingInvoicePaid)).toThrow(/resolver/);
  });

  it('keeps de-duplication per tenant: one delivery id at two tenants is two deliveries', async () => {
    const { signer, server } = await start();
    await deliver(server, '/webhooks/billing/acme', invoice('msg_same', ACME_SECRET, signer)).expect(200);
    await deliver(server, '/webhooks/billing/globex', invoice('msg_same', GLOBEX_SECRET, signer)).expect(200);
    const repeat = await deliver(server, '/webhooks/billing/acme', invoice('msg_same', ACME_SECRET, signer));
    expect(repeat.body.duplicate).toBe(true);
    expect(testApp!.calls.of('billing.invoice.paid')).toHaveLength(2);
  });

  it('serves fixed-secret sources on the tenant route too, and ends a fixed secret at its notAfter', async () => {
    const options = testWebhooksOptions();
    testApp = await startTestApp(
      WebhooksModule.forRoot({
        ...options,
        sources: {
          ...options.sources,
          guuru: { secret: [SECRETS.guuru, { value: 'guuru-retired-secret', notAfter: new Date(Date.now() - 1) }] },
        },
      }),
      { platform },
    );
    const signer = testApp.app.get(WebhookSigner);
    const server = testApp.app.getHttpServer() as App;
    const chat = signer.sign('guuru', guuruChatBody);
    await deliver(server, '/webhooks/guuru/eu-1', chat).expect(200);
    expect(testApp.calls.of('guuru')[0]!.context.tenant).toBe('eu-1');
    // A fixed secret proves no tenant: the same delivery at other tenants' URLs is a duplicate, not a new delivery.
    for (const url of ['/webhooks/guuru', '/webhooks/guuru/eu-2', '/webhooks/guuru/a']) {
      const replay = await deliver(server, url, chat).expect(200);
      expect(replay.body.duplicate).toBe(true);
    }
    expect(testApp.calls.of('guuru')).toHaveLength(1);
    const retired = signer.sign('guuru', { question: 'other' }, { secret: 'guuru-retired-secret' });
    const response = await deliver(server, '/webhooks/guuru', retired);
    expect(response.status).toBe(401);
  });

  describe('a resolver whose lookups ignore case (acme, ACME and Acme are one tenant)', () => {
    async function startCaseInsensitive(
      answer: (tenant: string) => WebhookSecret | ResolvedWebhookSecrets,
    ): Promise<{ signer: WebhookSigner; server: App }> {
      const options = testWebhooksOptions();
      testApp = await startTestApp(
        WebhooksModule.forRoot({
          ...options,
          sources: {
            ...options.sources,
            billing: {
              provider: 'standard-webhooks',
              secret: ({ tenant }) => (tenant?.toLowerCase() === 'acme' ? answer(tenant) : undefined),
            },
          },
        }),
        { platform },
      );
      return { signer: testApp.app.get(WebhookSigner), server: testApp.app.getHttpServer() as App };
    }

    it('runs the handler once for a delivery replayed at three spellings (scoped by a digest of the secrets)', async () => {
      const { signer, server } = await startCaseInsensitive(() => ACME_SECRET);
      const captured = invoice('msg_spelled', ACME_SECRET, signer);
      await deliver(server, '/webhooks/billing/acme', captured).expect(200);
      for (const spelling of ['ACME', 'Acme']) {
        const replay = await deliver(server, `/webhooks/billing/${spelling}`, captured).expect(200);
        expect(replay.body.duplicate).toBe(true);
      }
      expect(testApp!.calls.of('billing.invoice.paid')).toHaveLength(1);
    });

    it('scopes by the canonical tenant a resolver names, and tells handlers that spelling', async () => {
      const { signer, server } = await startCaseInsensitive((tenant) => ({
        tenant: tenant.toLowerCase(),
        secrets: ACME_SECRET,
      }));
      const captured = invoice('msg_canonical', ACME_SECRET, signer);
      await deliver(server, '/webhooks/billing/ACME', captured).expect(200);
      for (const spelling of ['acme', 'Acme']) {
        expect((await deliver(server, `/webhooks/billing/${spelling}`, captured).expect(200)).body.duplicate).toBe(
          true,
        );
      }
      const runs = testApp!.calls.of('billing.invoice.paid');
      expect(runs).toHaveLength(1);
      expect(runs[0]!.context.tenant).toBe('acme');
    });

    it('keeps two tenants with different secrets apart, even for one delivery id', async () => {
      const options = testWebhooksOptions();
      const table = new Map([
        ['acme', ACME_SECRET],
        ['globex', GLOBEX_SECRET],
      ]);
      testApp = await startTestApp(
        WebhooksModule.forRoot({
          ...options,
          sources: {
            ...options.sources,
            billing: { provider: 'standard-webhooks', secret: ({ tenant }) => table.get(tenant!.toLowerCase()) },
          },
        }),
        { platform },
      );
      const signer = testApp.app.get(WebhookSigner);
      const server = testApp.app.getHttpServer() as App;
      await deliver(server, '/webhooks/billing/ACME', invoice('msg_shared', ACME_SECRET, signer)).expect(200);
      const other = await deliver(server, '/webhooks/billing/Globex', invoice('msg_shared', GLOBEX_SECRET, signer));
      expect(other.status).toBe(200);
      expect(other.body.duplicate).toBeUndefined();
      expect(testApp.calls.of('billing.invoice.paid')).toHaveLength(2);
    });
  });
});
