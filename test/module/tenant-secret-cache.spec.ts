import { describe, expect, it } from '@jest/globals';
import { resolveProvider, WebhookSecretResolutionError } from '../../lib/index.js';
import { TenantSecretCache } from '../../lib/module/tenant-secret-cache.js';
import type { WebhookSecretContext, WebhookSecretResolver } from '../../lib/index.js';

/** Verifiers whose resolver is `resolver`, with the test's settings. */
function verifiersOf(
  resolver: WebhookSecretResolver,
  settings: { maxEntries?: number; cacheSeconds?: number; maxConcurrentLookups?: number } = {},
) {
  return new TenantSecretCache({
    source: 'guuru',
    provider: resolveProvider('guuru'),
    resolver,
    token: undefined,
    toleranceSeconds: 0,
    cacheSeconds: settings.cacheSeconds ?? 60,
    maxConcurrentLookups: settings.maxConcurrentLookups ?? 32,
    maxEntries: settings.maxEntries ?? 10,
  });
}

describe('TenantSecretCache: the verifiers of a source whose secrets come from a resolver', () => {
  /** Verifiers whose resolver knows the tenants `known` accepts, recording every lookup. */
  function verifiers(maxEntries: number, cacheSeconds = 60, known: (tenant?: string) => boolean = () => true) {
    const asked: (string | undefined)[] = [];
    const resolved = verifiersOf(
      ({ tenant }: WebhookSecretContext) => {
        asked.push(tenant);
        return known(tenant) ? `secret-of-${tenant ?? 'none'}` : undefined;
      },
      { maxEntries, cacheSeconds },
    );
    return { resolved, asked };
  }

  it('remembers at most maxEntries tenants, forgetting the least recently used first', async () => {
    const { resolved, asked } = verifiers(2);
    for (const tenant of ['a', 'b', 'a', 'c', 'a', 'b']) await resolved.verifierFor(tenant, {});
    // 'c' pushed out 'b' (used less recently than 'a'); 'a' stayed; 'b' is asked for again.
    expect(asked).toEqual(['a', 'b', 'c', 'b']);
  });

  it('keeps unknown tenants apart, so a flood of made-up ones cannot push out the real ones', async () => {
    const { resolved, asked } = verifiers(10, 60, (tenant) => tenant === 'real');
    await resolved.verifierFor('real', {});
    for (let i = 0; i < 50; i += 1) await expect(resolved.verifierFor(`made-up-${i}`, {})).rejects.toThrow(/no secret/);
    await resolved.verifierFor('real', {});
    expect(asked.filter((tenant) => tenant === 'real')).toHaveLength(1);
  });

  it('keeps the route without a tenant apart from every tenant', async () => {
    const { resolved, asked } = verifiers(10);
    const withoutTenant = await resolved.verifierFor(undefined, {});
    const withTenant = await resolved.verifierFor('none', {});
    expect(asked).toEqual([undefined, 'none']);
    expect(withoutTenant).not.toBe(withTenant);
  });

  it('signs with what the resolver answered, so the verifier it returns accepts it', async () => {
    const { resolved } = verifiers(10);
    const { verifier } = await resolved.verifierFor('acme', {});
    const { headers, body } = verifier.sign({ payload: { question: 'hi' } });
    expect(verifier.verify(headers, body).deliveryId).toBeDefined();
  });

  it('coalesces concurrent lookups of one tenant into one call, even with the cache off', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const resolved = verifiersOf(
      async () => {
        calls += 1;
        await gate;
        return 'secret';
      },
      { cacheSeconds: 0 },
    );
    const lookups = Array.from({ length: 20 }, () => resolved.verifierFor('acme', {}));
    release();
    const answers = await Promise.all(lookups);
    expect(calls).toBe(1);
    expect(new Set(answers.map((answer) => answer.verifier)).size).toBe(1);
    // Settled and not cached: the next delivery asks again.
    await resolved.verifierFor('acme', {});
    expect(calls).toBe(2);
  });

  it('answers secret_resolver_busy beyond maxConcurrentLookups tenants in flight, and recovers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const resolved = verifiersOf(
      async () => {
        await gate;
        return 'secret';
      },
      { maxConcurrentLookups: 3 },
    );
    const inFlight = ['a', 'b', 'c'].map((tenant) => resolved.verifierFor(tenant, {}));
    const refused = await resolved.verifierFor('d', {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WebhookSecretResolutionError);
    expect((refused as WebhookSecretResolutionError).reason).toBe('secret_resolver_busy');
    // The same tenant as one in flight joins its lookup rather than being refused.
    const joined = resolved.verifierFor('a', {});
    release();
    await Promise.all([...inFlight, joined]);
    await expect(resolved.verifierFor('d', {})).resolves.toMatchObject({ tenant: 'd' });
  });

  it('scopes by the canonical tenant a resolver names, whatever the spelling in the route', async () => {
    const resolved = verifiersOf(({ tenant }) => ({ tenant: tenant!.toLowerCase(), secrets: 'secret-of-acme' }));
    const answers = await Promise.all(['acme', 'ACME', 'Acme'].map((tenant) => resolved.verifierFor(tenant, {})));
    expect(answers.map((answer) => answer.tenant)).toEqual(['acme', 'acme', 'acme']);
    expect(new Set(answers.map((answer) => answer.scope))).toEqual(new Set(['t.acme']));
  });

  it('scopes by a digest of the resolved secrets otherwise: equal secrets share it, and it never holds a secret', async () => {
    const resolved = verifiersOf(({ tenant }) => (tenant === 'other' ? ['b', 'a'] : ['a', 'b']));
    const [acme, acmeUpper, other] = await Promise.all(
      ['acme', 'ACME', 'other'].map((tenant) => resolved.verifierFor(tenant, {})),
    );
    expect(acme!.scope).toMatch(/^s\.[0-9a-f]{32}$/);
    expect(acmeUpper!.scope).toBe(acme!.scope);
    expect(other!.scope).toBe(acme!.scope); // the same secrets, in another order
    expect(acme!.tenant).toBe('acme');
    const distinct = await verifiersOf(() => 'another-secret').verifierFor('acme', {});
    expect(distinct.scope).not.toBe(acme!.scope);
  });

  it('refuses an answer naming an empty tenant as secret_resolver_failed', async () => {
    const resolved = verifiersOf(() => ({ tenant: '', secrets: 'x' }));
    await expect(resolved.verifierFor('acme', {})).rejects.toMatchObject({ reason: 'secret_resolver_failed' });
  });

  it('warns once per tenant about secrets a resolver answered that a fixed secret would be warned about', async () => {
    const warnings: string[] = [];
    const bare = Buffer.alloc(32, 9).toString('base64');
    const resolved = new TenantSecretCache({
      source: 'billing',
      provider: resolveProvider('standard-webhooks'),
      resolver: () => bare,
      token: undefined,
      toleranceSeconds: 300,
      cacheSeconds: 0,
      maxConcurrentLookups: 32,
      warn: (line) => warnings.push(line),
    });
    for (let lookup = 0; lookup < 3; lookup += 1) await resolved.verifierFor('acme', {});
    await resolved.verifierFor('globex', {});
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('tenant acme');
    expect(warnings[0]).toContain('whpk_');
    expect(warnings.join('\n')).not.toContain(bare);
  });
});
